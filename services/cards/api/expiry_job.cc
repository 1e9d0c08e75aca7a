#include "services/cards/api/expiry_job.h"

#include "absl/strings/str_cat.h"
#include "libs/common/log.h"
#include "libs/common/periodic.h"

namespace loyalty::cards {

absl::StatusOr<ExpirySweepResult> ExpiryJob::RunOnce() {
  absl::StatusOr<ExpirySweepResult> sweep = ledger_.SweepExpired();
  metrics_.RecordExpirySweep(sweep, clock_.Now());
  if (!sweep.ok()) {
    log::Warn("expiry sweep failed", {{"error", sweep.status().ToString()}});
  } else if (sweep->accounts > 0 || sweep->holds_expired > 0) {
    log::Info("expiry sweep", {{"accounts", absl::StrCat(sweep->accounts)},
                               {"points", absl::StrCat(sweep->points)},
                               {"holds_expired", absl::StrCat(sweep->holds_expired)}});
  }
  return sweep;
}

void ExpiryJob::Run(std::stop_token stop) {
  RunPeriodically(stop, interval_, [this] { (void)RunOnce(); });  // logged and counted
}

}  // namespace loyalty::cards
