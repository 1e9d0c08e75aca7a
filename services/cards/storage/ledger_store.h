#pragma once

// The points ledger in PostgreSQL. Every public call is one database
// transaction; the domain functions in domain/ledger.h decide, this class
// reads their inputs and writes their outcome.
//
// Concurrency: each call locks the member account rows it touches (in
// account id order, so two calls over the same cards cannot deadlock) for
// the whole transaction, so calls on one card run one after the other and
// see each other's lots and holds. System accounts are never locked or
// updated in place: they have no stored balance.
//
// Errors name the request field at fault: `transfers[i].<field>` for
// CommitTransfers, the plain field name for holds.

#include <span>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/clock.h"
#include "services/cards/domain/ledger.h"

namespace loyalty::cards {

class LedgerStore final {
 public:
  LedgerStore(pg::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

  // Applies `transfers` in order, all or none. A transfer id applied before
  // with the same content returns its first result (replayed = true) and
  // does nothing; with other content ALREADY_EXISTS naming its
  // `transfer_id`. Too few available points: FAILED_PRECONDITION naming
  // `amount`. Unknown card: NOT_FOUND naming `card_number`. Hold problems
  // name `hold_id` (NOT_FOUND, FAILED_PRECONDITION) or `amount`.
  absl::StatusOr<CommitResult> CommitTransfers(absl::string_view program_id,
                                               std::span<const TransferSpec> transfers);

  // Reserves available points. The same hold_id with the same content
  // returns the stored hold in its current state; with other content
  // ALREADY_EXISTS naming `hold_id`.
  absl::StatusOr<Hold> HoldPoints(absl::string_view program_id, const HoldRequest& request);

  // Releases a HELD hold (VOIDED; EXPIRED if its time was up). Idempotent
  // for VOIDED and EXPIRED holds; FAILED_PRECONDITION for a POSTED one.
  absl::StatusOr<Hold> VoidHold(absl::string_view program_id, absl::string_view hold_id);

  absl::StatusOr<Balance> GetBalance(absl::string_view program_id, absl::string_view card_number);

 private:
  pg::Pool& pool_;
  const Clock& clock_;
};

}  // namespace loyalty::cards
