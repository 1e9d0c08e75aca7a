#include "libs/promotions/validate.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::promotions {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

auto At(const std::string& field) { return Field(&Violation::field, field); }

Campaign ValidCampaign() {
  Campaign campaign;
  campaign.campaign_id = "c1";
  campaign.name = "Ten percent on tea";
  campaign.priority = 10;
  Rule rule;
  rule.rule_id = "r1";
  rule.conditions.push_back(
      LinesCondition{.lines = {.categories = {"tea"}}, .min_quantity_milli = 2000});
  rule.effects.push_back(DiscountEffect{.target = Target::kLines, .percent_bp = 1000});
  rule.effects.push_back(GiftEffect{.sku = "mug"});
  campaign.rules.push_back(rule);
  return campaign;
}

TEST(ValidateCampaignTest, AValidCampaignAndWhatItRefersTo) {
  Campaign campaign = ValidCampaign();
  campaign.rules[0].conditions.push_back(PromoCodeCondition{.code = "TEA10"});
  campaign.rules[0].effects.push_back(IssuePromoCodeAction{.pool_id = "pool-1"});
  campaign.rules[0].effects.push_back(
      PointsEffect{.target = Target::kLines, .lines = {.skus = {"sencha"}}, .multiplier = 2});
  ValidationResult result = ValidateCampaign(campaign);
  EXPECT_TRUE(result.ok()) << ViolationsToStatus(result.violations);
  EXPECT_THAT(result.references.skus, ElementsAre("mug", "sencha"));
  EXPECT_THAT(result.references.categories, ElementsAre("tea"));
  EXPECT_THAT(result.references.promo_codes, ElementsAre("TEA10"));
  EXPECT_THAT(result.references.pool_ids, ElementsAre("pool-1"));
}

TEST(ValidateCampaignTest, ReportsEveryViolationWithItsFieldPath) {
  Campaign campaign = ValidCampaign();
  campaign.schedule.start_time = absl::FromUnixSeconds(2000);
  campaign.schedule.end_time = absl::FromUnixSeconds(1000);
  campaign.schedule.hours = {{.start_minute = 600, .end_minute = 540}};
  campaign.schedule.time_zone = "Mars/Olympus_Mons";
  Rule second;
  second.rule_id = "r1";  // duplicate
  second.conditions.push_back(ReceiptSumCondition{.min_amount = 500, .max_amount = 100});
  second.conditions.push_back(BirthdayCondition{.days_before = -1, .days_after = 400});
  second.effects.push_back(DiscountEffect{.target = Target::kReceipt, .percent_bp = 10001});
  second.effects.push_back(DiscountEffect{.target = Target::kLines, .fixed_amount = 100});
  second.effects.push_back(PointsEffect{.fixed_points = 5, .percent_bp = 100});
  second.effects.push_back(PointsEffect{.multiplier = 1});
  campaign.rules.push_back(second);

  ValidationResult result = ValidateCampaign(campaign, "campaign.");
  EXPECT_THAT(result.violations,
              ElementsAre(At("campaign.schedule.end_time"), At("campaign.schedule.hours[0]"),
                          At("campaign.schedule.time_zone"),
                          At("campaign.rules[1].conditions[0].receipt_sum.max_amount"),
                          At("campaign.rules[1].conditions[1].birthday.days_before"),
                          At("campaign.rules[1].conditions[1].birthday.days_after"),
                          At("campaign.rules[1].effects[0].discount.percent_bp"),
                          At("campaign.rules[1].effects[1].discount.lines"),
                          At("campaign.rules[1].effects[2].points"),
                          At("campaign.rules[1].effects[3].points.multiplier"),
                          At("campaign.rules[1].rule_id")));
  EXPECT_EQ(result.violations[6].description, "must be 1..10000");
}

TEST(ValidateCampaignTest, EmptyAndTooLarge) {
  Campaign campaign = ValidCampaign();
  campaign.rules.clear();
  EXPECT_THAT(ValidateCampaign(campaign).violations, ElementsAre(At("rules")));

  campaign = ValidCampaign();
  campaign.rules.resize(kMaxRules + 1, campaign.rules[0]);
  EXPECT_THAT(ValidateCampaign(campaign).violations, ElementsAre(At("rules")));

  campaign = ValidCampaign();
  campaign.rules[0].conditions.resize(kMaxConditionsPerRule + 1, FirstPurchaseCondition{});
  campaign.rules[0].effects.clear();
  EXPECT_THAT(ValidateCampaign(campaign).violations,
              ElementsAre(At("rules[0].conditions"), At("rules[0].effects")));

  campaign = ValidCampaign();
  campaign.rules[0].effects.resize(kMaxEffectsPerRule + 1, AddTagAction{.tag = "x"});
  EXPECT_THAT(ValidateCampaign(campaign).violations, ElementsAre(At("rules[0].effects")));
}

