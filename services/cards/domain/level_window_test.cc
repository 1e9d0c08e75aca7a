#include "services/cards/domain/level_window.h"

#include <vector>

#include "gtest/gtest.h"

namespace loyalty::cards {
namespace {

using absl::CivilDay;

std::vector<DayRange> Ranges(WindowKind kind, int32_t days, CivilDay today) {
  return QualifyingRanges(LevelWindow{.kind = kind, .days = days}, today);
}

absl::TimeZone Zone(const char* name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

TEST(WindowTest, RollingDaysEndToday) {
  EXPECT_EQ(Ranges(WindowKind::kRollingDays, 1, CivilDay(2024, 3, 10)),
            (std::vector<DayRange>{{CivilDay(2024, 3, 10), CivilDay(2024, 3, 10)}}));
  EXPECT_EQ(Ranges(WindowKind::kRollingDays, 30, CivilDay(2024, 3, 10)),
            (std::vector<DayRange>{{CivilDay(2024, 2, 10), CivilDay(2024, 3, 10)}}));
  // 2024 is a leap year: 365 days back from 2024-12-31 starts on 2024-01-02.
  EXPECT_EQ(Ranges(WindowKind::kRollingDays, 365, CivilDay(2024, 12, 31)),
            (std::vector<DayRange>{{CivilDay(2024, 1, 2), CivilDay(2024, 12, 31)}}));
}

TEST(WindowTest, CalendarPeriodsCountTheCurrentAndThePreviousOne) {
  EXPECT_EQ(Ranges(WindowKind::kCalendarMonth, 0, CivilDay(2024, 3, 10)),
            (std::vector<DayRange>{{CivilDay(2024, 3, 1), CivilDay(2024, 3, 10)},
                                   {CivilDay(2024, 2, 1), CivilDay(2024, 2, 29)}}));
  // January's previous month is last year's December.
  EXPECT_EQ(Ranges(WindowKind::kCalendarMonth, 0, CivilDay(2025, 1, 1)),
            (std::vector<DayRange>{{CivilDay(2025, 1, 1), CivilDay(2025, 1, 1)},
                                   {CivilDay(2024, 12, 1), CivilDay(2024, 12, 31)}}));
  EXPECT_EQ(Ranges(WindowKind::kCalendarQuarter, 0, CivilDay(2024, 5, 20)),
            (std::vector<DayRange>{{CivilDay(2024, 4, 1), CivilDay(2024, 5, 20)},
                                   {CivilDay(2024, 1, 1), CivilDay(2024, 3, 31)}}));
  EXPECT_EQ(Ranges(WindowKind::kCalendarQuarter, 0, CivilDay(2024, 2, 1)),
            (std::vector<DayRange>{{CivilDay(2024, 1, 1), CivilDay(2024, 2, 1)},
                                   {CivilDay(2023, 10, 1), CivilDay(2023, 12, 31)}}));
  EXPECT_EQ(Ranges(WindowKind::kCalendarQuarter, 0, CivilDay(2024, 12, 31)),
            (std::vector<DayRange>{{CivilDay(2024, 10, 1), CivilDay(2024, 12, 31)},
                                   {CivilDay(2024, 7, 1), CivilDay(2024, 9, 30)}}));
  EXPECT_EQ(Ranges(WindowKind::kCalendarYear, 0, CivilDay(2024, 6, 15)),
            (std::vector<DayRange>{{CivilDay(2024, 1, 1), CivilDay(2024, 6, 15)},
                                   {CivilDay(2023, 1, 1), CivilDay(2023, 12, 31)}}));
}

TEST(WindowTest, LifetimeCountsEverything) {
  EXPECT_EQ(Ranges(WindowKind::kLifetime, 0, CivilDay(2024, 6, 15)),
            (std::vector<DayRange>{{kEpochDay, CivilDay(2024, 6, 15)}}));
}

TEST(WindowTest, QualifyingValueIsTheBestRangeNeverNegative) {
  EXPECT_EQ(QualifyingValue(std::vector<int64_t>{}), 0);
  EXPECT_EQ(QualifyingValue(std::vector<int64_t>{300}), 300);
  EXPECT_EQ(QualifyingValue(std::vector<int64_t>{100, 700}), 700);
  EXPECT_EQ(QualifyingValue(std::vector<int64_t>{-50}), 0);  // refunds beyond purchases
}

TEST(WindowTest, LocalDaysAndMidnights) {
  const absl::TimeZone moscow = Zone("Europe/Moscow");  // UTC+3, no DST
  // 2024-03-01 22:30 UTC is already March 2nd in Moscow.
  const absl::Time late =
      absl::FromCivil(absl::CivilSecond(2024, 3, 1, 22, 30, 0), absl::UTCTimeZone());
  EXPECT_EQ(LocalDay(late, moscow), CivilDay(2024, 3, 2));
  EXPECT_EQ(LocalDay(late, absl::UTCTimeZone()), CivilDay(2024, 3, 1));
  EXPECT_EQ(NextLocalMidnight(late, moscow),
            absl::FromCivil(absl::CivilSecond(2024, 3, 2, 21, 0, 0), absl::UTCTimeZone()));
}

TEST(WindowTest, ValidityKeepsTheLocalTimeAcrossClockChanges) {
  EXPECT_EQ(LevelExpiry(0, absl::UnixEpoch(), absl::UTCTimeZone()), std::nullopt);
  const absl::TimeZone berlin = Zone("Europe/Berlin");  // DST from 2024-03-31
  const absl::Time start =
      absl::FromCivil(absl::CivilSecond(2024, 3, 30, 12, 0, 0), berlin) + absl::Milliseconds(250);
  std::optional<absl::Time> end = LevelExpiry(2, start, berlin);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(absl::ToCivilSecond(*end, berlin), absl::CivilSecond(2024, 4, 1, 12, 0, 0));
  EXPECT_EQ(*end - start, absl::Hours(47));  // one hour was skipped
  EXPECT_EQ(*LevelExpiry(365, start, absl::UTCTimeZone()) - start, absl::Hours(24 * 365));
}

TEST(WindowTest, NextRecalculationIsMidnightOrEarlierExpiry) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::Time now = absl::FromCivil(absl::CivilSecond(2024, 3, 1, 10, 0, 0), utc);
  const absl::Time midnight = absl::FromCivil(absl::CivilSecond(2024, 3, 2, 0, 0, 0), utc);
  EXPECT_EQ(NextRecalculation(now, utc, std::nullopt), midnight);
  EXPECT_EQ(NextRecalculation(now, utc, now + absl::Hours(3)), now + absl::Hours(3));
  EXPECT_EQ(NextRecalculation(now, utc, now + absl::Hours(30)), midnight);
  EXPECT_EQ(NextRecalculation(now, utc, now - absl::Hours(1)), midnight);  // already past
}

}  // namespace
}  // namespace loyalty::cards
