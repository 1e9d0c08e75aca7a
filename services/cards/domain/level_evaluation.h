#pragma once

// Where a card belongs on its ladder: the decisions of threshold upgrades,
// the scheduled recalculation (downgrades, expired validity) and manual
// changes. Pure functions over plain values; storage reads their inputs
// and writes their outcome in one transaction.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/cards/domain/level.h"

namespace loyalty::cards {

// Mirrors loyalty.cards.v1.LevelChangeReason, value for value.
enum class LevelChangeReason {
  kUnspecified = 0,
  kInitial = 1,
  kThresholdUpgrade = 2,
  kScheduledDowngrade = 3,
  kValidityExpired = 4,
  kManual = 5,
};

// Stable names used in storage ("INITIAL", "THRESHOLD_UPGRADE", ...).
absl::string_view LevelChangeReasonName(LevelChangeReason reason);
std::optional<LevelChangeReason> ParseLevelChangeReason(absl::string_view name);

// Mirrors loyalty.cards.v1.LevelBonusState, value for value.
enum class LevelBonusState { kNone = 0, kPending = 1, kGranted = 2, kFailed = 3 };

// Stable names used in storage ("NONE", "PENDING", "GRANTED", "FAILED").
absl::string_view LevelBonusStateName(LevelBonusState state);
std::optional<LevelBonusState> ParseLevelBonusState(absl::string_view name);

// A card's place on its ladder as stored.
struct CardLevelState {
  std::string level_id;   // empty: no level
  int64_t threshold = 0;  // of that level, also if it was archived since
  absl::Time start_time;
  std::optional<absl::Time> expire_time;  // end of the validity period
  LevelChangeReason reason = LevelChangeReason::kUnspecified;
};

enum class EvaluationMode {
  // After new activity: the card may only move up.
  kUpgradeOnly,
  // The scheduled recalculation: up, down, or renewal of an expired period.
  kScheduled,
};

struct LevelDecision {
  enum class Action {
    kKeep,    // nothing to write
    kChange,  // move to `target` (nullptr: off every level)
    kRenew,   // same level, new validity period
  };
  Action action = Action::kKeep;
  const Level* target = nullptr;  // points into the ladder given
  LevelChangeReason reason = LevelChangeReason::kUnspecified;
  std::optional<absl::Time> expire_time;  // of the level after
};

// Where a card with `current` state and qualifying `value` belongs at `now`.
// Rules:
// - a level above the current one whose threshold the value reaches:
//   change to the highest such level at once (THRESHOLD_UPGRADE), whatever
//   the mode or validity;
// - in kScheduled mode, a card above its qualified level (or on a level no
//   longer in the ladder) moves down to it, unless its level is protected:
//   an unexpired validity period, or a manual level without an end. The
//   reason is VALIDITY_EXPIRED when a period ran out, SCHEDULED_DOWNGRADE
//   otherwise;
// - in kScheduled mode, a card on its qualified level whose period ran out
//   gets a new period (kRenew).
// New periods start at `now` and last the target level's validity_days in
// `zone`'s local days. `ladder` as ArrangeLadder leaves it.
LevelDecision DecideLevel(std::span<const Level> ladder, const CardLevelState& current,
                          int64_t value, absl::Time now, EvaluationMode mode, absl::TimeZone zone);

// The level a card gets at issue: the one its (zero) activity qualifies for,
// usually the ladder's lowest with threshold 0; nullptr when none has 0.
const Level* InitialLevel(std::span<const Level> ladder);

// The validity end of a manual change: the operator's `requested` time
// (which must be after `now`, else INVALID_ARGUMENT naming `expire_time`),
// or else the level's validity period from now, or else none (kept until
// the next manual change).
absl::StatusOr<std::optional<absl::Time>> ManualExpiry(const Level& level,
                                                       std::optional<absl::Time> requested,
                                                       absl::Time now, absl::TimeZone zone);

// Whether a change from `from_threshold` (nullopt: no level) to `target`
// moves the card up, which is when a level bonus can be due.
bool MovesUp(std::optional<int64_t> from_threshold, const Level& target);

// Ledger transfer id of a level's bonus for a card: deterministic, so that
// the ledger accrues it once per card and level whatever retries happen.
std::string LevelBonusTransferId(absl::string_view level_id, absl::string_view card_number);

// True for transfer ids made by LevelBonusTransferId: such points are not
// "earned" and do not count towards POINTS_EARNED thresholds.
bool IsLevelBonusTransfer(absl::string_view transfer_id);

}  // namespace loyalty::cards
