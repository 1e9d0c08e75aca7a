#pragma once

// The points ledger in PostgreSQL. Every public call is one database
// transaction; the domain functions in domain/ledger.h decide, this class
// reads their inputs and writes their outcome.
//
// Concurrency: each transaction locks the member account rows it touches
// (in account id order, so two transactions over the same cards cannot
// deadlock) until it ends, so calls on one card run one after the other
// and see each other's lots and holds. System accounts are never locked or
// updated in place: they have no stored balance. Concurrent CommitTransfers
// and Correct calls share transactions (group commit, commit_queue.h); each
// call is still all or nothing.
//
// Errors name the request field at fault: `transfers[i].<field>` for
// CommitTransfers, the plain field name for holds.

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/clock.h"
#include "services/cards/domain/ledger.h"
#include "services/cards/storage/commit_queue.h"
#include "services/cards/storage/transfer_batch.h"

namespace loyalty::cards {

// What one SweepExpired pass did.
struct ExpirySweepResult {
  int64_t accounts = 0;       // accounts that lost expired points
  int64_t points = 0;         // points moved to the expired accounts
  int64_t holds_expired = 0;  // holds marked EXPIRED
};

// What MergeCards did.
struct MergeResult {
  std::string target_number;
  int64_t points = 0;  // moved to the target
  int64_t lots = 0;    // moved lots
  bool replayed = false;
};

class LedgerStore final {
 public:
  // CommitTransfers and Correct calls arriving together are written
  // together (see commit_queue.h); `options` bounds those batches.
  LedgerStore(pg::Pool& pool, const Clock& clock, CommitQueueOptions options = {});

  // Applies `transfers` in order, all or none. A transfer id applied before
  // with the same content returns its first result (replayed = true) and
  // does nothing; with other content ALREADY_EXISTS naming its
  // `transfer_id`. Too few available points: FAILED_PRECONDITION naming
  // `amount`. Unknown card: NOT_FOUND naming `card_number`. Hold problems
  // name `hold_id` (NOT_FOUND, FAILED_PRECONDITION) or `amount`.
  absl::StatusOr<CommitResult> CommitTransfers(absl::string_view program_id,
                                               std::span<const TransferSpec> transfers);

  // Applies one manual correction (CORRECTION_CREDIT or _DEBIT, with its
  // reason and actor) like CommitTransfers, naming fields without the
  // `transfers[i].` prefix.
  absl::StatusOr<CommitResult> Correct(absl::string_view program_id, const TransferSpec& spec);

  // Merges the `source` card into `target` (numbers or barcodes): every
  // unexpired lot the source has left moves to the target as one MERGE
  // transfer (keeping its activation and expiry), and the source is
  // DELETED with `reason`, remembering the target. Refused while the source
  // has open holds, when either card is deleted or they share an account
  // (FAILED_PRECONDITION naming `source_number` / `target_number`). Merging
  // the same pair again returns the first result (replayed).
  absl::StatusOr<MergeResult> MergeCards(absl::string_view program_id,
                                         absl::string_view source_number,
                                         absl::string_view target_number, const std::string& reason,
                                         const std::string& actor);

  // Reserves available points. The same hold_id with the same content
  // returns the stored hold in its current state; with other content
  // ALREADY_EXISTS naming `hold_id`.
  absl::StatusOr<Hold> HoldPoints(absl::string_view program_id, const HoldRequest& request);

  // Releases a HELD hold (VOIDED; EXPIRED if its time was up). Idempotent
  // for VOIDED and EXPIRED holds; FAILED_PRECONDITION for a POSTED one.
  absl::StatusOr<Hold> VoidHold(absl::string_view program_id, absl::string_view hold_id);

  // `expiring_window` sets what Balance.expiring_soon looks ahead.
  absl::StatusOr<Balance> GetBalance(absl::string_view program_id, absl::string_view card_number,
                                     absl::Duration expiring_window = kDefaultExpiringWindow);

  // One pass of the expiry sweep over every program: moves what expired
  // lots have left to the program's `expired` account (one EXPIRATION
  // transfer per account, with its event) and marks holds left HELD past
  // their expiry EXPIRED. Works through at most `max_accounts` accounts and
  // `max_holds` holds per transaction, skipping accounts that a concurrent
  // call holds locked (they are taken on the next pass), so it never
  // stalls the POS flow and several replicas may sweep at once.
  absl::StatusOr<ExpirySweepResult> SweepExpired(int max_accounts = 200, int max_holds = 1000);

 private:
  // One batch of the commit queue in one transaction. A batch that fails
  // as a whole for a reason other than an outage is retried request by
  // request, so that one request the database refuses cannot fail the
  // others.
  std::vector<absl::StatusOr<CommitResult>> WriteBatch(
      const std::string& program_id, std::span<const CommitRequest* const> requests);

  pg::Pool& pool_;
  const Clock& clock_;
  SystemAccountCache system_accounts_;
  CommitQueue queue_;
};

}  // namespace loyalty::cards
