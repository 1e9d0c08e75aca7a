#pragma once

// The in-transaction steps every path that moves a card on its ladder
// shares (issue, new activity, the scheduled recalculation, manual
// changes): read the card's level and ladder, compute its qualifying value,
// and write a change (card_levels, card_level_history and the LevelChanged
// event, in the caller's transaction). The decisions themselves are the
// pure functions of domain/level_evaluation.h. Storage only.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/card_template.h"
#include "services/cards/domain/level.h"
#include "services/cards/domain/level_evaluation.h"

namespace loyalty::cards::levels {

// A card's template and level as stored.
struct CardLevelRow {
  std::string card_number;
  std::string client_id;
  std::string template_id;
  TemplateSpec template_spec;
  std::string level_type_id;  // empty: the template has no levels
  CardLevelState state;
  std::string level_name;  // of state.level_id
};

// The card's row, or nullopt for a card issued without a template. With
// `lock`, the row stays locked for the rest of the transaction: every
// change of a card's level holds it, so they run one after the other.
std::optional<CardLevelRow> ReadCardLevel(pg::Tx& tx, absl::string_view program_id,
                                          absl::string_view card_number, bool lock);

// ReadCardLevel for several cards with one statement, locked in the order
// of `card_numbers` (sorted, so that two transactions over the same cards
// queue rather than deadlock). Cards without a row are absent.
std::map<std::string, CardLevelRow> ReadCardLevels(pg::Tx& tx, absl::string_view program_id,
                                                   const std::set<std::string>& card_numbers);

// A level type with its ladder (archived levels included, after the active
// ones) and its time zone.
struct Ladder {
  LevelType type;
  std::vector<Level> levels;
  absl::TimeZone zone;
};
std::optional<Ladder> LoadLadder(pg::Tx& tx, absl::string_view program_id,
                                 absl::string_view level_type_id);

// The card's activity in the ladder's metric over its window, as of `now`.
int64_t QualifyingValueAt(pg::Tx& tx, absl::string_view program_id, absl::string_view card_number,
                          const Ladder& ladder, absl::Time now);

// One change to write.
struct ChangeRequest {
  const Level* target = nullptr;  // nullptr: off every level
  LevelChangeReason reason = LevelChangeReason::kUnspecified;
  std::optional<absl::Time> expire_time;
  int64_t qualifying_value = 0;
  std::string comment;
  std::string principal_id;
  std::string request_id;
  // Whether a move up may bring the target's bonus (threshold upgrades;
  // manual changes when asked). A card gets a level's bonus once.
  bool bonus_allowed = false;
};

struct WrittenChange {
  std::string change_id;
  bool bonus_pending = false;  // a bonus to accrue after commit (LevelBonuses)
};

// Writes a change of level: the card's row, a history row, and a
// LevelChanged event. `card` must have been read with the lock.
WrittenChange WriteChange(pg::Tx& tx, absl::string_view program_id, const CardLevelRow& card,
                          const Ladder& ladder, const ChangeRequest& change, absl::Time now);

// What EvaluateCard did.
struct Evaluation {
  LevelDecision::Action action = LevelDecision::Action::kKeep;
  bool moved_up = false;
  std::optional<WrittenChange> change;
};

// Evaluates a locked card against its ladder at `now` and writes what
// DecideLevel decides.
Evaluation EvaluateCard(pg::Tx& tx, absl::string_view program_id, const CardLevelRow& card,
                        const Ladder& ladder, absl::Time now, EvaluationMode mode);

// Marks the card evaluated by the scheduled recalculation at `now`, and
// when it is due next.
void MarkRecalculated(pg::Tx& tx, absl::string_view program_id, absl::string_view card_number,
                      const Ladder& ladder, absl::Time now);

}  // namespace loyalty::cards::levels
