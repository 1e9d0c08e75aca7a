#include "services/campaigns/api/convert.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::campaigns {
namespace {

TEST(TimeFromProtoTest, AcceptsTheTimestampRange) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(1'700'000'000);
  ts.set_nanos(123'456'789);
  auto time = TimeFromProto(ts, "campaign.start_time");
  ASSERT_TRUE(time.ok());
  EXPECT_EQ(*time, absl::FromUnixNanos(1'700'000'000'123'456'789));
}

TEST(TimeFromProtoTest, RefusesOutOfRangeNamingTheField) {
  google::protobuf::Timestamp too_late;
  too_late.set_seconds(253'402'300'800);  // 10000-01-01
  EXPECT_EQ(ViolatedField(TimeFromProto(too_late, "campaign.end_time").status()),
            "campaign.end_time");
  google::protobuf::Timestamp bad_nanos;
  bad_nanos.set_nanos(-1);
  EXPECT_EQ(ViolatedField(TimeFromProto(bad_nanos, "campaign.start_time").status()),
            "campaign.start_time");
}

TEST(TimeToProtoTest, NanosAreNeverNegative) {
  google::protobuf::Timestamp ts;
  TimeToProto(absl::FromUnixMicros(-1), &ts);  // one microsecond before the epoch
  EXPECT_EQ(ts.seconds(), -1);
  EXPECT_EQ(ts.nanos(), 999'999'000);
}

TEST(CampaignProtoTest, RoundTripKeepsSettableFields) {
  v1::Campaign message;
  message.set_name("Spring");
  message.set_description("Double points");
  message.set_priority(7);
  message.set_state(v1::CAMPAIGN_STATE_ACTIVE);  // output only: ignored
  message.mutable_end_time()->set_seconds(1'800'000'000);
  auto campaign = CampaignFromProto(message, "campaign.");
  ASSERT_TRUE(campaign.ok());
  EXPECT_EQ(campaign->name, "Spring");
  EXPECT_EQ(campaign->priority, 7);
  EXPECT_EQ(campaign->state, CampaignState::kDraft);
  EXPECT_FALSE(campaign->start_time.has_value());
  ASSERT_TRUE(campaign->end_time.has_value());

  v1::Campaign out;
  CampaignToProto(*campaign, &out);
  EXPECT_EQ(out.state(), v1::CAMPAIGN_STATE_DRAFT);
  EXPECT_FALSE(out.has_start_time());
  EXPECT_EQ(out.end_time().seconds(), 1'800'000'000);
}

// Every condition and effect kind, every schedule and audience field, in
// proto form.
v1::Campaign FullDefinition() {
  v1::Campaign message;
  message.set_name("Everything");
  message.set_stacking(v1::STACKING_STOP_FURTHER);
  v1::Schedule* schedule = message.mutable_schedule();
  schedule->set_time_zone("Europe/Moscow");
  schedule->add_days(v1::DAY_OF_WEEK_MONDAY);
  schedule->add_days(v1::DAY_OF_WEEK_SUNDAY);
  v1::MinuteWindow* hours = schedule->add_hours();
  hours->set_start_minute(480);
  hours->set_end_minute(600);
  v1::Audience* audience = message.mutable_audience();
  audience->add_levels("gold");
  audience->add_tags("vip");
  v1::AttributeMatch* attribute = audience->add_attributes();
  attribute->set_key("city");
  attribute->add_values("Kazan");
  audience->add_segment_ids("seg-1");
  audience->add_partner_ids("partner-1");
  audience->add_store_ids("store-1");
  audience->add_channels("online");

  v1::Rule* rule = message.add_rules();
  rule->set_rule_id("r1");
  rule->set_cashier_message("Offer the bag");
  rule->add_conditions()->mutable_receipt_sum()->set_min_amount(1000);
  rule->mutable_conditions(0)->mutable_receipt_sum()->set_max_amount(9000);
  v1::LineMatchCondition* lines = rule->add_conditions()->mutable_line_match();
  lines->mutable_lines()->add_skus("tea");
  lines->mutable_lines()->add_categories("drinks");
  lines->set_min_quantity_milli(2000);
  lines->set_min_amount(300);
  rule->add_conditions()->mutable_first_purchase();
  rule->add_conditions()->mutable_birthday()->set_days_before(3);
  rule->mutable_conditions(3)->mutable_birthday()->set_days_after(4);
  rule->add_conditions()->mutable_level()->add_levels("silver");
  rule->add_conditions()->mutable_tag()->set_tag("student");
  v1::AttributeCondition* attr = rule->add_conditions()->mutable_attribute();
  attr->set_key("pet");
  attr->add_values("cat");
  attr->add_values("dog");
  v1::MinuteWindow* window = rule->add_conditions()->mutable_time_of_day()->mutable_window();
  window->set_start_minute(60);
  window->set_end_minute(120);
  rule->add_conditions()->mutable_day_of_week()->add_days(v1::DAY_OF_WEEK_FRIDAY);
  rule->add_conditions()->mutable_promo_code()->set_pool_id("pool-1");

  v1::DiscountEffect* discount = rule->add_effects()->mutable_discount();
  discount->set_target(v1::TARGET_LINES);
  discount->mutable_lines()->add_skus("tea");
  discount->set_percent_bp(1500);
  v1::PointsEffect* points = rule->add_effects()->mutable_points();
  points->set_target(v1::TARGET_RECEIPT);
  points->set_multiplier(3);
  v1::GiftEffect* gift = rule->add_effects()->mutable_gift();
  gift->set_sku("bag");
  gift->set_quantity_milli(1000);
  gift->set_price(1);
  rule->add_effects()->mutable_issue_promo_code()->set_pool_id("pool-2");
  rule->add_effects()->mutable_set_attribute()->set_key("segment");
  rule->mutable_effects(4)->mutable_set_attribute()->set_value("tea lover");
  rule->add_effects()->mutable_add_tag()->set_tag("tea");
  return message;
}

TEST(CampaignProtoTest, DefinitionRoundTripsEveryKind) {
  v1::Campaign message = FullDefinition();
  auto campaign = CampaignFromProto(message, "campaign.");
  ASSERT_TRUE(campaign.ok()) << campaign.status();
  EXPECT_EQ(campaign->stacking, promotions::Stacking::kStopFurther);
  ASSERT_EQ(campaign->schedule.days.size(), 2u);
  EXPECT_EQ(campaign->schedule.days[0], absl::Weekday::monday);
  EXPECT_EQ(campaign->schedule.days[1], absl::Weekday::sunday);
  ASSERT_EQ(campaign->rules.size(), 1u);
  const promotions::Rule& rule = campaign->rules[0];
  ASSERT_EQ(rule.conditions.size(), 10u);
  ASSERT_EQ(rule.effects.size(), 6u);
  const auto& sum = std::get<promotions::ReceiptSumCondition>(rule.conditions[0]);
  EXPECT_EQ(sum.min_amount, 1000);
  EXPECT_EQ(sum.max_amount, 9000);
  EXPECT_EQ(std::get<promotions::DayOfWeekCondition>(rule.conditions[8]).days[0],
            absl::Weekday::friday);
  const auto& discount = std::get<promotions::DiscountEffect>(rule.effects[0]);
  EXPECT_EQ(discount.target, promotions::Target::kLines);
  EXPECT_EQ(discount.percent_bp, 1500);
  EXPECT_EQ(std::get<promotions::PointsEffect>(rule.effects[1]).multiplier, 3);
  // The domain accepts it as it stands.
  Campaign copy = *campaign;
  EXPECT_TRUE(ValidateDefinition(copy, /*require_rules=*/true, "campaign.").ok());

  v1::Campaign back;
  CampaignToProto(*campaign, &back);
  // Output-only fields aside, proto -> domain -> proto is the identity.
  back.clear_create_time();
  back.clear_version();
  back.clear_etag();
  back.clear_state();
  EXPECT_EQ(back.SerializeAsString(), message.SerializeAsString()) << back.DebugString() << "\nvs\n"
                                                                   << message.DebugString();
}

TEST(CampaignProtoTest, UnsetMaxAmountStaysUnset) {
  v1::Campaign message;
  v1::Rule* rule = message.add_rules();
  rule->add_conditions()->mutable_receipt_sum()->set_min_amount(5);
  auto campaign = CampaignFromProto(message, "campaign.");
  ASSERT_TRUE(campaign.ok());
  EXPECT_FALSE(
      std::get<promotions::ReceiptSumCondition>(campaign->rules[0].conditions[0]).max_amount);
  v1::Campaign back;
  CampaignToProto(*campaign, &back);
  EXPECT_FALSE(back.rules(0).conditions(0).receipt_sum().has_max_amount());
}

TEST(CampaignProtoTest, ConditionOrEffectWithoutKindNamesItsPath) {
  v1::Campaign message;
  v1::Rule* rule = message.add_rules();
  rule->add_conditions();
  EXPECT_EQ(ViolatedField(CampaignFromProto(message, "campaign.").status()),
            "campaign.rules[0].conditions[0]");
  rule->clear_conditions();
  rule->add_effects()->mutable_add_tag()->set_tag("x");
  rule->add_effects();
  EXPECT_EQ(ViolatedField(CampaignFromProto(message, "campaign.").status()),
            "campaign.rules[0].effects[1]");
}

TEST(CampaignProtoTest, UnspecifiedDayIsRefusedByTheValidator) {
  v1::Campaign message;
  message.set_name("Days");
  message.mutable_schedule()->add_days(v1::DAY_OF_WEEK_UNSPECIFIED);
  auto campaign = CampaignFromProto(message, "campaign.");
  ASSERT_TRUE(campaign.ok());
  EXPECT_EQ(ViolatedField(ValidateDefinition(*campaign, false, "campaign.")),
            "campaign.schedule.days[0]");
}

TEST(EngineCampaignFromProtoTest, KeepsIdVersionAndStateForPos) {
  v1::Campaign message;
  message.set_campaign_id("c-1");
  message.set_version(4);
  message.set_state(v1::CAMPAIGN_STATE_ACTIVE);
  message.set_name("Spring");
  message.set_priority(3);
  auto engine = EngineCampaignFromProto(message, "campaigns[0].");
  ASSERT_TRUE(engine.ok()) << engine.status();
  EXPECT_EQ(engine->campaign_id, "c-1");
  EXPECT_EQ(engine->version, 4);
  EXPECT_EQ(engine->state, promotions::CampaignState::kActive);
  EXPECT_EQ(engine->priority, 3);
}

TEST(EngineCampaignFromProtoTest, AnUnknownStateNamesTheField) {
  v1::Campaign message;
  message.set_campaign_id("c-1");
  EXPECT_EQ(ViolatedField(EngineCampaignFromProto(message, "campaigns[2].").status()),
            "campaigns[2].state");
}

TEST(ApplyUpdateMaskTest, ChangesOnlyNamedFields) {
  auto current = CampaignFromProto(FullDefinition(), "campaign.");
  ASSERT_TRUE(current.ok());
  v1::Campaign in;
  in.set_name("Renamed");
  in.set_priority(99);  // not in the mask: ignored
  google::protobuf::FieldMask mask;
  mask.add_paths("name");
  mask.add_paths("rules");
  Campaign edited = *current;
  ASSERT_TRUE(ApplyUpdateMask(in, mask, "campaign.", edited).ok());
  EXPECT_EQ(edited.name, "Renamed");
  EXPECT_EQ(edited.priority, current->priority);
  EXPECT_TRUE(edited.rules.empty());
  EXPECT_EQ(edited.audience.levels, current->audience.levels);

  mask.add_paths("version");  // output only
  EXPECT_EQ(ViolatedField(ApplyUpdateMask(in, mask, "campaign.", edited)), "update_mask.paths[2]");
}

}  // namespace
}  // namespace loyalty::campaigns

namespace loyalty::campaigns {
namespace {

TEST(CampaignProtoTest, BudgetRoundTripsAndReachesTheEngine) {
  v1::Campaign message;
  message.set_name("Capped");
  message.mutable_budget()->set_max_discount(500000);
  message.mutable_budget()->set_max_bonus_points(700);
  message.mutable_budget()->set_max_uses_per_client(1);
  message.mutable_budget()->set_max_discount_per_client(3000);
  message.mutable_budget()->set_max_bonus_points_per_client(40);
  auto campaign = CampaignFromProto(message, "campaign.");
  ASSERT_TRUE(campaign.ok());
  EXPECT_EQ(campaign->budget.max_discount, 500000);
  EXPECT_EQ(campaign->budget.max_bonus_points_per_client, 40);
  v1::Campaign out;
  CampaignToProto(*campaign, &out);
  EXPECT_EQ(out.budget().SerializeAsString(), message.budget().SerializeAsString());
  EXPECT_EQ(ToEngineCampaign(*campaign).budget.max_uses_per_client, 1);

  // No budget: nothing printed, so old stored definitions read the same.
  campaign->budget = {};
  v1::Campaign none;
  CampaignToProto(*campaign, &none);
  EXPECT_FALSE(none.has_budget());
}

TEST(ApplyUpdateMaskTest, BudgetIsAMaskablePath) {
  Campaign campaign;
  campaign.name = "Kept";
  v1::Campaign message;
  message.mutable_budget()->set_max_discount(100);
  google::protobuf::FieldMask mask;
  mask.add_paths("budget");
  ASSERT_TRUE(ApplyUpdateMask(message, mask, "campaign.", campaign).ok());
  EXPECT_EQ(campaign.budget.max_discount, 100);
  EXPECT_EQ(campaign.name, "Kept");
}

}  // namespace
}  // namespace loyalty::campaigns
