// Random programs and receipts (fixed seeds) against the invariants every
// outcome must keep, whatever the campaigns say.

#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/common/decimal.h"
#include "libs/promotions/engine.h"

namespace loyalty::promotions {
namespace {

const std::vector<std::string> kSkus = {"a", "b", "c", "d", "e", "f"};
const std::vector<std::string> kCategories = {"x", "y", "z"};

class Generator {
 public:
  explicit Generator(uint32_t seed) : random_(seed) {}

  int64_t Between(int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(random_);
  }
  bool Chance(int percent) { return Between(1, 100) <= percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& values) {
    return values[static_cast<size_t>(Between(0, static_cast<int64_t>(values.size()) - 1))];
  }

  LineSelector Selector() {
    LineSelector selector;
    if (Chance(50)) selector.skus = {Pick(kSkus), Pick(kSkus)};
    if (selector.skus.empty() || Chance(30)) selector.categories = {Pick(kCategories)};
    // Duplicates are invalid in a campaign.
    if (selector.skus.size() == 2 && selector.skus[0] == selector.skus[1]) selector.skus.pop_back();
    return selector;
  }

  Effect MakeEffect() {
    Target target = Chance(50) ? Target::kReceipt : Target::kLines;
    LineSelector lines = target == Target::kLines ? Selector() : LineSelector{};
    switch (Between(0, 5)) {
      case 0:
        return DiscountEffect{.target = target,
                              .lines = lines,
                              .percent_bp = static_cast<int32_t>(Between(1, 10000))};
      case 1:
        return DiscountEffect{.target = target, .lines = lines, .fixed_amount = Between(1, 50000)};
      case 2:
        return PointsEffect{.target = target, .lines = lines, .fixed_points = Between(1, 500)};
      case 3:
        return PointsEffect{.target = target,
                            .lines = lines,
                            .percent_bp = static_cast<int32_t>(Between(1, 10000))};
      case 4:
        return PointsEffect{
            .target = target, .lines = lines, .multiplier = static_cast<int32_t>(Between(2, 5))};
      default:
        return GiftEffect{.sku = Pick(kSkus)};
    }
  }

  Condition MakeCondition() {
    switch (Between(0, 2)) {
      case 0:
        return ReceiptSumCondition{.min_amount = Between(1, 20000)};
      case 1:
        return LinesCondition{.lines = Selector(), .min_quantity_milli = Between(0, 3000)};
      default:
        return TimeOfDayCondition{
            .window = {.start_minute = 0, .end_minute = static_cast<int32_t>(Between(1, 1440))}};
    }
  }

  Campaign MakeCampaign(int index) {
    Campaign campaign;
    campaign.campaign_id = absl::StrCat("c", index);
    campaign.name = campaign.campaign_id;
    campaign.state = CampaignState::kActive;
    campaign.priority = static_cast<int32_t>(Between(0, 5));
    campaign.stacking = static_cast<Stacking>(Between(1, 3));
    if (Chance(20)) campaign.audience.store_ids = {Chance(50) ? "s1" : "s2"};
    int rules = static_cast<int>(Between(1, 3));
    for (int r = 0; r < rules; ++r) {
      Rule rule;
      rule.rule_id = absl::StrCat("r", r);
      int conditions = static_cast<int>(Between(0, 2));
      for (int c = 0; c < conditions; ++c) rule.conditions.push_back(MakeCondition());
      int effects = static_cast<int>(Between(1, 3));
      for (int e = 0; e < effects; ++e) rule.effects.push_back(MakeEffect());
      campaign.rules.push_back(std::move(rule));
    }
    return campaign;
  }

