#pragma once

// Level types and their ladders of levels (CRD-2): definitions and their
// rules. Pure logic: no gRPC, SQL or Redis here.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/cards/domain/definition.h"

namespace loyalty::cards {

// Mirrors loyalty.cards.v1.LevelMetric, value for value.
enum class LevelMetric { kUnspecified = 0, kPurchaseAmount = 1, kPointsEarned = 2, kVisits = 3 };

// Mirrors loyalty.cards.v1.LevelWindowKind, value for value.
enum class WindowKind {
  kUnspecified = 0,
  kRollingDays = 1,
  kCalendarMonth = 2,
  kCalendarQuarter = 3,
  kCalendarYear = 4,
  kLifetime = 5,
};

// Stable names used in storage ("PURCHASE_AMOUNT", "ROLLING_DAYS", ...).
absl::string_view LevelMetricName(LevelMetric metric);
std::optional<LevelMetric> ParseLevelMetric(absl::string_view name);
absl::string_view WindowKindName(WindowKind kind);
std::optional<WindowKind> ParseWindowKind(absl::string_view name);

struct LevelWindow {
  WindowKind kind = WindowKind::kUnspecified;
  int32_t days = 0;  // ROLLING_DAYS only

  friend bool operator==(const LevelWindow&, const LevelWindow&) = default;
};

// Comments of manual level changes (SetCardLevel, mass changes).
inline constexpr size_t kMaxLevelCommentLength = 500;
inline constexpr int32_t kMaxWindowDays = 3660;  // ten years and change
inline constexpr int32_t kMaxValidityDays = 3660;
inline constexpr int64_t kMaxThreshold = 1'000'000'000'000'000;  // 10^15
inline constexpr int64_t kMaxBonusPoints = 1'000'000'000;        // 10^9
inline constexpr size_t kMaxLevelsPerType = 50;
inline constexpr char kDefaultTimeZone[] = "UTC";

// What a client sets on a level type.
struct LevelTypeSpec {
  std::string name;
  std::string description;
  LevelMetric metric = LevelMetric::kUnspecified;
  LevelWindow window;
  std::string time_zone;  // IANA name; empty becomes kDefaultTimeZone

  friend bool operator==(const LevelTypeSpec&, const LevelTypeSpec&) = default;
};

struct LevelType {
  std::string level_type_id;
  LevelTypeSpec spec;
  DefinitionState state = DefinitionState::kActive;
  int64_t version = 1;
  absl::Time create_time;
  absl::Time update_time;
};

// What a client sets on a level.
struct LevelSpec {
  std::string name;
  std::string description;
  int64_t threshold = 0;
  int32_t discount_bp = 0;
  int32_t accrual_bp = 0;
  int32_t validity_days = 0;  // 0: no validity period
  int64_t bonus_points = 0;

  friend bool operator==(const LevelSpec&, const LevelSpec&) = default;
};

struct Level {
  std::string level_id;
  std::string level_type_id;
  LevelSpec spec;
  DefinitionState state = DefinitionState::kActive;
  int64_t version = 1;
  absl::Time create_time;
  absl::Time update_time;
  int32_t rank = 0;  // 1-based among the type's active levels; 0 archived
};

// Normalises and checks, naming the first bad field under `prefix` (e.g.
// "level_type." gives "level_type.window.days"). The time zone must be one
// this host knows (IANA database).
absl::Status NormalizeLevelTypeSpec(LevelTypeSpec& spec, absl::string_view prefix);
absl::Status NormalizeLevelSpec(LevelSpec& spec, absl::string_view prefix);

// The zone of a normalised spec (UTC if, against expectations, the host
// cannot load it any more).
absl::TimeZone ZoneOf(const LevelTypeSpec& spec);

// --- Ladders -------------------------------------------------------------

// Sorts a type's levels into its ladder (lowest threshold first, archived
// ones after the active ones) and sets each level's rank.
void ArrangeLadder(std::vector<Level>& levels);

// Thresholds strictly increase along a ladder, so an active level's
// threshold must differ from every other active level's of the type.
// INVALID_ARGUMENT naming `field` otherwise; also when the ladder would
// exceed kMaxLevelsPerType. `level_id` is the level being changed (empty
// for a new one); `ladder` holds the type's levels as stored.
absl::Status CheckLadderPlace(std::span<const Level> ladder, absl::string_view level_id,
                              int64_t threshold, absl::string_view field);

// INVALID_ARGUMENT unless the active levels of `ladder`, in its order, have
// strictly increasing thresholds. Used on what storage returns, as an
// invariant.
absl::Status ValidateLadder(std::span<const Level> ladder);

// The highest active level whose threshold `value` reaches; nullptr when
// the value is below them all. `ladder` as ArrangeLadder leaves it.
const Level* QualifiedLevel(std::span<const Level> ladder, int64_t value);

// The active level with this id; nullptr when absent or archived.
const Level* FindActiveLevel(std::span<const Level> ladder, absl::string_view level_id);

}  // namespace loyalty::cards
