#include "services/campaigns/domain/campaign.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::campaigns {
namespace {

Campaign Valid() {
  Campaign campaign;
  campaign.name = "Double points weekend";
  campaign.priority = 10;
  return campaign;
}

std::string FieldOf(const absl::Status& status) { return ViolatedField(status).value_or("<none>"); }

TEST(CountCharsTest, CountsCodePointsNotBytes) {
  EXPECT_EQ(CountChars(""), 0);
  EXPECT_EQ(CountChars("abc"), 3);
  EXPECT_EQ(CountChars("\xD0\x9F\xD1\x80\xD0\xB8"), 3);  // "При" in Cyrillic
  EXPECT_EQ(CountChars("\xF0\x9F\x8E\x81"), 1);          // one emoji, four bytes
}

TEST(PrepareNewCampaignTest, AcceptsValidAndForcesDraft) {
  Campaign campaign = Valid();
  campaign.name = "  Spring sale \n";
  campaign.state = CampaignState::kActive;
  ASSERT_TRUE(PrepareNewCampaign(campaign, "campaign.").ok());
  EXPECT_EQ(campaign.name, "Spring sale");
  EXPECT_EQ(campaign.state, CampaignState::kDraft);
}

TEST(PrepareNewCampaignTest, NameLength) {
  Campaign empty = Valid();
  empty.name = "   ";
  EXPECT_EQ(FieldOf(PrepareNewCampaign(empty, "campaign.")), "campaign.name");

  Campaign longest = Valid();
  longest.name.clear();
  for (int i = 0; i < kMaxNameChars; ++i) longest.name += "\xD1\x8F";  // 2 bytes each
  EXPECT_TRUE(PrepareNewCampaign(longest, "campaign.").ok());

  Campaign too_long = Valid();
  too_long.name = std::string(kMaxNameChars + 1, 'x');
  absl::Status status = PrepareNewCampaign(too_long, "campaign.");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(status), "campaign.name");
}

TEST(PrepareNewCampaignTest, PriorityRange) {
  for (int32_t priority : {0, 1000}) {
    Campaign campaign = Valid();
    campaign.priority = priority;
    EXPECT_TRUE(PrepareNewCampaign(campaign, "campaign.").ok()) << priority;
  }
  for (int32_t priority : {-1, 1001}) {
    Campaign campaign = Valid();
    campaign.priority = priority;
    EXPECT_EQ(FieldOf(PrepareNewCampaign(campaign, "campaign.")), "campaign.priority") << priority;
  }
}

