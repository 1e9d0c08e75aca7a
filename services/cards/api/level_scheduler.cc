#include "services/cards/api/level_scheduler.h"

#include "libs/common/log.h"
#include "libs/common/periodic.h"
#include "libs/common/status_macros.h"

namespace loyalty::cards {

absl::Status LevelScheduler::RunOnce() {
  ASSIGN_OR_RETURN(RecalculationStats stats,
                   recalculation_.Run(RecalculationScope{.due_only = true}, clock_.Now()));
  metrics_.LevelChanged(/*up=*/true, stats.upgraded);
  metrics_.LevelChanged(/*up=*/false, stats.downgraded);
  metrics_.Renewed(stats.renewed);
  int64_t granted = bonuses_.GrantAll(stats.pending_bonuses);
  ASSIGN_OR_RETURN(int64_t retried, bonuses_.GrantPending(""));
  metrics_.BonusesGranted(granted + retried);
  if (stats.upgraded + stats.downgraded + stats.renewed > 0) {
    log::Info("levels recalculated", {{"examined", stats.examined},
                                      {"upgraded", stats.upgraded},
                                      {"downgraded", stats.downgraded},
                                      {"renewed", stats.renewed}});
  }
  return absl::OkStatus();
}

void LevelScheduler::Run(const std::stop_token& stop) {
  if (interval_ <= absl::ZeroDuration()) return;
  RunPeriodically(stop, interval_, [this] {
    if (absl::Status status = RunOnce(); !status.ok()) {
      log::Warn("level recalculation failed; retrying next round", {{"error", status.message()}});
    }
  });
}

}  // namespace loyalty::cards
