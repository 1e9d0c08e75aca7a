#include "services/pos/domain/pricing.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "libs/common/decimal.h"
#include "libs/common/errors.h"

namespace loyalty::pos {
namespace {

constexpr int64_t kMaxQuantityMilli = 1'000'000'000;  // a million units
constexpr int64_t kMaxPrice = 100'000'000'000;        // a billion in major units
constexpr size_t kMaxLines = 500;
// A receipt total no shop reaches (ten billion in major units), far below
// where sums of line totals could overflow int64.
constexpr int64_t kMaxReceiptTotal = 1'000'000'000'000;

std::string LineField(size_t index, absl::string_view field) {
  return absl::StrCat("lines[", index, "].", field);
}

// Splits `total` over `weights` in proportion, by largest remainder, so the
// parts add up to `total` exactly. With `caps`, no part exceeds its cap
// (the caller guarantees the caps add up to at least `total` and each is at
// least the proportional floor).
std::vector<int64_t> Apportion(int64_t total, const std::vector<int64_t>& weights,
                               const std::vector<int64_t>* caps = nullptr) {
  std::vector<int64_t> parts(weights.size(), 0);
  int64_t weight_sum = std::accumulate(weights.begin(), weights.end(), int64_t{0});
  if (total <= 0 || weight_sum <= 0) return parts;
  std::vector<std::pair<int64_t, size_t>> remainders;
  int64_t assigned = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    parts[i] = MulDivFloor(total, weights[i], weight_sum);
    assigned += parts[i];
    remainders.emplace_back(MulDivRemainder(total, weights[i], weight_sum), i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  // Leftover units go to the largest remainders first; with caps a line
  // can take several rounds' worth only while it has room.
  while (assigned < total) {
    bool progressed = false;
    for (size_t k = 0; assigned < total && k < remainders.size(); ++k) {
      size_t i = remainders[k].second;
      if (caps != nullptr && parts[i] >= (*caps)[i]) continue;
      ++parts[i];
      ++assigned;
      progressed = true;
    }
    if (!progressed) break;  // caps exhausted; callers prevent this
  }
  return parts;
}

}  // namespace

absl::Status ValidateSettings(const PosSettings& settings) {
  if (settings.accrual_rate_bp < 0 || settings.accrual_rate_bp > 10000) {
    return InvalidField("settings.accrual_rate_bp", "must be within 0..10000");
  }
  if (settings.max_redeem_share_bp < 0 || settings.max_redeem_share_bp > 10000) {
    return InvalidField("settings.max_redeem_share_bp", "must be within 0..10000");
  }
  if (settings.point_value <= 0 || settings.point_value > 1'000'000) {
    return InvalidField("settings.point_value", "must be within 1..1000000");
  }
  if (settings.activation_delay_seconds < 0 ||
      settings.activation_delay_seconds > 366LL * 24 * 3600) {
    return InvalidField("settings.accrual_activation_delay_seconds",
                        "must be within 0 and one year");
  }
  if (settings.points_lifetime_days < 0 || settings.points_lifetime_days > 3660) {
    return InvalidField("settings.points_lifetime_days", "must be within 0..3660");
  }
  if (settings.refund_negative_floor < 0 ||
      settings.refund_negative_floor > kMaxRefundNegativeFloor) {
    return InvalidField("settings.refund_negative_floor",
                        absl::StrCat("must be within 0..", kMaxRefundNegativeFloor));
  }
  return absl::OkStatus();
}

absl::string_view RefundShortfallPolicyName(RefundShortfallPolicy policy) {
  return policy == RefundShortfallPolicy::kNegativeBalance ? "NEGATIVE_BALANCE" : "CAP";
}

std::optional<RefundShortfallPolicy> ParseRefundShortfallPolicy(absl::string_view name) {
  if (name == "CAP") return RefundShortfallPolicy::kCap;
  if (name == "NEGATIVE_BALANCE") return RefundShortfallPolicy::kNegativeBalance;
  return std::nullopt;
}

int64_t RefundFloor(const PosSettings& settings) {
  return settings.refund_shortfall_policy == RefundShortfallPolicy::kNegativeBalance
             ? settings.refund_negative_floor
             : 0;
}

absl::StatusOr<std::vector<PricedLine>> PriceLines(const std::vector<LineInput>& lines) {
  if (lines.empty()) return InvalidField("lines", "a receipt needs at least one line");
  if (lines.size() > kMaxLines) {
    return InvalidField("lines", absl::StrCat("at most ", kMaxLines, " lines"));
  }
  std::vector<PricedLine> priced;
  priced.reserve(lines.size());
  std::map<int32_t, size_t> seen;
  int64_t receipt_total = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const LineInput& in = lines[i];
    PricedLine out;
    out.line_number = in.line_number == 0 ? static_cast<int32_t>(i + 1) : in.line_number;
    if (out.line_number < 0) return InvalidField(LineField(i, "line_number"), "must be positive");
    if (!seen.emplace(out.line_number, i).second) {
      return InvalidField(LineField(i, "line_number"),
                          absl::StrCat("line ", out.line_number, " appears twice"));
    }
    if (in.sku.empty() || in.sku.size() > 64) {
      return InvalidField(LineField(i, "sku"), "must be 1..64 bytes");
    }
    if (in.category.size() > 64) {
      return InvalidField(LineField(i, "category"), "longer than 64 bytes");
    }
    absl::StatusOr<int64_t> quantity = ParseMilli(in.quantity);
    if (!quantity.ok()) {
      return InvalidField(LineField(i, "quantity"),
                          in.quantity.empty() ? "is required" : quantity.status().message());
    }
    if (*quantity <= 0) return InvalidField(LineField(i, "quantity"), "must be positive");
    if (*quantity > kMaxQuantityMilli) return InvalidField(LineField(i, "quantity"), "too large");
    if (in.price < 0) return InvalidField(LineField(i, "price"), "must not be negative");
    if (in.price > kMaxPrice) return InvalidField(LineField(i, "price"), "too large");
    out.sku = in.sku;
    out.category = in.category;
    out.quantity_milli = *quantity;
    out.price = in.price;
    out.amount = MulDivRoundHalfUp(in.price, *quantity, 1000);
    receipt_total += out.amount;
    if (out.amount > kMaxReceiptTotal || receipt_total > kMaxReceiptTotal) {
      return InvalidField(LineField(i, "amount"), "the receipt total is too large");
    }
    if (in.amount != 0 && in.amount != out.amount) {
      return InvalidField(LineField(i, "amount"),
                          absl::StrCat("price x quantity is ", out.amount, ", not ", in.amount));
    }
    priced.push_back(std::move(out));
  }
  return priced;
}

LoyaltyOutcome ApplyLoyalty(std::vector<PricedLine>& lines, const PosSettings& settings,
                            int64_t points_requested, int64_t available_points) {
  LoyaltyOutcome outcome;
  std::vector<int64_t> payable;       // after discounts
  std::vector<int64_t> whole_points;  // points a line can absorb without change
  int64_t total = 0;
  int64_t absorbable = 0;
  for (const PricedLine& line : lines) {
    payable.push_back(line.amount - line.discount);
    whole_points.push_back(payable.back() / settings.point_value);
    total += payable.back();
    absorbable += whole_points.back();
  }
  // Points pay whole point values per line: a line of 50 kopecks cannot
  // take a 1-rouble point, so the cap also respects what the lines absorb.
  // What the till may offer: the program's cap, never more than the card
  // has available.
  outcome.max_points_payable =
      std::max<int64_t>(0, std::min({MulDivFloor(total, settings.max_redeem_share_bp,
                                                 int64_t{10000} * settings.point_value),
                                     absorbable, available_points}));
  outcome.points_spent = std::clamp<int64_t>(points_requested, 0, outcome.max_points_payable);
  std::vector<int64_t> spent = Apportion(outcome.points_spent, payable, &whole_points);

  std::vector<int64_t> paid;
  int64_t total_paid = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    lines[i].points_spent = spent[i];
    paid.push_back(payable[i] - spent[i] * settings.point_value);
    total_paid += paid.back();
  }
  outcome.points_earned =
      MulDivFloor(total_paid, settings.accrual_rate_bp, int64_t{10000} * settings.point_value);
  std::vector<int64_t> earned = Apportion(outcome.points_earned, paid);
  for (size_t i = 0; i < lines.size(); ++i) lines[i].points_earned = earned[i];
  return outcome;
}

