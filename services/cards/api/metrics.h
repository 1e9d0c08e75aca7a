#pragma once

// Business counters of the ledger, declared once. No ids as labels: one
// series per process, summed by the metrics backend.

#include <span>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/cards/domain/ledger.h"
#include "services/cards/storage/ledger_store.h"

namespace prometheus {
class Counter;
class Gauge;
class Registry;
}  // namespace prometheus

namespace loyalty::cards {

class LedgerMetrics final {
 public:
  explicit LedgerMetrics(prometheus::Registry& registry);

  // Counts newly applied transfers (not replays): accruals as issued points,
  // redemptions as redeemed points, corrections by direction. Reversals are
  // not subtracted: counters only grow; the ledger has the net figures.
  void RecordCommitted(std::span<const TransferSpec> transfers,
                       std::span<const TransferResult> results);

  // One expiry sweep pass that ended at `end`: its outcome, and the points
  // and holds it expired.
  void RecordExpirySweep(const absl::StatusOr<ExpirySweepResult>& sweep, absl::Time end);

 private:
  prometheus::Counter& issued_;
  prometheus::Counter& redeemed_;
  prometheus::Counter& corrected_in_;
  prometheus::Counter& corrected_out_;
  prometheus::Counter& expired_;
  prometheus::Counter& holds_expired_;
  prometheus::Counter& sweeps_ok_;
  prometheus::Counter& sweeps_failed_;
  prometheus::Gauge& last_sweep_success_;
};

}  // namespace loyalty::cards
