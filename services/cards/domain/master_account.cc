#include "services/cards/domain/master_account.h"

#include <algorithm>

namespace loyalty::cards {
namespace {

// balance x contribution needs up to 126 bits. __extension__ keeps
// -Wpedantic quiet about the compiler's 128-bit type.
__extension__ typedef __int128 Wide;

}  // namespace

absl::string_view LeaveRuleName(LeaveRule rule) {
  switch (rule) {
    case LeaveRule::kProportional:
      return "PROPORTIONAL";
    case LeaveRule::kOwnRemaining:
      return "OWN_REMAINING";
    case LeaveRule::kNothing:
      return "NOTHING";
    case LeaveRule::kUnspecified:
      break;
  }
  return "UNSPECIFIED";
}

std::optional<LeaveRule> ParseLeaveRule(absl::string_view name) {
  for (LeaveRule rule : {LeaveRule::kProportional, LeaveRule::kOwnRemaining, LeaveRule::kNothing}) {
    if (LeaveRuleName(rule) == name) return rule;
  }
  return std::nullopt;
}

int64_t ProportionalShare(int64_t balance, int64_t contribution, int64_t total) {
  if (balance <= 0 || contribution <= 0 || total <= 0) return 0;
  // A total smaller than the contribution means the caller mixed up its
  // figures; the share never exceeds the balance.
  if (contribution >= total) return balance;
  return static_cast<int64_t>(static_cast<Wide>(balance) * contribution / total);
}

int32_t ShareBasisPoints(int64_t contribution, int64_t total) {
  return static_cast<int32_t>(ProportionalShare(10'000, contribution, total));
}

int64_t UnexpiredPoints(std::span<const Lot> lots, absl::Time now) {
  int64_t total = 0;
  for (const Lot& lot : lots) {
    if (LotStateAt(lot, now) != LotState::kExpired) total += lot.remaining;
  }
  return total;
}

std::vector<LotTake> PlanLeave(std::span<const Lot> lots, absl::Time now, const LeaveInput& input) {
  std::vector<const Lot*> ordered;
  for (const Lot& lot : lots) {
    if (lot.remaining > 0 && LotStateAt(lot, now) != LotState::kExpired) ordered.push_back(&lot);
  }
  auto own = [&](const Lot* lot) { return input.own_lot_ids.contains(lot->lot_id); };
  std::sort(ordered.begin(), ordered.end(), [&](const Lot* a, const Lot* b) {
    if (own(a) != own(b)) return own(a);
    return SpendOrder(*a, *b);
  });
  int64_t amount = 0;
  if (input.last_member) {
    amount = UnexpiredPoints(lots, now);
  } else if (input.rule == LeaveRule::kProportional) {
    amount =
        ProportionalShare(UnexpiredPoints(lots, now), input.contribution, input.total_contribution);
  } else if (input.rule == LeaveRule::kOwnRemaining) {
    for (const Lot* lot : ordered) {
      if (own(lot)) amount += lot->remaining;
    }
  }
  std::vector<LotTake> takes;
  for (const Lot* lot : ordered) {
    if (amount == 0) break;
    const int64_t take = std::min(amount, lot->remaining);
    takes.push_back({lot->lot_id, take});
    amount -= take;
  }
  return takes;
}

}  // namespace loyalty::cards
