#include "services/pos/domain/campaign_budgets.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::pos {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

promotions::Consumption Gave(std::string id, int64_t discount, int64_t points,
                             promotions::Budget budget) {
  return {
      .campaign_id = std::move(id), .discount = discount, .bonus_points = points, .budget = budget};
}

TEST(ClaimsOfTest, OnlyCampaignsWithABudgetAndPointsOnlyWhenEarned) {
  std::vector<promotions::Consumption> consumption = {
      Gave("free", 100, 5, {}), Gave("capped", 200, 7, {.max_bonus_points = 1000})};
  std::vector<BudgetClaim> claims = ClaimsOf(consumption, /*earns_points=*/true);
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(claims[0].campaign_id, "capped");
  EXPECT_EQ(claims[0].discount, 200);
  EXPECT_EQ(claims[0].bonus_points, 7);
  EXPECT_EQ(ClaimsOf(consumption, /*earns_points=*/false)[0].bonus_points, 0);
}

TEST(RefusedWithoutClientTest, PerClientCapsNeedACard) {
  std::vector<BudgetClaim> claims = {{.campaign_id = "total", .budget = {.max_discount = 9}},
                                     {.campaign_id = "each", .budget = {.max_uses_per_client = 1}}};
  EXPECT_THAT(RefusedWithoutClient(claims, ""), ElementsAre("each"));
  EXPECT_THAT(RefusedWithoutClient(claims, "7000"), IsEmpty());
}

// Grants a campaign while what it has left covers the claim's discount.
class FakeBudgets final : public CampaignBudgets {
 public:
  absl::StatusOr<std::vector<std::string>> Reserve(const BudgetKey& key,
                                                   const std::vector<BudgetClaim>& claims,
                                                   absl::Time) override {
    ++reserve_calls;
    std::vector<std::string> refused;
    for (const BudgetClaim& claim : claims) {
      if (claim.discount > left[claim.campaign_id]) refused.push_back(claim.campaign_id);
    }
    if (refused.empty()) reserved_for = key.receipt_id;
    return refused;
  }
  absl::Status Release(const std::string&, const std::string&, int32_t) override {
    return absl::OkStatus();
  }
  absl::Status ReleaseBefore(const std::string&, const std::string&, int32_t) override {
    return absl::OkStatus();
  }
  absl::Status Consume(const std::string&, const std::string&, int32_t, absl::Time) override {
    return absl::OkStatus();
  }
  absl::Status Unconsume(const std::string&, const std::string&, int32_t, absl::Time) override {
    return absl::OkStatus();
  }
  absl::Status GiveBack(const std::string&, const std::string&) override {
    return absl::OkStatus();
  }

  std::map<std::string, int64_t> left;
  int reserve_calls = 0;
  std::string reserved_for;
};

// Pricing by a fake engine: "a" gives 300, "b" gives 200 (500 when "a" is
// left out, as an exclusive alternative would), both with a budget.
CampaignPricing PriceWithout(const std::vector<std::string>& excluded) {
  auto left_out = [&](const std::string& id) {
    return std::find(excluded.begin(), excluded.end(), id) != excluded.end();
  };
  CampaignPricing pricing;
  promotions::Budget budget{.max_discount = 1000};
  if (!left_out("a")) pricing.consumption.push_back(Gave("a", 300, 0, budget));
  if (!left_out("b"))
    pricing.consumption.push_back(Gave("b", left_out("a") ? 500 : 200, 0, budget));
  return pricing;
}

TEST(PriceWithinBudgetsTest, EverythingCoveredIsReservedOnce) {
  FakeBudgets budgets;
  budgets.left = {{"a", 300}, {"b", 1000}};
  int reprices = 0;
  auto priced = PriceWithinBudgets(
      budgets, {.program_id = "p", .receipt_id = "r1", .card_number = "7000"}, true,
      absl::UnixEpoch(), PriceWithout({}), [&](const std::vector<std::string>& excluded) {
        ++reprices;
        return PriceWithout(excluded);
      });
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->consumption.size(), 2u);
  EXPECT_THAT(priced->messages, IsEmpty());
  EXPECT_EQ(budgets.reserve_calls, 1);
  EXPECT_EQ(reprices, 0);
  EXPECT_EQ(budgets.reserved_for, "r1");
}

TEST(PriceWithinBudgetsTest, ARefusedCampaignIsLeftOutAndWhatIsLeftReservedAgain) {
  FakeBudgets budgets;
  budgets.left = {{"a", 299}, {"b", 1000}};
  std::vector<std::vector<std::string>> asked;
  auto priced = PriceWithinBudgets(
      budgets, {.program_id = "p", .receipt_id = "r1", .card_number = "7000"}, true,
      absl::UnixEpoch(), PriceWithout({}), [&](const std::vector<std::string>& excluded) {
        asked.push_back(excluded);
        return PriceWithout(excluded);
      });
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_THAT(asked, ElementsAre(ElementsAre("a")));
  ASSERT_EQ(priced->consumption.size(), 1u);
  EXPECT_EQ(priced->consumption[0].campaign_id, "b");
  EXPECT_EQ(priced->consumption[0].discount, 500);
  EXPECT_THAT(priced->messages, ElementsAre(BudgetExhaustedMessage("a")));
  EXPECT_EQ(budgets.reserve_calls, 2);
}

TEST(PriceWithinBudgetsTest, LeavingOneOutCanMakeAnotherTooBigAndBothGo) {
  FakeBudgets budgets;
  budgets.left = {{"a", 0}, {"b", 400}};  // b fits at 200, not at 500
  auto priced = PriceWithinBudgets(
      budgets, {.program_id = "p", .receipt_id = "r1", .card_number = "7000"}, true,
      absl::UnixEpoch(), PriceWithout({}),
      [&](const std::vector<std::string>& excluded) { return PriceWithout(excluded); });
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_THAT(priced->consumption, IsEmpty());
  EXPECT_THAT(priced->messages,
              ElementsAre(BudgetExhaustedMessage("a"), BudgetExhaustedMessage("b")));
}

TEST(PriceWithinBudgetsTest, WithoutACardPerClientCapsRefuseWithoutAskingTheStore) {
  FakeBudgets budgets;
  CampaignPricing pricing;
  pricing.consumption.push_back(Gave("each", 100, 0, {.max_uses_per_client = 1}));
  auto priced = PriceWithinBudgets(
      budgets, {.program_id = "p", .receipt_id = "r1"}, false, absl::UnixEpoch(), pricing,
      [](const std::vector<std::string>&) { return CampaignPricing{}; });
  ASSERT_TRUE(priced.ok());
  EXPECT_EQ(budgets.reserve_calls, 0);
  EXPECT_THAT(priced->messages, ElementsAre(BudgetExhaustedMessage("each")));
}

}  // namespace
}  // namespace loyalty::pos
