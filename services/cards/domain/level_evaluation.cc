#include "services/cards/domain/level_evaluation.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "services/cards/domain/level_window.h"

namespace loyalty::cards {
namespace {

constexpr absl::string_view kBonusPrefix = "level-bonus:";

}  // namespace

absl::string_view LevelChangeReasonName(LevelChangeReason reason) {
  switch (reason) {
    case LevelChangeReason::kInitial:
      return "INITIAL";
    case LevelChangeReason::kThresholdUpgrade:
      return "THRESHOLD_UPGRADE";
    case LevelChangeReason::kScheduledDowngrade:
      return "SCHEDULED_DOWNGRADE";
    case LevelChangeReason::kValidityExpired:
      return "VALIDITY_EXPIRED";
    case LevelChangeReason::kManual:
      return "MANUAL";
    case LevelChangeReason::kUnspecified:
      break;
  }
  return "";
}

std::optional<LevelChangeReason> ParseLevelChangeReason(absl::string_view name) {
  return EnumByName<LevelChangeReason>(
      name,
      {LevelChangeReason::kInitial, LevelChangeReason::kThresholdUpgrade,
       LevelChangeReason::kScheduledDowngrade, LevelChangeReason::kValidityExpired,
       LevelChangeReason::kManual},
      LevelChangeReasonName);
}

absl::string_view LevelBonusStateName(LevelBonusState state) {
  switch (state) {
    case LevelBonusState::kNone:
      return "NONE";
    case LevelBonusState::kPending:
      return "PENDING";
    case LevelBonusState::kGranted:
      return "GRANTED";
    case LevelBonusState::kFailed:
      return "FAILED";
  }
  return "NONE";
}

std::optional<LevelBonusState> ParseLevelBonusState(absl::string_view name) {
  return EnumByName<LevelBonusState>(name,
                                     {LevelBonusState::kNone, LevelBonusState::kPending,
                                      LevelBonusState::kGranted, LevelBonusState::kFailed},
                                     LevelBonusStateName);
}

LevelDecision DecideLevel(std::span<const Level> ladder, const CardLevelState& current,
                          int64_t value, absl::Time now, EvaluationMode mode, absl::TimeZone zone) {
  const Level* qualified = QualifiedLevel(ladder, value);
  const bool has_level = !current.level_id.empty();
  auto change_to = [&](const Level* target, LevelChangeReason reason) {
    return LevelDecision{.action = LevelDecision::Action::kChange,
                         .target = target,
                         .reason = reason,
                         .expire_time = target == nullptr
                                            ? std::nullopt
                                            : LevelExpiry(target->spec.validity_days, now, zone)};
  };

  if (qualified != nullptr && qualified->level_id != current.level_id &&
      (!has_level || qualified->spec.threshold > current.threshold)) {
    return change_to(qualified, LevelChangeReason::kThresholdUpgrade);
  }
  if (mode != EvaluationMode::kScheduled || !has_level) return LevelDecision{};

  const bool expired = current.expire_time && *current.expire_time <= now;
  const Level* held = FindActiveLevel(ladder, current.level_id);
  if (held != nullptr && held == qualified) {
    if (!expired) return LevelDecision{};
    return LevelDecision{.action = LevelDecision::Action::kRenew,
                         .target = held,
                         .reason = current.reason,
                         .expire_time = LevelExpiry(held->spec.validity_days, now, zone)};
  }
  // Below the held level (or the held level left the ladder).
  const bool pinned = current.reason == LevelChangeReason::kManual && !current.expire_time;
  if (held != nullptr && ((current.expire_time && !expired) || pinned)) return LevelDecision{};
  return change_to(qualified, expired ? LevelChangeReason::kValidityExpired
                                      : LevelChangeReason::kScheduledDowngrade);
}

const Level* InitialLevel(std::span<const Level> ladder) { return QualifiedLevel(ladder, 0); }

absl::StatusOr<std::optional<absl::Time>> ManualExpiry(const Level& level,
                                                       std::optional<absl::Time> requested,
                                                       absl::Time now, absl::TimeZone zone) {
  if (requested) {
    if (*requested <= now) return InvalidField("expire_time", "must be in the future");
    return requested;
  }
  return LevelExpiry(level.spec.validity_days, now, zone);
}

bool MovesUp(std::optional<int64_t> from_threshold, const Level& target) {
  return !from_threshold || target.spec.threshold > *from_threshold;
}

std::string LevelBonusTransferId(absl::string_view level_id, absl::string_view card_number) {
  return absl::StrCat(kBonusPrefix, level_id, ":", card_number);
}

bool IsLevelBonusTransfer(absl::string_view transfer_id) {
  return absl::StartsWith(transfer_id, kBonusPrefix);
}

}  // namespace loyalty::cards
