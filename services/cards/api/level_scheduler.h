#pragma once

// The background side of levels in every cards process: every `interval`,
// the scheduled recalculation of the cards that are due (every program),
// then the level bonuses still pending. Replicas run it side by side safely
// (see LevelRecalculation and LevelBonuses).

#include <stop_token>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/cards/api/level_metrics.h"
#include "services/cards/domain/clock.h"
#include "services/cards/storage/level_bonus.h"
#include "services/cards/storage/level_recalculation.h"

namespace loyalty::cards {

class LevelScheduler final {
 public:
  LevelScheduler(LevelRecalculation& recalculation, LevelBonuses& bonuses, const Clock& clock,
                 LevelMetrics& metrics, absl::Duration interval)
      : recalculation_(recalculation),
        bonuses_(bonuses),
        clock_(clock),
        metrics_(metrics),
        interval_(interval) {}

  // One round at the clock's now.
  absl::Status RunOnce();

  // A round right away and then every interval until `stop`; returns at
  // once when the interval is zero (disabled).
  void Run(const std::stop_token& stop);

 private:
  LevelRecalculation& recalculation_;
  LevelBonuses& bonuses_;
  const Clock& clock_;
  LevelMetrics& metrics_;
  absl::Duration interval_;
};

}  // namespace loyalty::cards
