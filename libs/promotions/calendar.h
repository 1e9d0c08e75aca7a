#pragma once

// Dates and times as the program's members and shops live them: local
// wall-clock time in the program's zone, birthdays that recur every year.

#include <cstdint>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/promotions/model.h"

namespace loyalty::promotions {

// Whether `today` lies within `days_before` days before to `days_after`
// days after a yearly recurrence of `birthday` (its year is ignored). A
// February 29 birthday falls on February 28 in common years.
bool WithinBirthdayWindow(absl::CivilDay birthday, absl::CivilDay today, int32_t days_before,
                          int32_t days_after);

// Whether the local time `local` (in the schedule's zone) at instant `time`
// is within the schedule: dates by instant, days and hours by wall clock.
bool InSchedule(const Schedule& schedule, absl::Time time, absl::CivilSecond local);

// Minutes since local midnight.
inline int32_t MinuteOfDay(absl::CivilSecond local) {
  return static_cast<int32_t>(local.hour() * 60 + local.minute());
}

inline bool InWindow(const MinuteWindow& window, int32_t minute) {
  return minute >= window.start_minute && minute < window.end_minute;
}

}  // namespace loyalty::promotions