TEST(PrepareNewCampaignTest, EndMustFollowStart) {
  absl::Time start = absl::FromUnixSeconds(1'700'000'000);
  Campaign ok = Valid();
  ok.start_time = start;
  ok.end_time = start + absl::Seconds(1);
  EXPECT_TRUE(PrepareNewCampaign(ok, "campaign.").ok());

  Campaign same = Valid();
  same.start_time = start;
  same.end_time = start;
  EXPECT_EQ(FieldOf(PrepareNewCampaign(same, "campaign.")), "campaign.end_time");

  Campaign before = Valid();
  before.start_time = start;
  before.end_time = start - absl::Hours(1);
  EXPECT_EQ(FieldOf(PrepareNewCampaign(before, "campaign.")), "campaign.end_time");

  // Either bound alone is fine: open start or open end.
  Campaign open_start = Valid();
  open_start.end_time = start;
  EXPECT_TRUE(PrepareNewCampaign(open_start, "campaign.").ok());
  Campaign open_end = Valid();
  open_end.start_time = start;
  EXPECT_TRUE(PrepareNewCampaign(open_end, "campaign.").ok());
}

TEST(PrepareNewCampaignTest, DescriptionLimit) {
  Campaign campaign = Valid();
  campaign.description = std::string(kMaxDescriptionChars + 1, 'd');
  EXPECT_EQ(FieldOf(PrepareNewCampaign(campaign, "campaign.")), "campaign.description");
}

promotions::Rule TenPercentOff() {
  promotions::Rule rule;
  rule.rule_id = "ten-off";
  rule.conditions.push_back(promotions::ReceiptSumCondition{100'000, std::nullopt});
  rule.effects.push_back(promotions::DiscountEffect{promotions::Target::kReceipt, {}, 1000, 0});
  return rule;
}

TEST(ResourceFieldPathTest, StartAndEndMoveOutOfTheSchedule) {
  EXPECT_EQ(ResourceFieldPath("schedule.start_time"), "start_time");
  EXPECT_EQ(ResourceFieldPath("schedule.end_time"), "end_time");
  EXPECT_EQ(ResourceFieldPath("schedule.hours[1].end_minute"), "schedule.hours[1].end_minute");
  EXPECT_EQ(ResourceFieldPath("rules[0].effects[1].discount.percent_bp"),
            "rules[0].effects[1].discount.percent_bp");
}

TEST(ValidateDefinitionTest, NamesTheRequestFieldOfEveryViolation) {
  Campaign campaign = Valid();
  promotions::Rule rule = TenPercentOff();
  rule.effects.push_back(promotions::DiscountEffect{promotions::Target::kReceipt, {}, 20000, 0});
  campaign.rules.push_back(rule);
  campaign.schedule.time_zone = "Mars/Olympus";
  absl::Status status = ValidateDefinition(campaign, /*require_rules=*/false, "campaign.");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  // The first in field order is named; all are in the message.
  EXPECT_EQ(FieldOf(status), "campaign.schedule.time_zone");
  EXPECT_NE(status.message().find("campaign.rules[0].effects[1].discount.percent_bp"),
            absl::string_view::npos)
      << status;
}

TEST(ValidateDefinitionTest, RulesAreRequiredOnlyWhenAsked) {
  Campaign campaign = Valid();
  EXPECT_TRUE(ValidateDefinition(campaign, /*require_rules=*/false, "campaign.").ok());
  EXPECT_EQ(FieldOf(ValidateDefinition(campaign, /*require_rules=*/true, "campaign.")),
            "campaign.rules");
  campaign.rules.push_back(TenPercentOff());
  EXPECT_TRUE(ValidateDefinition(campaign, /*require_rules=*/true, "campaign.").ok());
}

TEST(CheckTransitionTest, FollowsTheLifecycle) {
  using S = CampaignState;
  EXPECT_TRUE(*CheckTransition(S::kDraft, S::kActive));
  EXPECT_TRUE(*CheckTransition(S::kActive, S::kPaused));
  EXPECT_TRUE(*CheckTransition(S::kPaused, S::kActive));
  EXPECT_TRUE(*CheckTransition(S::kActive, S::kFinished));
  EXPECT_TRUE(*CheckTransition(S::kPaused, S::kFinished));
  for (S state : {S::kDraft, S::kActive, S::kPaused, S::kFinished}) {
    EXPECT_FALSE(*CheckTransition(state, state));  // already there: no change
  }
  for (auto [from, to] : {std::pair{S::kDraft, S::kPaused}, std::pair{S::kDraft, S::kFinished},
                          std::pair{S::kFinished, S::kActive}, std::pair{S::kFinished, S::kPaused},
                          std::pair{S::kFinished, S::kDraft}, std::pair{S::kActive, S::kDraft}}) {
    absl::StatusOr<bool> refused = CheckTransition(from, to);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(refused.status().message().find(StateName(from)), absl::string_view::npos);
  }
}

TEST(CheckActivationTest, NeedsARuleAndNamesTheField) {
  Campaign campaign = Valid();
  absl::Status refused = CheckActivation(campaign);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FieldOf(refused), "rules");
  campaign.rules.push_back(TenPercentOff());
  EXPECT_TRUE(CheckActivation(campaign).ok());
}

TEST(CheckEditTest, FinishedIsFinalAndActiveKeepsARule) {
  Campaign current = Valid();
  current.rules.push_back(TenPercentOff());
  Campaign edited = current;
  edited.rules.clear();
  current.state = CampaignState::kPaused;
  EXPECT_TRUE(CheckEdit(current, edited, "campaign.").ok());
  current.state = CampaignState::kActive;
  EXPECT_EQ(FieldOf(CheckEdit(current, edited, "campaign.")), "campaign.rules");
  current.state = CampaignState::kFinished;
  edited = current;
  EXPECT_EQ(CheckEdit(current, edited, "campaign.").code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace loyalty::campaigns

namespace loyalty::campaigns {
namespace {

TEST(PrepareNewCampaignTest, ABudgetCapIsNeverNegative) {
  Campaign capped = Valid();
  capped.budget = {.max_discount = 100000, .max_uses_per_client = 1};
  EXPECT_TRUE(PrepareNewCampaign(capped, "campaign.").ok());
  Campaign negative = Valid();
  negative.budget.max_uses_per_client = -1;
  absl::Status status = PrepareNewCampaign(negative, "campaign.");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(status).value_or("<none>"), "campaign.budget.max_uses_per_client");
}

}  // namespace
}  // namespace loyalty::campaigns
