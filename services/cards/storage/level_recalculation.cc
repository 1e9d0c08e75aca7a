#include "services/cards/storage/level_recalculation.h"

#include <map>
#include <optional>

#include <pqxx/pqxx>

#include "libs/common/status_macros.h"
#include "services/cards/storage/card_level_engine.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {
namespace {

// One batch: evaluates and marks up to `limit` cards; returns how many.
int RecalculateBatch(pg::Tx& tx, const RecalculationScope& scope, absl::Time now, int limit,
                     RecalculationStats& stats) {
  pqxx::result batch = tx.exec_params(
      "SELECT program_id, card_number, level_type_id::text FROM card_levels"
      " WHERE level_type_id IS NOT NULL"
      "   AND ($1 = '' OR program_id = $1)"
      "   AND ($2 = '' OR level_type_id::text = $2)"
      "   AND CASE WHEN $3 = 1 THEN recalc_due_at <= micros_to_ts($4)"
      "            ELSE recalculated_at IS NULL OR recalculated_at < micros_to_ts($4) END"
      " ORDER BY recalc_due_at LIMIT $5"
      " FOR NO KEY UPDATE SKIP LOCKED",
      scope.program_id, scope.level_type_id, scope.due_only ? 1 : 0, sql::Micros(now), limit);
  // Ladders are shared by many cards of a batch.
  std::map<std::pair<std::string, std::string>, std::optional<levels::Ladder>> ladders;
  for (const auto& selected : batch) {
    const std::string program_id = selected[0].as<std::string>();
    const std::string card_number = selected[1].as<std::string>();
    const std::string level_type_id = selected[2].as<std::string>();
    auto [it, added] = ladders.try_emplace({program_id, level_type_id});
    if (added) it->second = levels::LoadLadder(tx, program_id, level_type_id);
    const levels::Ladder& ladder = *it->second;  // a foreign key guards the type
    std::optional<levels::CardLevelRow> card =
        levels::ReadCardLevel(tx, program_id, card_number, /*lock=*/true);
    levels::Evaluation evaluation =
        levels::EvaluateCard(tx, program_id, *card, ladder, now, EvaluationMode::kScheduled);
    ++stats.examined;
    switch (evaluation.action) {
      case LevelDecision::Action::kKeep:
        break;
      case LevelDecision::Action::kRenew:
        ++stats.renewed;
        break;
      case LevelDecision::Action::kChange:
        ++(evaluation.moved_up ? stats.upgraded : stats.downgraded);
        break;
    }
    if (evaluation.change && evaluation.change->bonus_pending) {
      stats.pending_bonuses.emplace_back(program_id, evaluation.change->change_id);
    }
    levels::MarkRecalculated(tx, program_id, card_number, ladder, now);
  }
  return static_cast<int>(batch.size());
}

}  // namespace

absl::StatusOr<RecalculationStats> LevelRecalculation::Run(const RecalculationScope& scope,
                                                           absl::Time now) {
  now = sql::Truncate(now);
  RecalculationStats total;
  for (;;) {
    RecalculationStats batch_stats;
    int handled = 0;
    RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
      batch_stats = RecalculationStats();
      handled = RecalculateBatch(tx, scope, now, batch_size_, batch_stats);
      return absl::OkStatus();
    }));
    total.examined += batch_stats.examined;
    total.upgraded += batch_stats.upgraded;
    total.downgraded += batch_stats.downgraded;
    total.renewed += batch_stats.renewed;
    for (auto& pending : batch_stats.pending_bonuses) {
      total.pending_bonuses.push_back(std::move(pending));
    }
    // A short batch means nothing is left that another replica does not
    // hold (those it finishes itself).
    if (handled < batch_size_) return total;
  }
}

}  // namespace loyalty::cards