TEST(ValidateCampaignTest, EffectOnLinesNeedsLines) {
  Campaign campaign = ValidCampaign();
  // Without the lines condition the discount on LINES has no lines.
  campaign.rules[0].conditions.clear();
  EXPECT_THAT(ValidateCampaign(campaign).violations,
              ElementsAre(At("rules[0].effects[0].discount.lines")));
  campaign.rules[0].effects[0] =
      DiscountEffect{.target = Target::kLines, .lines = {.skus = {"sencha"}}, .percent_bp = 500};
  EXPECT_THAT(ValidateCampaign(campaign).violations, IsEmpty());
  // A receipt-wide effect takes no selector.
  campaign.rules[0].effects[0] =
      DiscountEffect{.target = Target::kReceipt, .lines = {.skus = {"sencha"}}, .percent_bp = 500};
  EXPECT_THAT(ValidateCampaign(campaign).violations,
              ElementsAre(At("rules[0].effects[0].discount.lines")));
}

TEST(ValidateCampaignTest, ConditionsAndAudience) {
  Campaign campaign = ValidCampaign();
  campaign.priority = 1001;
  campaign.audience.store_ids = {"s1", "s1"};
  campaign.audience.attributes = {{.key = "pet"}};
  Rule& rule = campaign.rules[0];
  rule.conditions = {
      LinesCondition{},
      ReceiptSumCondition{},
      LevelCondition{},
      TagCondition{},
      AttributeCondition{.key = "pet"},
      TimeOfDayCondition{.window = {.start_minute = 0, .end_minute = 1441}},
      DayOfWeekCondition{},
      PromoCodeCondition{.code = "A", .pool_id = "B"},
  };
  rule.effects = {DiscountEffect{.percent_bp = 100, .fixed_amount = 5},
                  GiftEffect{.sku = "", .quantity_milli = 0},
                  SetAttributeAction{.key = "", .value = "v"}};
  EXPECT_THAT(
      ValidateCampaign(campaign).violations,
      ElementsAre(At("priority"), At("audience.store_ids[1]"), At("audience.attributes[0].values"),
                  At("rules[0].conditions[0].line_match.lines"),
                  At("rules[0].conditions[1].receipt_sum"),
                  At("rules[0].conditions[2].level.levels"), At("rules[0].conditions[3].tag.tag"),
                  At("rules[0].conditions[4].attribute.values"),
                  At("rules[0].conditions[5].time_of_day.window.end_minute"),
                  At("rules[0].conditions[6].day_of_week.days"),
                  At("rules[0].conditions[7].promo_code"), At("rules[0].effects[0].discount"),
                  At("rules[0].effects[1].gift.sku"), At("rules[0].effects[1].gift.quantity_milli"),
                  At("rules[0].effects[2].set_attribute.key")));
}

TEST(ViolationsToStatusTest, NamesTheFirstFieldAndListsAll) {
  EXPECT_TRUE(ViolationsToStatus({}).ok());
  absl::Status status =
      ViolationsToStatus({{"rules[0].rule_id", "is required"},
                          {"rules[1].effects", "a rule needs at least one effect"}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(status), "rules[0].rule_id");
  EXPECT_EQ(status.message(),
            "rules[0].rule_id: is required; rules[1].effects: a rule needs at least one effect");
}

}  // namespace
}  // namespace loyalty::promotions

namespace loyalty::promotions {
namespace {

TEST(ValidateCampaignTest, BudgetCapsAreZeroForNoneAndNeverNegative) {
  Campaign campaign = ValidCampaign();
  campaign.budget = {.max_discount = 100000, .max_uses_per_client = 1};
  EXPECT_TRUE(ValidateCampaign(campaign).ok());
  campaign.budget = {.max_discount = -1, .max_bonus_points_per_client = -5};
  EXPECT_THAT(ValidateCampaign(campaign).violations,
              ElementsAre(At("budget.max_discount"), At("budget.max_bonus_points_per_client")));
}

}  // namespace
}  // namespace loyalty::promotions
