#pragma once

// A card's template and level: attached at issue (inside the issuing
// transaction), read for GetCard, changed by hand, and their history.
// Activity-driven and scheduled changes live in LevelActivityStore and
// LevelRecalculation; all of them write through card_level_engine.h.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/card_template.h"
#include "services/cards/domain/clock.h"
#include "services/cards/domain/level_evaluation.h"
#include "services/cards/storage/card_store.h"

namespace loyalty::cards {

// A card's current level, for display.
struct CardLevelInfo {
  std::string level_id;
  std::string level_type_id;
  std::string name;
  int32_t rank = 0;
  absl::Time start_time;
  std::optional<absl::Time> expire_time;
  LevelChangeReason reason = LevelChangeReason::kUnspecified;
};

// What GetCard adds to a card.
struct CardLevelView {
  std::string template_id;  // empty: issued without a template
  std::optional<CardLevelInfo> level;
  CardBenefits benefits;
};

// An operator's SetCardLevel.
struct ManualLevelChange {
  std::string card_number;
  std::string level_id;
  std::string comment;
  std::optional<absl::Time> expire_time;
  bool grant_bonus = false;
  std::string request_id;
  std::string principal_id;
};

// One row of a card's level history.
struct LevelChangeRecord {
  std::string change_id;
  std::string card_number;
  std::string level_type_id;
  std::string previous_level_id;
  std::string level_id;
  std::string level_name;
  LevelChangeReason reason = LevelChangeReason::kUnspecified;
  int64_t qualifying_value = 0;
  std::optional<absl::Time> expire_time;
  std::string comment;
  std::string principal_id;
  int64_t bonus_points = 0;
  LevelBonusState bonus_state = LevelBonusState::kNone;
  std::string bonus_transfer_id;
  std::string bonus_error;
  absl::Time create_time;
};

struct LevelHistoryPage {
  std::vector<LevelChangeRecord> changes;
  std::string next_page_token;
};

class CardLevelStore final : public CardIssueExtension {
 public:
  CardLevelStore(pg::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

  // Attaches `input.template_id` (when set) to the new card: the template
  // must be an active one of the program (NOT_FOUND / FAILED_PRECONDITION
  // naming `template_id`); with a level type, the card gets the ladder's
  // level for no activity (reason INITIAL, with a LevelChanged event).
  absl::Status OnIssue(pg::Tx& tx, absl::string_view program_id, const IssueCardInput& input,
                       const Card& card) override;

  // The template, level and benefits of a card (by its number).
  absl::StatusOr<CardLevelView> Describe(absl::string_view program_id,
                                         absl::string_view card_number);

  // Describe for several cards in one read transaction (ladders read once
  // per level type), by card number.
  absl::StatusOr<std::map<std::string, CardLevelView>> DescribeAll(
      absl::string_view program_id, const std::vector<std::string>& card_numbers);

  // Puts the card on a level of its own type by hand. Returns the card's
  // number and, when the change brought a bonus still to accrue, the id of
  // the change (for LevelBonuses). Errors: NOT_FOUND `card_number` or
  // `level_id`; FAILED_PRECONDITION `card_number` (no level type) or
  // `level_id` (archived); INVALID_ARGUMENT `level_id` (another type),
  // `comment`, `expire_time`; ALREADY_EXISTS `request_id`.
  struct ManualResult {
    std::string card_number;
    std::optional<std::string> bonus_change_id;
  };
  absl::StatusOr<ManualResult> SetManual(absl::string_view program_id, ManualLevelChange change);

  // Puts an existing card on another active template and returns its
  // number. A card keeps its level type: a template of another one is
  // FAILED_PRECONDITION naming `template_id`; a card issued without a
  // template is attached as at issue (with its INITIAL level). The current
  // template again changes nothing. Errors: NOT_FOUND `card_number` or
  // `template_id`; FAILED_PRECONDITION `card_number` (deleted) or
  // `template_id` (archived); INVALID_ARGUMENT `template_id`.
  absl::StatusOr<std::string> SetTemplate(absl::string_view program_id,
                                          absl::string_view card_number, std::string template_id);

  // Newest first. NOT_FOUND naming `card_number` for an unknown card.
  absl::StatusOr<LevelHistoryPage> History(absl::string_view program_id,
                                           absl::string_view card_number, int page_size,
                                           absl::string_view page_token);

 private:
  pg::Pool& pool_;
  const Clock& clock_;
};

}  // namespace loyalty::cards
