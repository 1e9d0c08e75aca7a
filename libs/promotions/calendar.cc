#include "libs/promotions/calendar.h"

#include <algorithm>

namespace loyalty::promotions {
namespace {

bool IsLeapYear(absl::civil_year_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

// The birthday's recurrence in `year`. absl would roll February 29 of a
// common year over to March 1; members born that day celebrate on
// February 28 instead, still in February.
absl::CivilDay Recurrence(absl::CivilDay birthday, absl::civil_year_t year) {
  if (birthday.month() == 2 && birthday.day() == 29 && !IsLeapYear(year)) {
    return absl::CivilDay(year, 2, 28);
  }
  return absl::CivilDay(year, birthday.month(), birthday.day());
}

}  // namespace

bool WithinBirthdayWindow(absl::CivilDay birthday, absl::CivilDay today, int32_t days_before,
                          int32_t days_after) {
  // Windows are shorter than half a year, so the recurrences of last,
  // this and next year cover a window that crosses New Year either way.
  for (absl::civil_year_t year = today.year() - 1; year <= today.year() + 1; ++year) {
    absl::CivilDay day = Recurrence(birthday, year);
    if (today >= day - days_before && today <= day + days_after) return true;
  }
  return false;
}

bool InSchedule(const Schedule& schedule, absl::Time time, absl::CivilSecond local) {
  if (schedule.start_time && time < *schedule.start_time) return false;
  if (schedule.end_time && time >= *schedule.end_time) return false;
  if (!schedule.days.empty()) {
    absl::Weekday weekday = absl::GetWeekday(absl::CivilDay(local));
    if (std::find(schedule.days.begin(), schedule.days.end(), weekday) == schedule.days.end()) {
      return false;
    }
  }
  if (!schedule.hours.empty()) {
    int32_t minute = MinuteOfDay(local);
    return std::any_of(schedule.hours.begin(), schedule.hours.end(),
                       [&](const MinuteWindow& window) { return InWindow(window, minute); });
  }
  return true;
}

}  // namespace loyalty::promotions
