#include "libs/promotions/calendar.h"

#include "gtest/gtest.h"

namespace loyalty::promotions {
namespace {

absl::TimeZone Zone(const char* name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

TEST(BirthdayWindowTest, OnTheDayAndAround) {
  absl::CivilDay birthday(1990, 6, 15);
  EXPECT_TRUE(WithinBirthdayWindow(birthday, absl::CivilDay(2026, 6, 15), 0, 0));
  EXPECT_FALSE(WithinBirthdayWindow(birthday, absl::CivilDay(2026, 6, 14), 0, 0));
  EXPECT_TRUE(WithinBirthdayWindow(birthday, absl::CivilDay(2026, 6, 12), 3, 0));
  EXPECT_FALSE(WithinBirthdayWindow(birthday, absl::CivilDay(2026, 6, 11), 3, 0));
  EXPECT_TRUE(WithinBirthdayWindow(birthday, absl::CivilDay(2026, 6, 22), 0, 7));
  EXPECT_FALSE(WithinBirthdayWindow(birthday, absl::CivilDay(2026, 6, 23), 0, 7));
  EXPECT_FALSE(WithinBirthdayWindow(birthday, absl::CivilDay(2026, 6, 16), 7, 0));
}

TEST(BirthdayWindowTest, AcrossNewYear) {
  // Born January 2: from December 28 with five days before.
  EXPECT_TRUE(WithinBirthdayWindow(absl::CivilDay(1985, 1, 2), absl::CivilDay(2026, 12, 28), 5, 0));
  EXPECT_FALSE(
      WithinBirthdayWindow(absl::CivilDay(1985, 1, 2), absl::CivilDay(2026, 12, 27), 5, 0));
  // Born December 30: until January 4 with five days after.
  EXPECT_TRUE(WithinBirthdayWindow(absl::CivilDay(1985, 12, 30), absl::CivilDay(2027, 1, 4), 0, 5));
  EXPECT_FALSE(
      WithinBirthdayWindow(absl::CivilDay(1985, 12, 30), absl::CivilDay(2027, 1, 5), 0, 5));
}

TEST(BirthdayWindowTest, FebruaryTwentyNinth) {
  absl::CivilDay leapling(2000, 2, 29);
  // Common year: celebrated on February 28, not March 1.
  EXPECT_TRUE(WithinBirthdayWindow(leapling, absl::CivilDay(2027, 2, 28), 0, 0));
  EXPECT_FALSE(WithinBirthdayWindow(leapling, absl::CivilDay(2027, 3, 1), 0, 0));
  EXPECT_TRUE(WithinBirthdayWindow(leapling, absl::CivilDay(2027, 3, 1), 0, 1));
  // Leap year: the day itself.
  EXPECT_TRUE(WithinBirthdayWindow(leapling, absl::CivilDay(2028, 2, 29), 0, 0));
  EXPECT_FALSE(WithinBirthdayWindow(leapling, absl::CivilDay(2028, 2, 28), 0, 0));
  EXPECT_TRUE(WithinBirthdayWindow(leapling, absl::CivilDay(2028, 2, 28), 1, 0));
  // 2100 is not a leap year.
  EXPECT_TRUE(WithinBirthdayWindow(leapling, absl::CivilDay(2100, 2, 28), 0, 0));
}

TEST(ScheduleTest, DatesByInstantStartInclusiveEndExclusive) {
  absl::TimeZone utc = absl::UTCTimeZone();
  Schedule schedule;
  schedule.start_time = absl::FromCivil(absl::CivilSecond(2026, 3, 1, 0, 0, 0), utc);
  schedule.end_time = absl::FromCivil(absl::CivilSecond(2026, 4, 1, 0, 0, 0), utc);
  auto at = [&](absl::Time t) { return InSchedule(schedule, t, absl::ToCivilSecond(t, utc)); };
  EXPECT_FALSE(at(*schedule.start_time - absl::Seconds(1)));
  EXPECT_TRUE(at(*schedule.start_time));
  EXPECT_TRUE(at(*schedule.end_time - absl::Seconds(1)));
  EXPECT_FALSE(at(*schedule.end_time));
}

TEST(ScheduleTest, DaysAndHoursInTheLocalZone) {
  absl::TimeZone moscow = Zone("Europe/Moscow");  // UTC+3, no DST
  Schedule schedule;
  schedule.days = {absl::Weekday::monday};
  schedule.hours = {{.start_minute = 9 * 60, .end_minute = 12 * 60}};
  auto at = [&](absl::CivilSecond utc_time) {
    absl::Time t = absl::FromCivil(utc_time, absl::UTCTimeZone());
    return InSchedule(schedule, t, absl::ToCivilSecond(t, moscow));
  };
  // Monday 2026-11-23 09:00 in Moscow is 06:00 UTC.
  EXPECT_TRUE(at(absl::CivilSecond(2026, 11, 23, 6, 0, 0)));
  EXPECT_FALSE(at(absl::CivilSecond(2026, 11, 23, 5, 59, 59)));
  EXPECT_TRUE(at(absl::CivilSecond(2026, 11, 23, 8, 59, 59)));
  EXPECT_FALSE(at(absl::CivilSecond(2026, 11, 23, 9, 0, 0)));
  // Sunday 22:30 UTC is Monday 01:30 in Moscow: Monday, but not in hours.
  EXPECT_FALSE(at(absl::CivilSecond(2026, 11, 22, 22, 30, 0)));
  schedule.hours = {{.start_minute = 0, .end_minute = 120}};
  EXPECT_TRUE(at(absl::CivilSecond(2026, 11, 22, 22, 30, 0)));
  // Monday 22:30 UTC is already Tuesday in Moscow.
  EXPECT_FALSE(at(absl::CivilSecond(2026, 11, 23, 22, 30, 0)));
}

TEST(ScheduleTest, HoursFollowTheWallClockAcrossDaylightSaving) {
  absl::TimeZone berlin = Zone("Europe/Berlin");
  Schedule schedule;
  schedule.hours = {{.start_minute = 8 * 60, .end_minute = 10 * 60}};
  auto at = [&](absl::CivilSecond utc_time) {
    absl::Time t = absl::FromCivil(utc_time, absl::UTCTimeZone());
    return InSchedule(schedule, t, absl::ToCivilSecond(t, berlin));
  };
  // Winter (UTC+1): 08:00 local is 07:00 UTC.
  EXPECT_TRUE(at(absl::CivilSecond(2026, 3, 28, 7, 0, 0)));
  EXPECT_FALSE(at(absl::CivilSecond(2026, 3, 28, 6, 59, 0)));
  // Clocks go forward on 2026-03-29 (UTC+2): 08:00 local is 06:00 UTC.
  EXPECT_TRUE(at(absl::CivilSecond(2026, 3, 29, 6, 0, 0)));
  EXPECT_FALSE(at(absl::CivilSecond(2026, 3, 29, 8, 0, 0)));
  // The skipped hour (02:00-03:00 local) does not exist that night.
  schedule.hours = {{.start_minute = 2 * 60, .end_minute = 3 * 60}};
  EXPECT_FALSE(at(absl::CivilSecond(2026, 3, 29, 0, 59, 59)));  // 01:59:59 CET
  EXPECT_FALSE(at(absl::CivilSecond(2026, 3, 29, 1, 0, 0)));    // 03:00 CEST
  // The repeated hour in October matches twice.
  EXPECT_TRUE(at(absl::CivilSecond(2026, 10, 25, 0, 30, 0)));  // 02:30 CEST
  EXPECT_TRUE(at(absl::CivilSecond(2026, 10, 25, 1, 30, 0)));  // 02:30 CET
}

}  // namespace
}  // namespace loyalty::promotions
