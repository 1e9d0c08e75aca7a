#pragma once

// The activity read model levels are evaluated on (table
// card_activity_days), fed from event streams: pos's receipts (purchase
// amount, visits) and the ledger's own PointsTransferred (points earned).
// Each Apply* runs in one transaction that records the event id, updates
// the model and, for a card on a ladder, moves it up at once when the new
// activity reaches a higher threshold. A redelivered event changes nothing.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/clock.h"

namespace loyalty::cards {

struct PurchaseFact {
  std::string event_id;
  std::string program_id;
  std::string receipt_id;
  std::string card_number;  // number or barcode, as pos saw it
  int64_t amount = 0;       // paid: total less discounts, minor units
  absl::Time time;          // confirmation time
};

struct RefundFact {
  std::string event_id;
  std::string program_id;
  std::string receipt_id;
  int64_t amount = 0;  // returned value, minor units
  // The receipt was cancelled (POS-5): the sale is undone entirely, so
  // whatever earlier refunds left is taken back and the visit with it,
  // whatever `amount` says (it is the value returned in money, which
  // leaves out what points paid).
  bool cancels_receipt = false;
};

struct PointsFact {
  std::string event_id;
  std::string program_id;
  std::string card_number;
  int64_t points = 0;  // accrued (> 0) or taken back (< 0)
  absl::Time time;
};

// Any of the above, for ApplyAll.
using ActivityFact = std::variant<PurchaseFact, RefundFact, PointsFact>;

// The program a fact belongs to.
const std::string& ProgramOf(const ActivityFact& fact);

enum class ActivityOutcome {
  kApplied,    // counted
  kDuplicate,  // the event id was applied before
  kIgnored,    // nothing to count: unknown card or receipt, zero amount
};

struct ActivityResult {
  ActivityOutcome outcome = ActivityOutcome::kIgnored;
  // A move up that brought a bonus still to accrue (for LevelBonuses).
  std::optional<std::string> bonus_change_id;
  bool level_changed = false;
};

class LevelActivityStore final {
 public:
  // `clock` gives the time upgrades are evaluated at (the window ends
  // today, whenever the event happened).
  LevelActivityStore(pg::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

  // A confirmed receipt with a card: its paid amount and one visit, on the
  // local day of `time`.
  absl::StatusOr<ActivityResult> ApplyPurchase(const PurchaseFact& fact);

  // A refund takes back from the receipt's own day, at most what is left of
  // the receipt; the refund that empties it takes its visit back too.
  // Refunds never move a card down (that is the recalculation's job).
  absl::StatusOr<ActivityResult> ApplyRefund(const RefundFact& fact);

  // Points accrued or reversed, on the local day of `time`.
  absl::StatusOr<ActivityResult> ApplyPoints(const PointsFact& fact);

  // Applies `facts` in order, as the Apply* above would one by one, in one
  // transaction: the event ids are recorded with one statement and the
  // cards looked up with one per program, and there is one commit for all
  // (a stream consumer hands over up to 100 events at a time). An event id
  // met twice counts once. When that transaction fails as a whole (another
  // consumer, one fact the database refuses), the facts are applied one by
  // one, each in a transaction of its own, up to the first that fails; the
  // facts after it are not tried (a refund must not overtake its purchase).
  // Returns one result per fact tried, in order: all of them unless one
  // failed (the last result then) or the database is unavailable (one
  // result, that error).
  std::vector<absl::StatusOr<ActivityResult>> ApplyAll(std::span<const ActivityFact> facts);

 private:
  pg::Pool& pool_;
  const Clock& clock_;
};

}  // namespace loyalty::cards
