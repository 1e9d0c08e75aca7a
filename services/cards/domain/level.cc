#include "services/cards/domain/level.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "services/cards/domain/card_template.h"

namespace loyalty::cards {
namespace {

bool IsActive(const Level& level) { return level.state == DefinitionState::kActive; }

absl::Status CheckRange(absl::string_view field, int64_t value, int64_t max,
                        absl::string_view unit) {
  if (value < 0 || value > max) {
    return InvalidField(field, absl::StrCat(unit, ", 0..", max));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view LevelMetricName(LevelMetric metric) {
  switch (metric) {
    case LevelMetric::kPurchaseAmount:
      return "PURCHASE_AMOUNT";
    case LevelMetric::kPointsEarned:
      return "POINTS_EARNED";
    case LevelMetric::kVisits:
      return "VISITS";
    case LevelMetric::kUnspecified:
      break;
  }
  return "";
}

std::optional<LevelMetric> ParseLevelMetric(absl::string_view name) {
  return EnumByName<LevelMetric>(
      name, {LevelMetric::kPurchaseAmount, LevelMetric::kPointsEarned, LevelMetric::kVisits},
      LevelMetricName);
}

absl::string_view WindowKindName(WindowKind kind) {
  switch (kind) {
    case WindowKind::kRollingDays:
      return "ROLLING_DAYS";
    case WindowKind::kCalendarMonth:
      return "CALENDAR_MONTH";
    case WindowKind::kCalendarQuarter:
      return "CALENDAR_QUARTER";
    case WindowKind::kCalendarYear:
      return "CALENDAR_YEAR";
    case WindowKind::kLifetime:
      return "LIFETIME";
    case WindowKind::kUnspecified:
      break;
  }
  return "";
}

std::optional<WindowKind> ParseWindowKind(absl::string_view name) {
  return EnumByName<WindowKind>(
      name,
      {WindowKind::kRollingDays, WindowKind::kCalendarMonth, WindowKind::kCalendarQuarter,
       WindowKind::kCalendarYear, WindowKind::kLifetime},
      WindowKindName);
}

absl::Status NormalizeLevelTypeSpec(LevelTypeSpec& spec, absl::string_view prefix) {
  auto field = [&](absl::string_view name) { return absl::StrCat(prefix, name); };
  if (absl::Status s = NormalizeName(field("name"), spec.name); !s.ok()) return s;
  if (absl::Status s = NormalizeText(field("description"), spec.description, kMaxDescriptionLength);
      !s.ok()) {
    return s;
  }
  if (LevelMetricName(spec.metric).empty()) {
    return InvalidField(field("metric"), "required: PURCHASE_AMOUNT, POINTS_EARNED or VISITS");
  }
  if (WindowKindName(spec.window.kind).empty()) {
    return InvalidField(field("window.kind"), "required");
  }
  if (spec.window.kind == WindowKind::kRollingDays) {
    if (spec.window.days < 1 || spec.window.days > kMaxWindowDays) {
      return InvalidField(field("window.days"),
                          absl::StrCat("a rolling window has 1..", kMaxWindowDays, " days"));
    }
  } else if (spec.window.days != 0) {
    return InvalidField(field("window.days"), "only ROLLING_DAYS windows have a length");
  }
  if (spec.time_zone.empty()) spec.time_zone = kDefaultTimeZone;
  absl::TimeZone zone;
  if (spec.time_zone.size() > 64 || !absl::LoadTimeZone(spec.time_zone, &zone)) {
    return InvalidField(field("time_zone"), "not an IANA time zone, e.g. Europe/Moscow");
  }
  return absl::OkStatus();
}

absl::Status NormalizeLevelSpec(LevelSpec& spec, absl::string_view prefix) {
  auto field = [&](absl::string_view name) { return absl::StrCat(prefix, name); };
  if (absl::Status s = NormalizeName(field("name"), spec.name); !s.ok()) return s;
  if (absl::Status s = NormalizeText(field("description"), spec.description, kMaxDescriptionLength);
      !s.ok()) {
    return s;
  }
  for (auto [name, value, max, unit] :
       {std::tuple<const char*, int64_t, int64_t, const char*>{"threshold", spec.threshold,
                                                               kMaxThreshold, "metric units"},
        {"discount_bp", spec.discount_bp, kMaxBasisPoints, "basis points"},
        {"accrual_bp", spec.accrual_bp, kMaxBasisPoints, "basis points"},
        {"validity_days", spec.validity_days, kMaxValidityDays, "days"},
        {"bonus_points", spec.bonus_points, kMaxBonusPoints, "points"}}) {
    if (absl::Status s = CheckRange(field(name), value, max, unit); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::TimeZone ZoneOf(const LevelTypeSpec& spec) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(spec.time_zone, &zone)) return absl::UTCTimeZone();
  return zone;
}

void ArrangeLadder(std::vector<Level>& levels) {
  std::sort(levels.begin(), levels.end(), [](const Level& a, const Level& b) {
    if (IsActive(a) != IsActive(b)) return IsActive(a);
    if (a.spec.threshold != b.spec.threshold) return a.spec.threshold < b.spec.threshold;
    return a.level_id < b.level_id;
  });
  int32_t rank = 0;
  for (Level& level : levels) level.rank = IsActive(level) ? ++rank : 0;
}

absl::Status CheckLadderPlace(std::span<const Level> ladder, absl::string_view level_id,
                              int64_t threshold, absl::string_view field) {
  size_t others = 0;
  for (const Level& level : ladder) {
    if (!IsActive(level) || level.level_id == level_id) continue;
    ++others;
    if (level.spec.threshold == threshold) {
      return InvalidField(
          field, absl::StrCat("level '", level.spec.name, "' already has threshold ", threshold,
                              "; thresholds strictly increase along the ladder"));
    }
  }
  if (others + 1 > kMaxLevelsPerType) {
    return InvalidField(field, absl::StrCat("a ladder has at most ", kMaxLevelsPerType, " levels"));
  }
  return absl::OkStatus();
}

absl::Status ValidateLadder(std::span<const Level> ladder) {
  const Level* previous = nullptr;
  for (const Level& level : ladder) {
    if (!IsActive(level)) continue;
    if (previous != nullptr && level.spec.threshold <= previous->spec.threshold) {
      return absl::InvalidArgumentError(absl::StrCat(
          "level '", level.spec.name, "' (threshold ", level.spec.threshold,
          ") does not rise above '", previous->spec.name, "' (", previous->spec.threshold, ")"));
    }
    previous = &level;
  }
  return absl::OkStatus();
}

const Level* QualifiedLevel(std::span<const Level> ladder, int64_t value) {
  const Level* best = nullptr;
  for (const Level& level : ladder) {
    if (!IsActive(level) || level.spec.threshold > value) continue;
    if (best == nullptr || level.spec.threshold > best->spec.threshold) best = &level;
  }
  return best;
}

const Level* FindActiveLevel(std::span<const Level> ladder, absl::string_view level_id) {
  for (const Level& level : ladder) {
    if (IsActive(level) && level.level_id == level_id) return &level;
  }
  return nullptr;
}

}  // namespace loyalty::cards
