#pragma once

// The scheduled expiry sweep: runs LedgerStore::SweepExpired every
// interval in the background of the cards process, logging and counting
// each pass. Several replicas may run it at once (the sweep skips what
// another holds locked).

#include <stop_token>

#include "absl/time/time.h"
#include "services/cards/api/metrics.h"
#include "services/cards/domain/clock.h"
#include "services/cards/storage/ledger_store.h"

namespace loyalty::cards {

class ExpiryJob final {
 public:
  ExpiryJob(LedgerStore& ledger, LedgerMetrics& metrics, const Clock& clock,
            absl::Duration interval)
      : ledger_(ledger), metrics_(metrics), clock_(clock), interval_(interval) {}

  // One pass.
  absl::StatusOr<ExpirySweepResult> RunOnce();

  // Passes every interval until stop is requested.
  void Run(std::stop_token stop);

 private:
  LedgerStore& ledger_;
  LedgerMetrics& metrics_;
  const Clock& clock_;
  const absl::Duration interval_;
};

}  // namespace loyalty::cards
