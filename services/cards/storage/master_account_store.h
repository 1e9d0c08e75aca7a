#pragma once

// Master accounts (CRD-6) in PostgreSQL: several cards share one member
// account. Joining moves a card's unexpired lots into the master account
// (one POOL_JOIN transfer per lot, keeping activation and expiry; expired
// unswept points are expired on the way, so the account left behind is
// empty) and points the card at it; leaving moves the leaver's share into a
// new own account (POOL_LEAVE transfers, splitting lots where a share ends
// inside one). Each call is one transaction that locks the card rows (in
// number order), then the member accounts (in id order, like every ledger
// call), writes through LedgerWrites with one Flush and appends its events.
//
// A member's contribution is derived from the ledger: its POOL_JOIN points
// plus the ACCRUAL and MERGE points credited to the master account for the
// card while a member, less ACCRUAL_REVERSALs debited for it.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/clock.h"
#include "services/cards/domain/ledger.h"
#include "services/cards/domain/master_account.h"
#include "services/cards/storage/transfer_batch.h"

namespace loyalty::cards {

struct MasterMemberView {
  std::string card_number;
  absl::Time join_time;
  int64_t joined_points = 0;
  int64_t contribution = 0;  // may be negative (reversals of older accruals)
  int32_t share_bp = 0;
  int64_t proportional_points = 0;   // PROPORTIONAL would give now
  int64_t own_remaining_points = 0;  // OWN_REMAINING would give now
};

struct MasterAccountView {
  std::string master_account_id;
  bool dissolved = false;
  LeaveRule default_leave_rule = LeaveRule::kProportional;
  std::vector<MasterMemberView> members;  // card number order
  int64_t total_contribution = 0;         // negative contributions as 0
  Balance balance;
  absl::Time create_time;
  bool replayed = false;
};

// A card's current membership, as a card view shows it.
struct CardMembership {
  std::string master_account_id;
  absl::Time join_time;
  int64_t contribution = 0;
  int32_t share_bp = 0;
  int32_t member_count = 0;
};

struct LeaveResult {
  std::string card_number;
  LeaveRule rule = LeaveRule::kProportional;
  int64_t points = 0;      // taken into the new own account
  std::string account_id;  // the leaver's new own account
  MasterAccountView master;
  bool replayed = false;
};

class MasterAccountStore final {
 public:
  MasterAccountStore(pg::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

  // A new master account for `card_numbers` (numbers or barcodes, 1..20).
  // Unknown cards: NOT_FOUND naming `card_numbers[i]`; a card that is not
  // ACTIVE, has open holds or is in a master account already:
  // FAILED_PRECONDITION naming it. `default_rule` kUnspecified means
  // PROPORTIONAL. Idempotent by `request_id` (other content: ALREADY_EXISTS).
  absl::StatusOr<MasterAccountView> Create(absl::string_view program_id,
                                           const std::vector<std::string>& card_numbers,
                                           LeaveRule default_rule, absl::string_view request_id,
                                           absl::string_view actor);

  // One more card joins, with the refusals of Create naming `card_number`;
  // an unknown or dissolved master account names `master_account_id`.
  absl::StatusOr<MasterAccountView> AddMember(absl::string_view program_id,
                                              absl::string_view master_account_id,
                                              absl::string_view card_number,
                                              absl::string_view request_id,
                                              absl::string_view actor);

  // The card leaves with its share by `rule` (kUnspecified: the master
  // account's default). The last member takes every unexpired point and
  // dissolves the master account. Refused while the master account has
  // open holds (FAILED_PRECONDITION naming `master_account_id`) and for a
  // card that is not a member (FAILED_PRECONDITION naming `card_number`).
  absl::StatusOr<LeaveResult> RemoveMember(absl::string_view program_id,
                                           absl::string_view master_account_id,
                                           absl::string_view card_number, LeaveRule rule,
                                           absl::string_view request_id, absl::string_view actor);

  absl::StatusOr<MasterAccountView> Get(absl::string_view program_id,
                                        absl::string_view master_account_id);

  // The current memberships of those of `card_numbers` (stored numbers)
  // that are in a master account, by card number. One read of each master
  // account involved, so a page of cards costs a query per family.
  absl::StatusOr<std::map<std::string, CardMembership>> MembershipsOf(
      absl::string_view program_id, const std::vector<std::string>& card_numbers);

 private:
  pg::Pool& pool_;
  const Clock& clock_;
  SystemAccountCache system_accounts_;
};

}  // namespace loyalty::cards
