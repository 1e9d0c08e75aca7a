#include "services/pos/domain/pricing.h"

#include <numeric>

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::pos {
namespace {

PosSettings Settings() {
  return PosSettings{.accrual_rate_bp = 500, .max_redeem_share_bp = 5000, .point_value = 100};
}

std::vector<PricedLine> Lines(std::vector<LineInput> inputs) {
  auto priced = PriceLines(inputs);
  EXPECT_TRUE(priced.ok()) << priced.status();
  return priced.ok() ? *priced : std::vector<PricedLine>{};
}

TEST(PriceLinesTest, ComputesAmountsWithHalfUpRounding) {
  auto lines = Lines({{.sku = "milk", .quantity = "2", .price = 8990},
                      {.sku = "cheese", .quantity = "0.455", .price = 99900},
                      {.sku = "bag", .quantity = "1", .price = 999, .amount = 999}});
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].amount, 17980);
  EXPECT_EQ(lines[1].amount, 45455);  // 45454.5 -> 45455
  EXPECT_EQ(lines[0].line_number, 1);
  EXPECT_EQ(lines[2].line_number, 3);
}

TEST(PriceLinesTest, RejectsBadLinesNamingTheField) {
  auto field = [](std::vector<LineInput> lines) {
    return ViolatedField(PriceLines(lines).status()).value_or("");
  };
  EXPECT_EQ(field({}), "lines");
  EXPECT_EQ(field({{.sku = "a", .quantity = "-1", .price = 1}}), "lines[0].quantity");
  EXPECT_EQ(field({{.sku = "a", .quantity = "0", .price = 1}}), "lines[0].quantity");
  EXPECT_EQ(field({{.sku = "a", .quantity = "", .price = 1}}), "lines[0].quantity");
  EXPECT_EQ(field({{.sku = "a", .quantity = "1", .price = -5}}), "lines[0].price");
  EXPECT_EQ(field({{.sku = "", .quantity = "1", .price = 5}}), "lines[0].sku");
  EXPECT_EQ(field({{.sku = "a", .quantity = "1", .price = 1},
                   {.sku = "b", .quantity = "2", .price = 10, .amount = 21}}),
            "lines[1].amount");
  EXPECT_EQ(field({{.line_number = 1, .sku = "a", .quantity = "1", .price = 1},
                   {.line_number = 1, .sku = "b", .quantity = "1", .price = 1}}),
            "lines[1].line_number");
}

TEST(ApplyLoyaltyTest, CapsSpendingAndEarnsOnThePaidPart) {
  auto lines = Lines({{.sku = "a", .quantity = "1", .price = 60000},
                      {.sku = "b", .quantity = "1", .price = 40000}});
  // Total 1000.00; 50% payable by points of 1.00 -> 500 points at most.
  LoyaltyOutcome outcome = ApplyLoyalty(lines, Settings(), 800, 10000);
  EXPECT_EQ(outcome.max_points_payable, 500);
  EXPECT_EQ(outcome.points_spent, 500);
  EXPECT_EQ(lines[0].points_spent + lines[1].points_spent, 500);
  EXPECT_EQ(lines[0].points_spent, 300);
  // Paid 500.00 -> 5% -> 25.00 -> 25 points.
  EXPECT_EQ(outcome.points_earned, 25);
  EXPECT_EQ(lines[0].points_earned + lines[1].points_earned, 25);
  EXPECT_EQ(AmountToPay(lines, 100), 50000);
}

TEST(ApplyLoyaltyTest, SpendsNoMoreThanAvailable) {
  auto lines = Lines({{.sku = "a", .quantity = "1", .price = 100000}});
  LoyaltyOutcome outcome = ApplyLoyalty(lines, Settings(), 300, 120);
  EXPECT_EQ(outcome.max_points_payable, 120);
  EXPECT_EQ(outcome.points_spent, 120);
  EXPECT_EQ(outcome.points_earned, (100000 - 12000) * 5 / 100 / 100);
}

