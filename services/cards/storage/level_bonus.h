#pragma once

// Accrues level bonuses through the ledger. A change that brings a bonus is
// recorded PENDING in card_level_history (with the level change, in one
// transaction); the points then go through LedgerStore::CommitTransfers
// under the transfer id `level-bonus:<level_id>:<card_number>`, so however
// often this runs (after the change, from the recalculation, on several
// replicas) the ledger applies the bonus once. A bonus the ledger refuses
// for good (e.g. a blocked card) is marked FAILED with the reason; one that
// fails for a passing reason stays PENDING for the next run.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"
#include "services/cards/storage/ledger_store.h"

namespace loyalty::cards {

class LevelBonuses final {
 public:
  LevelBonuses(pg::Pool& pool, LedgerStore& ledger) : pool_(pool), ledger_(ledger) {}

  // Accrues the bonus of one change if it is still PENDING. Returns whether
  // it is GRANTED now; an error when it stays PENDING.
  absl::StatusOr<bool> Grant(absl::string_view program_id, absl::string_view change_id);

  // Grants the given changes' bonuses; returns how many were granted. Keeps
  // going past failures (they stay PENDING and are retried by GrantPending).
  int64_t GrantAll(const std::vector<std::pair<std::string, std::string>>& changes);

  // Grants up to `limit` PENDING bonuses of `program_id` (every program when
  // empty), oldest first; returns how many were granted.
  absl::StatusOr<int64_t> GrantPending(absl::string_view program_id, int limit = 500);

 private:
  pg::Pool& pool_;
  LedgerStore& ledger_;
};

}  // namespace loyalty::cards
