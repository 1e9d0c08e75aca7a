#pragma once

// Pricing a receipt under the program's POS settings: what each line
// costs, how many points the buyer may and does spend, how many it earns.
// And the reverse for refunds. Pure arithmetic on integers (minor currency
// units, points, quantities in thousandths); no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty::pos {

// What a refund does with earned points to take back that the member has
// already spent (POS-4). Mirrors loyalty.pos.v1.RefundShortfallPolicy.
enum class RefundShortfallPolicy {
  kCap = 1,              // take what is left, forgive the rest
  kNegativeBalance = 2,  // take the rest as debt, down to a floor
};

// "CAP", "NEGATIVE_BALANCE": stored and published names.
absl::string_view RefundShortfallPolicyName(RefundShortfallPolicy policy);
std::optional<RefundShortfallPolicy> ParseRefundShortfallPolicy(absl::string_view name);

inline constexpr int64_t kMaxRefundNegativeFloor = 1'000'000'000'000;  // cards' kMaxAmount

struct PosSettings {
  int32_t accrual_rate_bp = 0;      // share of the paid amount, basis points
  int32_t max_redeem_share_bp = 0;  // share of the total payable by points
  int64_t point_value = 100;        // minor units one point pays
  int64_t activation_delay_seconds = 0;
  int32_t points_lifetime_days = 0;  // 0: never expire
  RefundShortfallPolicy refund_shortfall_policy = RefundShortfallPolicy::kCap;
  // NEGATIVE_BALANCE: a refund may take the balance down to -floor.
  int64_t refund_negative_floor = 0;
};

// How far below zero a refund under `settings` may take a balance: the
// floor under NEGATIVE_BALANCE, 0 (a cap) under CAP.
int64_t RefundFloor(const PosSettings& settings);

// Checks ranges; errors name the field under `settings.`.
absl::Status ValidateSettings(const PosSettings& settings);

struct LineInput {
  int32_t line_number = 0;
  std::string sku;
  std::string category;
  std::string quantity;  // decimal text as sent
  int64_t price = 0;     // per unit, minor units
  int64_t amount = 0;    // optional line total; 0 means compute
};

struct PricedLine {
  int32_t line_number = 0;
  std::string sku;
  std::string category;
  int64_t quantity_milli = 0;
  int64_t price = 0;
  int64_t amount = 0;
  int64_t discount = 0;
  int64_t points_spent = 0;
  int64_t points_earned = 0;
  int64_t refunded_quantity_milli = 0;
};

// Validates and prices the lines: positive quantities with at most three
// decimals, non-negative prices, unique line numbers, line totals that add
// up. Errors name the field ("lines[2].quantity").
absl::StatusOr<std::vector<PricedLine>> PriceLines(const std::vector<LineInput>& lines);

struct LoyaltyOutcome {
  int64_t max_points_payable = 0;
  int64_t points_spent = 0;
  int64_t points_earned = 0;
};

// Applies the program's rules to priced lines for a member who has
// `available_points`: the maximum payable is the program's share of the
// receipt, what the lines can absorb in whole points, and the available
// points, whichever is least; caps the points to spend by it, spreads them
// over the lines
// in proportion to their amounts, and computes the points the paid money
// earns, spread the same way. Mutates the lines' points fields.
LoyaltyOutcome ApplyLoyalty(std::vector<PricedLine>& lines, const PosSettings& settings,
                            int64_t points_requested, int64_t available_points);

// Sum of line amounts less discounts less points paid.
int64_t AmountToPay(const std::vector<PricedLine>& lines, int64_t point_value);

struct RefundRequestLine {
  int32_t line_number = 0;
  std::string quantity;  // decimal text
};

struct RefundLineResult {
  int32_t line_number = 0;
  int64_t quantity_milli = 0;
  int64_t amount = 0;         // value returned, after discounts and points
  int64_t points_earned = 0;  // earned points to take back
  int64_t points_spent = 0;   // spent points to give back
};

struct RefundPlan {
  std::vector<RefundLineResult> lines;
  int64_t amount = 0;
  int64_t points_to_reverse = 0;
  int64_t points_to_return = 0;
};

// Plans a refund of `requested` lines (all not yet returned when empty).
// Shares are cumulative: a line's k-th refund takes back what its whole
// returned quantity so far accounts for, less what earlier refunds took, so
// several partial refunds add up exactly to a full one. Updates the lines'
// refunded quantities.
absl::StatusOr<RefundPlan> PlanRefund(std::vector<PricedLine>& lines,
                                      const std::vector<RefundRequestLine>& requested,
                                      int64_t point_value);

}  // namespace loyalty::pos