TEST(ApplyLoyaltyTest, SmallLinesNeverGoBelowZero) {
  auto lines = Lines({{.sku = "a", .quantity = "1", .price = 50},
                      {.sku = "b", .quantity = "1", .price = 50},
                      {.sku = "c", .quantity = "1", .price = 250}});
  PosSettings settings = Settings();
  settings.max_redeem_share_bp = 10000;
  LoyaltyOutcome outcome = ApplyLoyalty(lines, settings, 100, 100);
  EXPECT_EQ(outcome.max_points_payable, 2);  // only line c absorbs whole points
  for (const PricedLine& line : lines) {
    EXPECT_GE(line.amount - line.points_spent * settings.point_value, 0);
  }
}

TEST(PlanRefundTest, PartialRefundsAddUpToTheWhole) {
  auto lines = Lines({{.sku = "a", .quantity = "3", .price = 33333},
                      {.sku = "b", .quantity = "1", .price = 1001}});
  ApplyLoyalty(lines, Settings(), 333, 1000);
  int64_t earned = lines[0].points_earned + lines[1].points_earned;
  int64_t spent = lines[0].points_spent + lines[1].points_spent;

  int64_t reversed = 0, returned = 0, amount = 0;
  for (int i = 0; i < 3; ++i) {
    auto plan = PlanRefund(lines, {{.line_number = 1, .quantity = "1"}}, 100);
    ASSERT_TRUE(plan.ok()) << plan.status();
    reversed += plan->points_to_reverse;
    returned += plan->points_to_return;
    amount += plan->amount;
  }
  auto rest = PlanRefund(lines, {}, 100);
  ASSERT_TRUE(rest.ok());
  reversed += rest->points_to_reverse;
  returned += rest->points_to_return;
  amount += rest->amount;
  EXPECT_EQ(reversed, earned);
  EXPECT_EQ(returned, spent);
  EXPECT_EQ(amount, AmountToPay(lines, 100));
  EXPECT_EQ(PlanRefund(lines, {}, 100).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(PlanRefundTest, RefusesMoreThanWasBought) {
  auto lines = Lines({{.sku = "a", .quantity = "2", .price = 1000}});
  EXPECT_EQ(ViolatedField(PlanRefund(lines, {{.line_number = 1, .quantity = "3"}}, 100).status()),
            "lines[0].quantity");
  EXPECT_EQ(ViolatedField(PlanRefund(lines, {{.line_number = 9, .quantity = "1"}}, 100).status()),
            "lines[0].line_number");
  EXPECT_EQ(lines[0].refunded_quantity_milli, 0);
}

TEST(ValidateSettingsTest, NamesTheField) {
  PosSettings settings = Settings();
  settings.point_value = 0;
  EXPECT_EQ(ViolatedField(ValidateSettings(settings)), "settings.point_value");
  settings = Settings();
  settings.max_redeem_share_bp = 10001;
  EXPECT_EQ(ViolatedField(ValidateSettings(settings)), "settings.max_redeem_share_bp");
  EXPECT_TRUE(ValidateSettings(Settings()).ok());
}

}  // namespace
}  // namespace loyalty::pos

namespace loyalty::pos {
namespace {

TEST(RefundShortfallPolicyTest, FloorIsValidatedAndAppliesOnlyToNegativeBalance) {
  PosSettings settings;
  settings.refund_negative_floor = -1;
  EXPECT_EQ(ViolatedField(ValidateSettings(settings)), "settings.refund_negative_floor");
  settings.refund_negative_floor = kMaxRefundNegativeFloor + 1;
  EXPECT_EQ(ViolatedField(ValidateSettings(settings)), "settings.refund_negative_floor");
  settings.refund_negative_floor = 500;
  EXPECT_TRUE(ValidateSettings(settings).ok());
  EXPECT_EQ(RefundFloor(settings), 0);  // CAP: the floor is kept but unused
  settings.refund_shortfall_policy = RefundShortfallPolicy::kNegativeBalance;
  EXPECT_EQ(RefundFloor(settings), 500);
  for (RefundShortfallPolicy policy :
       {RefundShortfallPolicy::kCap, RefundShortfallPolicy::kNegativeBalance}) {
    EXPECT_EQ(ParseRefundShortfallPolicy(RefundShortfallPolicyName(policy)), policy);
  }
  EXPECT_EQ(ParseRefundShortfallPolicy("FORGIVE"), std::nullopt);
}

}  // namespace
}  // namespace loyalty::pos
