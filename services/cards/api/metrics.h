#pragma once

// Business counters of the ledger, declared once. No ids as labels: one
// series per process, summed by the metrics backend.

#include <span>

#include "services/cards/domain/ledger.h"

namespace prometheus {
class Counter;
class Registry;
}  // namespace prometheus

namespace loyalty::cards {

class LedgerMetrics final {
 public:
  explicit LedgerMetrics(prometheus::Registry& registry);

  // Counts newly applied transfers (not replays): accruals as issued points,
  // redemptions as redeemed points. Reversals are not subtracted: counters
  // only grow; the ledger itself has the net figures.
  void RecordCommitted(std::span<const TransferSpec> transfers,
                       std::span<const TransferResult> results);

 private:
  prometheus::Counter& issued_;
  prometheus::Counter& redeemed_;
};

}  // namespace loyalty::cards
