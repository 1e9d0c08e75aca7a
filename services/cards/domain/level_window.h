#pragma once

// The time arithmetic of levels: which local days a level type's window
// counts, when a level's validity ends, when a card is due for the
// scheduled recalculation. Days are calendar days in the level type's time
// zone. Pure logic.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/cards/domain/level.h"

namespace loyalty::cards {

// Local days from `first` to `last`, both included.
struct DayRange {
  absl::CivilDay first;
  absl::CivilDay last;

  friend bool operator==(const DayRange&, const DayRange&) = default;
};

// The first day LIFETIME windows count from.
inline const absl::CivilDay kEpochDay(1970, 1, 1);

// The ranges of days whose activity `window` counts on `today`:
// - ROLLING_DAYS: the last `days` days, today included (one range);
// - CALENDAR_*: the current period up to today, and the whole previous
//   period (two ranges; the card qualifies by the better of the two, so a
//   level reached in one period holds through the next);
// - LIFETIME: every day up to today (one range).
std::vector<DayRange> QualifyingRanges(const LevelWindow& window, absl::CivilDay today);

// The value thresholds are compared with, from the activity sums of the
// ranges QualifyingRanges gave: the largest, and never below 0 (refunds
// and reversals can make a range's sum negative).
int64_t QualifyingValue(std::span<const int64_t> range_sums);

// The local day `time` falls on in `zone`.
absl::CivilDay LocalDay(absl::Time time, absl::TimeZone zone);

// The start of the local day after the one `now` falls on.
absl::Time NextLocalMidnight(absl::Time now, absl::TimeZone zone);

// End of a validity period of `days` local days from `start` (same local
// time of day, so daylight-saving shifts do not cut it short); nullopt when
// `days` is 0 (no period).
std::optional<absl::Time> LevelExpiry(int32_t days, absl::Time start, absl::TimeZone zone);

// When the scheduled recalculation should look at a card next: windows move
// by whole days, so at the next local midnight, or earlier when the card's
// level expires before.
absl::Time NextRecalculation(absl::Time now, absl::TimeZone zone,
                             std::optional<absl::Time> expire_time);

}  // namespace loyalty::cards
