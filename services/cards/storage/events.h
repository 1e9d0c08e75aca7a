#pragma once

// Domain events of `cards`, appended to the outbox inside the transaction
// that makes the change (see proto/loyalty/cards/v1/events.proto).

#include <cstdint>

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

// One applied (not replayed) transfer.
struct AppliedTransfer {
  const TransferSpec& spec;
  const TransferResult& result;
  absl::string_view client_id;
  absl::string_view account_id;
  absl::Time activate_time;  // with the default applied; lot kinds only
  int64_t balance_after = 0;
};

void AppendPointsTransferred(pg::Tx& tx, absl::string_view program_id,
                             const AppliedTransfer& transfer);

}  // namespace loyalty::cards