int64_t AmountToPay(const std::vector<PricedLine>& lines, int64_t point_value) {
  int64_t total = 0;
  for (const PricedLine& line : lines) {
    total += line.amount - line.discount - line.points_spent * point_value;
  }
  return total;
}

absl::StatusOr<RefundPlan> PlanRefund(std::vector<PricedLine>& lines,
                                      const std::vector<RefundRequestLine>& requested,
                                      int64_t point_value) {
  std::map<int32_t, PricedLine*> by_number;
  for (PricedLine& line : lines) by_number[line.line_number] = &line;

  std::map<int32_t, int64_t> to_return;  // line number -> quantity milli
  if (requested.empty()) {
    for (const PricedLine& line : lines) {
      int64_t left = line.quantity_milli - line.refunded_quantity_milli;
      if (left > 0) to_return[line.line_number] = left;
    }
    if (to_return.empty()) {
      return absl::FailedPreconditionError("everything on this receipt was already returned");
    }
  }
  for (size_t i = 0; i < requested.size(); ++i) {
    std::string field = absl::StrCat("lines[", i, "]");
    auto it = by_number.find(requested[i].line_number);
    if (it == by_number.end()) {
      return InvalidField(field + ".line_number",
                          absl::StrCat("the receipt has no line ", requested[i].line_number));
    }
    absl::StatusOr<int64_t> quantity = ParseMilli(requested[i].quantity);
    if (!quantity.ok()) return InvalidField(field + ".quantity", quantity.status().message());
    if (*quantity <= 0) return InvalidField(field + ".quantity", "must be positive");
    int64_t& total = to_return[requested[i].line_number];
    total += *quantity;
    const PricedLine& line = *it->second;
    if (line.refunded_quantity_milli + total > line.quantity_milli) {
      return InvalidField(
          field + ".quantity",
          absl::StrCat("only ", FormatMilli(line.quantity_milli - line.refunded_quantity_milli),
                       " of line ", line.line_number, " can still be returned"));
    }
  }

  RefundPlan plan;
  for (const auto& [number, quantity] : to_return) {
    PricedLine& line = *by_number[number];
    int64_t before = line.refunded_quantity_milli;
    int64_t after = before + quantity;
    auto share = [&](int64_t value, int64_t returned) {
      return MulDivFloor(value, returned, line.quantity_milli);
    };
    int64_t net = line.amount - line.discount - line.points_spent * point_value;
    RefundLineResult result;
    result.line_number = number;
    result.quantity_milli = quantity;
    result.amount = share(net, after) - share(net, before);
    result.points_earned = share(line.points_earned, after) - share(line.points_earned, before);
    result.points_spent = share(line.points_spent, after) - share(line.points_spent, before);
    line.refunded_quantity_milli = after;
    plan.amount += result.amount;
    plan.points_to_reverse += result.points_earned;
    plan.points_to_return += result.points_spent;
    plan.lines.push_back(result);
  }
  return plan;
}

}  // namespace loyalty::pos
