#pragma once

// The scheduled recalculation of card levels: downgrades below threshold,
// ends of validity periods (downgrade or renewal), upgrades missed by the
// activity path (e.g. after a threshold was lowered), and cards left on an
// archived level. Cards are taken in batches with FOR UPDATE SKIP LOCKED, one
// transaction per batch, so several replicas (the background task of each,
// the RPC) share the work without waiting on each other and never evaluate
// a card twice at once; evaluation is deterministic, so running again
// changes nothing unless time or activity moved on.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"

namespace loyalty::cards {

struct RecalculationScope {
  std::string program_id;     // empty: every program (the background task)
  std::string level_type_id;  // empty: every level type
  // true: only cards whose recalc_due_at has come (a day boundary of their
  // zone or the end of their validity); false: every card not yet evaluated
  // at `now` (the RPC).
  bool due_only = true;
};

struct RecalculationStats {
  int64_t examined = 0;
  int64_t upgraded = 0;
  int64_t downgraded = 0;
  int64_t renewed = 0;
  // (program id, change id) of changes whose bonus is still to accrue.
  std::vector<std::pair<std::string, std::string>> pending_bonuses;
};

class LevelRecalculation final {
 public:
  explicit LevelRecalculation(pg::Pool& pool, int batch_size = 200)
      : pool_(pool), batch_size_(batch_size) {}

  // Evaluates the cards of `scope` at `now` until none is left.
  absl::StatusOr<RecalculationStats> Run(const RecalculationScope& scope, absl::Time now);

 private:
  pg::Pool& pool_;
  int batch_size_;
};

}  // namespace loyalty::cards
