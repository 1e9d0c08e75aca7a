#include "services/pos/domain/campaign_pricing.h"

#include "gtest/gtest.h"
#include "services/pos/domain/test_campaigns.h"

namespace loyalty::pos {
namespace {

PricedLine Line(int32_t number, const std::string& sku, const std::string& category,
                int64_t amount) {
  return PricedLine{.line_number = number,
                    .sku = sku,
                    .category = category,
                    .quantity_milli = 1000,
                    .price = amount,
                    .amount = amount};
}

const SaleFacts kSale{.store_id = "s1",
                      .partner_id = "p1",
                      .channel = "web",
                      .time = absl::FromUnixSeconds(1'800'000'000),
                      .accrual_rate_bp = 500,
                      .point_value = 100};

TEST(BuildCampaignInputTest, TakesCategoriesAndExclusionFlagsFromTheCatalogue) {
  std::vector<PricedLine> lines = {Line(1, "milk", "sent-by-till", 10000),
                                   Line(2, "cigarettes", "tobacco", 5000),
                                   Line(3, "unknown", "till-category", 700),
                                   Line(4, "gift-card", "cards", 900)};
  absl::flat_hash_map<std::string, ProductFacts> products = {
      {"milk", {.category_id = "dairy"}},
      {"cigarettes", {.category_id = "tobacco", .no_discount = true}},
      {"gift-card", {.category_id = "cards", .no_accrual = true}}};
  CampaignInput input = BuildCampaignInput(lines, products, kSale);
  // Every line counts towards conditions; the flags only keep effects off.
  ASSERT_EQ(input.receipt.lines.size(), 4u);
  EXPECT_EQ(input.receipt.lines[0].category, "dairy");
  EXPECT_TRUE(input.receipt.lines[0].discountable);
  EXPECT_TRUE(input.receipt.lines[0].accrues_points);
  EXPECT_FALSE(input.receipt.lines[1].discountable);
  EXPECT_TRUE(input.receipt.lines[1].accrues_points);
  EXPECT_EQ(input.receipt.lines[2].category, "till-category");
  EXPECT_EQ(input.receipt.lines[2].amount, 700);
  EXPECT_TRUE(input.receipt.lines[2].discountable);
  EXPECT_TRUE(input.receipt.lines[3].discountable);
  EXPECT_FALSE(input.receipt.lines[3].accrues_points);
  EXPECT_EQ(input.pos_line, (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(input.receipt.store_id, "s1");
  EXPECT_EQ(input.receipt.partner_id, "p1");
  EXPECT_EQ(input.receipt.channel, "web");
  EXPECT_EQ(input.receipt.base_accrual_rate_bp, 500);
  EXPECT_FALSE(input.receipt.member.has_value());
}

TEST(ApplyCampaignOutcomeTest, DiscountsTheSelectedLineAndNamesCampaignVersionAndLine) {
  std::vector<PricedLine> lines = {Line(1, "bread", "bakery", 3000),
                                   Line(2, "cigarettes", "dairy", 5000),
                                   Line(7, "milk", "", 10000)};
  absl::flat_hash_map<std::string, ProductFacts> products = {
      {"milk", {.category_id = "dairy"}},
      {"cigarettes", {.category_id = "dairy", .no_discount = true}}};
  CampaignInput input = BuildCampaignInput(lines, products, kSale);
  auto snapshot = promotions::Snapshot::Compile(
      {PercentOffCategory("c-dairy", 3, "dairy", 1000, "Dairy week: 10% off")},
      absl::UTCTimeZone());
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  auto outcome = promotions::Evaluate(*snapshot, input.receipt);
  ASSERT_TRUE(outcome.ok()) << outcome.status();

  CampaignPricing pricing = ApplyCampaignOutcome(*outcome, input, lines);
  EXPECT_EQ(lines[0].discount, 0);
  EXPECT_EQ(lines[1].discount, 0);  // no_discount, although in the category
  EXPECT_EQ(lines[2].discount, 1000);
  ASSERT_EQ(pricing.applied.size(), 1u);
  const AppliedRule& rule = pricing.applied[0];
  EXPECT_EQ(rule.campaign_id, "c-dairy");
  EXPECT_EQ(rule.campaign_version, 3);
  EXPECT_EQ(rule.rule_id, "r1");
  EXPECT_EQ(rule.discount, 1000);
  ASSERT_EQ(rule.lines.size(), 1u);
  EXPECT_EQ(rule.lines[0].line_number, 7);
  EXPECT_EQ(rule.lines[0].discount, 1000);
  EXPECT_EQ(pricing.messages, std::vector<std::string>{"Dairy week: 10% off"});
}

TEST(ApplyCampaignOutcomeTest, NoDiscountLineCountsTowardsTheReceiptSum) {
  // 5000 of tobacco + 2000 of milk reach the 6000 threshold; only the milk
  // is discounted, and the tobacco earns no campaign points either when it
  // is also no_accrual.
  std::vector<PricedLine> lines = {Line(1, "tobacco", "t", 5000), Line(2, "milk", "dairy", 2000)};
  absl::flat_hash_map<std::string, ProductFacts> products = {
      {"tobacco", {.category_id = "t", .no_discount = true, .no_accrual = true}}};
  CampaignInput input = BuildCampaignInput(lines, products, kSale);
  promotions::Campaign campaign = PercentOffCategory("c-sum", 1, "dairy", 1000, "");
  campaign.rules[0].conditions = {promotions::ReceiptSumCondition{.min_amount = 6000}};
  campaign.rules[0].effects = {
      promotions::DiscountEffect{.target = promotions::Target::kReceipt, .percent_bp = 1000},
      promotions::PointsEffect{.target = promotions::Target::kReceipt, .fixed_points = 7}};
  auto snapshot = promotions::Snapshot::Compile({campaign}, absl::UTCTimeZone());
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  auto outcome = promotions::Evaluate(*snapshot, input.receipt);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  CampaignPricing pricing = ApplyCampaignOutcome(*outcome, input, lines);
  EXPECT_EQ(lines[0].discount, 0);
  EXPECT_EQ(lines[1].discount, 200);
  EXPECT_EQ(pricing.line_bonus_points, (std::vector<int64_t>{0, 7}));
  ASSERT_EQ(pricing.applied.size(), 1u);
  ASSERT_EQ(pricing.applied[0].lines.size(), 1u);
  EXPECT_EQ(pricing.applied[0].lines[0].line_number, 2);
}

TEST(ApplyCampaignOutcomeTest, BonusPointsGoToThePosLineTheyWereEarnedOn) {
  std::vector<PricedLine> lines = {Line(1, "tobacco", "t", 5000), Line(2, "milk", "dairy", 2000)};
  absl::flat_hash_map<std::string, ProductFacts> products = {
      {"tobacco", {.category_id = "t", .no_discount = true}}};
  CampaignInput input = BuildCampaignInput(lines, products, kSale);
  promotions::Outcome outcome;
  outcome.lines = {{}, {.discount = 200, .bonus_points = 15}};
  outcome.discount = 200;
  outcome.bonus_points = 15;
  outcome.near_misses.push_back({.campaign_id = "c2", .rule_id = "r", .missing_amount = 500});
  CampaignPricing pricing = ApplyCampaignOutcome(outcome, input, lines);
  EXPECT_EQ(lines[0].discount, 0);
  EXPECT_EQ(lines[1].discount, 200);
  EXPECT_EQ(pricing.line_bonus_points, (std::vector<int64_t>{0, 15}));
  EXPECT_EQ(pricing.bonus_points, 15);
  EXPECT_EQ(pricing.messages, std::vector<std::string>{"Spend 500 more"});
}

TEST(ApplyCampaignOutcomeTest, GiftsCarryTheRuleAndVersionThatGaveThem) {
  std::vector<PricedLine> lines = {Line(1, "milk", "dairy", 7000)};
  CampaignInput input = BuildCampaignInput(lines, {}, kSale);
  promotions::Campaign campaign = PercentOffCategory("c-gift", 4, "dairy", 0, "");
  campaign.rules[0].conditions = {promotions::ReceiptSumCondition{.min_amount = 5000}};
  campaign.rules[0].effects = {
      promotions::GiftEffect{.sku = "mug", .quantity_milli = 2000},
      promotions::GiftEffect{.sku = "cookie", .quantity_milli = 500, .price = 150}};
  auto snapshot = promotions::Snapshot::Compile({campaign}, absl::UTCTimeZone());
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  auto outcome = promotions::Evaluate(*snapshot, input.receipt);
  ASSERT_TRUE(outcome.ok()) << outcome.status();

  CampaignPricing pricing = ApplyCampaignOutcome(*outcome, input, lines);
  EXPECT_EQ(lines[0].discount, 0);  // a gift is not a discount
  ASSERT_EQ(pricing.gifts.size(), 2u);
  EXPECT_EQ(pricing.gifts[0].sku, "mug");
  EXPECT_EQ(pricing.gifts[0].quantity_milli, 2000);
  EXPECT_EQ(pricing.gifts[0].price, 0);
  EXPECT_EQ(pricing.gifts[0].campaign_id, "c-gift");
  EXPECT_EQ(pricing.gifts[0].campaign_version, 4);
  EXPECT_EQ(pricing.gifts[0].rule_id, "r1");
  EXPECT_EQ(pricing.gifts[1].sku, "cookie");
  EXPECT_EQ(pricing.gifts[1].price, 150);

  // Under the threshold the rule gives nothing.
  std::vector<PricedLine> small = {Line(1, "milk", "dairy", 4000)};
  CampaignInput small_input = BuildCampaignInput(small, {}, kSale);
  auto none = promotions::Evaluate(*snapshot, small_input.receipt);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(ApplyCampaignOutcome(*none, small_input, small).gifts.empty());
}

TEST(ApplyCampaignOutcomeTest, ActionsCarryTheirParametersRuleAndVersion) {
  std::vector<PricedLine> lines = {Line(1, "milk", "dairy", 7000)};
  CampaignInput input = BuildCampaignInput(lines, {}, kSale);
  promotions::Campaign campaign = PercentOffCategory("c-act", 6, "dairy", 0, "");
  campaign.rules[0].conditions = {promotions::ReceiptSumCondition{.min_amount = 5000}};
  campaign.rules[0].effects = {promotions::AddTagAction{.tag = "buyer"},
                               promotions::SetAttributeAction{.key = "tier", .value = "gold"},
                               promotions::IssuePromoCodeAction{.pool_id = "pool-1"}};
  auto snapshot = promotions::Snapshot::Compile({campaign}, absl::UTCTimeZone());
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  auto outcome = promotions::Evaluate(*snapshot, input.receipt);
  ASSERT_TRUE(outcome.ok()) << outcome.status();

  CampaignPricing pricing = ApplyCampaignOutcome(*outcome, input, lines);
  ASSERT_EQ(pricing.actions.size(), 3u);
  EXPECT_EQ(pricing.actions[0].kind, ActionKind::kAddTag);
  EXPECT_EQ(pricing.actions[0].target, "buyer");
  EXPECT_EQ(pricing.actions[1].kind, ActionKind::kSetAttribute);
  EXPECT_EQ(pricing.actions[1].target, "tier");
  EXPECT_EQ(pricing.actions[1].value, "gold");
  EXPECT_EQ(pricing.actions[2].kind, ActionKind::kIssuePromoCode);
  EXPECT_EQ(pricing.actions[2].target, "pool-1");
  for (const ReceiptAction& action : pricing.actions) {
    EXPECT_EQ(action.campaign_id, "c-act");
    EXPECT_EQ(action.campaign_version, 6);
    EXPECT_EQ(action.rule_id, "r1");
    EXPECT_EQ(action.state, ActionState::kPending);
  }
}

TEST(NameGiftsTest, NamesKnownGiftsAndKeepsUnknownOnesWithAMessage) {
  CampaignPricing pricing;
  pricing.messages = {"Rule message"};
  pricing.gifts = {
      {.campaign_id = "c", .rule_id = "r", .sku = "mug", .quantity_milli = 1000},
      {.campaign_id = "c", .rule_id = "r", .sku = "ghost", .quantity_milli = 1500, .price = 250}};
  NameGifts({{"mug", "Coffee mug"}}, pricing);
  EXPECT_TRUE(pricing.gifts[0].in_catalogue);
  EXPECT_EQ(pricing.gifts[0].product_name, "Coffee mug");
  EXPECT_FALSE(pricing.gifts[1].in_catalogue);
  EXPECT_EQ(pricing.gifts[1].product_name, "");
  EXPECT_EQ(pricing.messages,
            (std::vector<std::string>{"Rule message", "Gift: 1 x Coffee mug (mug), free",
                                      "Gift: 1.5 x ghost at 250 each (not in the catalogue)"}));
}

}  // namespace
}  // namespace loyalty::pos