  ReceiptContext MakeReceipt() {
    ReceiptContext receipt;
    receipt.store_id = Chance(50) ? "s1" : "s3";
    receipt.time = absl::FromUnixSeconds(1'790'000'000 + Between(0, 86400));
    receipt.base_accrual_rate_bp = static_cast<int32_t>(Between(0, 1000));
    receipt.point_value = Pick(std::vector<int64_t>{1, 10, 100});
    int lines = static_cast<int>(Between(1, 30));
    for (int i = 0; i < lines; ++i) {
      ReceiptLine line;
      line.sku = Pick(kSkus);
      line.category = Pick(kCategories);
      line.quantity_milli = Chance(70) ? Between(1, 5) * 1000 : Between(1, 3000);
      line.price = Chance(10) ? 0 : Between(1, 100000);
      line.amount = MulDivRoundHalfUp(line.price, line.quantity_milli, 1000);
      line.discountable = !Chance(15);
      line.accrues_points = !Chance(15);
      receipt.lines.push_back(std::move(line));
    }
    return receipt;
  }

 private:
  std::mt19937 random_;
};

TEST(EvaluatePropertyTest, InvariantsHoldForRandomProgramsAndReceipts) {
  Generator generate(20261122);
  int applied = 0;
  for (int program = 0; program < 200; ++program) {
    std::vector<Campaign> campaigns;
    int count = static_cast<int>(generate.Between(1, 12));
    for (int c = 0; c < count; ++c) campaigns.push_back(generate.MakeCampaign(c));
    EvaluationSettings settings{.min_unit_price = generate.Pick(std::vector<int64_t>{0, 0, 1, 50})};
    absl::StatusOr<Snapshot> snapshot = Snapshot::Compile(campaigns, absl::UTCTimeZone(), settings);
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();

    for (int r = 0; r < 20; ++r) {
      ReceiptContext receipt = generate.MakeReceipt();
      SCOPED_TRACE(absl::StrCat("program ", program, " receipt ", r));
      absl::StatusOr<Outcome> outcome = Evaluate(*snapshot, receipt);
      ASSERT_TRUE(outcome.ok()) << outcome.status();
      ASSERT_EQ(outcome->lines.size(), receipt.lines.size());

      int64_t discount = 0;
      int64_t points = 0;
      for (size_t i = 0; i < receipt.lines.size(); ++i) {
        const ReceiptLine& line = receipt.lines[i];
        const LineOutcome& result = outcome->lines[i];
        int64_t floor =
            std::min(line.amount, (settings.min_unit_price * line.quantity_milli + 999) / 1000);
        EXPECT_GE(result.discount, 0);
        EXPECT_LE(result.discount, line.amount - floor);
        EXPECT_GE(result.bonus_points, 0);
        if (!line.discountable) {
          EXPECT_EQ(result.discount, 0) << "line " << i;
        }
        if (!line.accrues_points) {
          EXPECT_EQ(result.bonus_points, 0) << "line " << i;
        }
        discount += result.discount;
        points += result.bonus_points;
      }
      EXPECT_EQ(discount, outcome->discount);
      EXPECT_EQ(points, outcome->bonus_points);

      // Explanations and consumption account for the same totals.
      int64_t explained_discount = 0, explained_points = 0;
      for (const Explanation& explanation : outcome->explanations) {
        int64_t line_discount = 0, line_points = 0;
        int32_t previous = -1;
        for (const LineShare& share : explanation.lines) {
          EXPECT_GT(share.line_index, previous);  // one share per line, in order
          previous = share.line_index;
          line_discount += share.discount;
          line_points += share.bonus_points;
        }
        EXPECT_EQ(line_discount, explanation.discount);
        EXPECT_EQ(line_points, explanation.bonus_points);
        explained_discount += explanation.discount;
        explained_points += explanation.bonus_points;
      }
      EXPECT_EQ(explained_discount, outcome->discount);
      EXPECT_EQ(explained_points, outcome->bonus_points);
      int64_t consumed_discount = 0, consumed_points = 0;
      for (const Consumption& consumption : outcome->consumption) {
        consumed_discount += consumption.discount;
        consumed_points += consumption.bonus_points;
      }
      EXPECT_EQ(consumed_discount, outcome->discount);
      EXPECT_EQ(consumed_points, outcome->bonus_points);
      applied += outcome->explanations.empty() ? 0 : 1;

      // Same input, same output.
      absl::StatusOr<Outcome> again = Evaluate(*snapshot, receipt);
      ASSERT_TRUE(again.ok());
      for (size_t i = 0; i < receipt.lines.size(); ++i) {
        EXPECT_EQ(again->lines[i].discount, outcome->lines[i].discount);
        EXPECT_EQ(again->lines[i].bonus_points, outcome->lines[i].bonus_points);
      }
      EXPECT_EQ(again->explanations.size(), outcome->explanations.size());
    }
  }
  // The generator exercises the engine, not only the filters.
  EXPECT_GT(applied, 1000);
}

}  // namespace
}  // namespace loyalty::promotions
