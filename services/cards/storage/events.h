#pragma once

// Domain events of `cards`, appended to the outbox inside the transaction
// that makes the change (see proto/loyalty/cards/v1/events.proto).

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/card.h"
#include "services/cards/domain/ledger.h"

namespace loyalty::cards {

void AppendCardIssued(pg::Tx& tx, absl::string_view program_id, const Card& card);

void AppendCardBatchIssued(pg::Tx& tx, absl::string_view program_id, const CardBatchInput& batch,
                           absl::Time create_time);

void AppendCardStatusChanged(pg::Tx& tx, absl::string_view program_id, const Card& card,
                             CardStatus from, absl::string_view actor);

// `card` as it is after the change, co-holders included.
void AppendCardHoldersChanged(pg::Tx& tx, absl::string_view program_id, const Card& card,
                              absl::Time change_time);

// Every card of `from_client_id` moved to `to_client_id` (ReassignClientCards).
void AppendClientCardsReassigned(pg::Tx& tx, absl::string_view program_id,
                                 absl::string_view from_client_id, absl::string_view to_client_id,
                                 const std::vector<std::string>& owned_card_numbers,
                                 const std::vector<std::string>& held_card_numbers,
                                 absl::Time change_time);

// One applied (not replayed) transfer.
struct AppliedTransfer {
  TransferSpec spec;
  TransferResult result;
  std::string client_id;
  std::string account_id;
  absl::Time activate_time;  // with the default applied; lot kinds only
  int64_t balance_after = 0;
};

// PointsTransferred events of `transfers`, in order, in one statement.
void AppendPointsTransferred(pg::Tx& tx, absl::string_view program_id,
                             std::span<const AppliedTransfer> transfers);

// What happened to a master account (loyalty.cards.v1.MasterAccountChange).
enum class MasterAccountChangeKind {
  kCreated = 1,
  kMemberAdded = 2,
  kMemberRemoved = 3,
  kDissolved = 4
};

struct MasterAccountChange {
  std::string master_account_id;
  MasterAccountChangeKind kind = MasterAccountChangeKind::kCreated;
  std::vector<std::string> card_numbers;         // joined, or the one that left
  int64_t points = 0;                            // moved in or out
  std::string leave_rule;                        // leaves only
  std::vector<std::string> member_card_numbers;  // after the change
  int64_t balance_after = 0;                     // stored balance of the master account
  std::string actor;
  absl::Time change_time;
};

void AppendMasterAccountChanged(pg::Tx& tx, absl::string_view program_id,
                                const MasterAccountChange& change);

}  // namespace loyalty::cards
