#include "services/cards/domain/level_window.h"

#include <algorithm>

namespace loyalty::cards {
namespace {

// First month of the quarter `month` is in.
absl::CivilMonth QuarterStart(absl::CivilMonth month) {
  return absl::CivilMonth(month.year(), (month.month() - 1) / 3 * 3 + 1);
}

// The current period [start, today] and the previous whole one, given the
// current and previous periods' first days.
std::vector<DayRange> CurrentAndPrevious(absl::CivilDay current_start,
                                         absl::CivilDay previous_start, absl::CivilDay today) {
  return {DayRange{current_start, today}, DayRange{previous_start, current_start - 1}};
}

}  // namespace

std::vector<DayRange> QualifyingRanges(const LevelWindow& window, absl::CivilDay today) {
  switch (window.kind) {
    case WindowKind::kRollingDays:
      return {DayRange{today - (std::max(window.days, 1) - 1), today}};
    case WindowKind::kCalendarMonth: {
      const absl::CivilMonth month(today);
      return CurrentAndPrevious(absl::CivilDay(month), absl::CivilDay(month - 1), today);
    }
    case WindowKind::kCalendarQuarter: {
      const absl::CivilMonth quarter = QuarterStart(absl::CivilMonth(today));
      return CurrentAndPrevious(absl::CivilDay(quarter), absl::CivilDay(quarter - 3), today);
    }
    case WindowKind::kCalendarYear: {
      const absl::CivilYear year(today);
      return CurrentAndPrevious(absl::CivilDay(year), absl::CivilDay(year - 1), today);
    }
    case WindowKind::kLifetime:
    case WindowKind::kUnspecified:
      break;
  }
  return {DayRange{kEpochDay, today}};
}

int64_t QualifyingValue(std::span<const int64_t> range_sums) {
  int64_t best = 0;
  for (int64_t sum : range_sums) best = std::max(best, sum);
  return best;
}

absl::CivilDay LocalDay(absl::Time time, absl::TimeZone zone) {
  return absl::ToCivilDay(time, zone);
}

absl::Time NextLocalMidnight(absl::Time now, absl::TimeZone zone) {
  return absl::FromCivil(LocalDay(now, zone) + 1, zone);
}

std::optional<absl::Time> LevelExpiry(int32_t days, absl::Time start, absl::TimeZone zone) {
  if (days <= 0) return std::nullopt;
  const absl::CivilSecond local = absl::ToCivilSecond(start, zone);
  const absl::Time end = absl::FromCivil(local + int64_t{days} * 86400, zone);
  // Civil seconds drop the sub-second part; keep it, so that the period is
  // exactly whole days long on days without a clock change.
  return end + (start - absl::FromUnixSeconds(absl::ToUnixSeconds(start)));
}

absl::Time NextRecalculation(absl::Time now, absl::TimeZone zone,
                             std::optional<absl::Time> expire_time) {
  const absl::Time midnight = NextLocalMidnight(now, zone);
  if (expire_time && *expire_time > now && *expire_time < midnight) return *expire_time;
  return midnight;
}

}  // namespace loyalty::cards
