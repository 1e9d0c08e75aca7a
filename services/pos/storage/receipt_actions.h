#pragma once

// The rows of `receipt_actions` (migration 0015): the post-confirm campaign
// actions of a receipt's current calculation, read and written inside
// PosStore's transactions, and the actions worker's queue (PgActionQueue).

#include <pqxx/pqxx>

#include "libs/pg/pool.h"
#include "services/pos/domain/campaign_actions.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

// Replaces the receipt's actions with `receipt.actions`.
void SaveReceiptActions(pg::Tx& tx, const Receipt& receipt);

// Selects the actions of the receipt $1, in the order given, for
// ReadReceiptActions (PosStore reads them in one batch with the rest of the
// receipt).
extern const char kSelectReceiptActions[];

// Fills `receipt.actions` from the rows of kSelectReceiptActions.
void ReadReceiptActions(const pqxx::result& rows, Receipt& receipt);

// PENDING -> DUE for the receipt being confirmed in `tx` (the actions
// become due with the confirmation, never before), and the same in
// `receipt.actions`.
void MarkActionsDue(pg::Tx& tx, Receipt& receipt);

class PgActionQueue final : public ActionQueue {
 public:
  explicit PgActionQueue(pg::Pool& pool) : pool_(pool) {}

  absl::StatusOr<std::vector<ClaimedAction>> Claim(int limit, absl::Duration lease) override;
  absl::StatusOr<bool> Record(const ClaimedAction& claimed, const ActionOutcome& outcome) override;

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::pos
