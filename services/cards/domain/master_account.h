#pragma once

// Master accounts (CRD-6) as pure rules: what a leaving member takes, and
// the share arithmetic behind it. Storage reads the master account's lots
// and the members' contributions, asks PlanLeave, and writes the takes as
// POOL_LEAVE transfers.

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/cards/domain/ledger.h"

namespace loyalty::cards {

// Mirrors loyalty.cards.v1.LeaveRule, value for value.
enum class LeaveRule {
  kUnspecified = 0,
  // balance x own contribution / total contribution, rounded down.
  kProportional = 1,
  // What is left of the lots the member brought in or accrued.
  kOwnRemaining = 2,
  kNothing = 3,
};

// Stable names used in storage ("PROPORTIONAL", ...).
absl::string_view LeaveRuleName(LeaveRule rule);
std::optional<LeaveRule> ParseLeaveRule(absl::string_view name);

// Most cards in one master account.
inline constexpr size_t kMaxMasterAccountMembers = 20;

// floor(balance x contribution / total) without overflow; 0 when either
// is not positive. A negative contribution (accrual reversals after
// joining) counts as 0, here and in the total.
int64_t ProportionalShare(int64_t balance, int64_t contribution, int64_t total);

// contribution / total in basis points, rounded down; 0 when total <= 0.
int32_t ShareBasisPoints(int64_t contribution, int64_t total);

// Points of lots worth something at `now`: active or pending, not expired.
int64_t UnexpiredPoints(std::span<const Lot> lots, absl::Time now);

// What a member leaving takes from the master account's `lots`.
struct LeaveInput {
  LeaveRule rule = LeaveRule::kProportional;  // not kUnspecified
  // Lots the member brought in or accrued while a member.
  std::set<int64_t> own_lot_ids;
  int64_t contribution = 0;
  int64_t total_contribution = 0;  // of every member, the leaver included
  // The last member takes every unexpired point, whatever the rule.
  bool last_member = false;
};

// Takes from unexpired lots only (expired ones are the sweep's): the
// member's own lots first, then the others, each in spending order. A take
// smaller than its lot's remaining splits that lot.
std::vector<LotTake> PlanLeave(std::span<const Lot> lots, absl::Time now, const LeaveInput& input);

}  // namespace loyalty::cards
