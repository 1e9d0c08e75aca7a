#include "services/cards/domain/level.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::cards {
namespace {

LevelTypeSpec Rolling(int32_t days) {
  return LevelTypeSpec{.name = "Purchases",
                       .metric = LevelMetric::kPurchaseAmount,
                       .window = {.kind = WindowKind::kRollingDays, .days = days}};
}

std::optional<std::string> TypeFieldOf(LevelTypeSpec spec) {
  return ViolatedField(NormalizeLevelTypeSpec(spec, "level_type."));
}

std::optional<std::string> LevelFieldOf(LevelSpec spec) {
  return ViolatedField(NormalizeLevelSpec(spec, "level."));
}

Level MakeLevel(std::string id, int64_t threshold,
                DefinitionState state = DefinitionState::kActive) {
  return Level{
      .level_id = std::move(id), .spec = {.name = "L", .threshold = threshold}, .state = state};
}

TEST(LevelTypeSpecTest, DefaultsTheZoneAndChecksTheWindow) {
  LevelTypeSpec spec = Rolling(365);
  ASSERT_TRUE(NormalizeLevelTypeSpec(spec, "level_type.").ok());
  EXPECT_EQ(spec.time_zone, "UTC");
  EXPECT_EQ(ZoneOf(spec), absl::UTCTimeZone());

  EXPECT_EQ(TypeFieldOf(Rolling(0)), "level_type.window.days");
  EXPECT_EQ(TypeFieldOf(Rolling(-5)), "level_type.window.days");
  EXPECT_EQ(TypeFieldOf(Rolling(kMaxWindowDays + 1)), "level_type.window.days");
  EXPECT_EQ(TypeFieldOf(Rolling(kMaxWindowDays)), std::nullopt);

  LevelTypeSpec calendar = Rolling(0);
  calendar.window.kind = WindowKind::kCalendarYear;
  EXPECT_EQ(TypeFieldOf(calendar), std::nullopt);
  calendar.window.days = 30;  // days mean nothing for a calendar period
  EXPECT_EQ(TypeFieldOf(calendar), "level_type.window.days");

  LevelTypeSpec spec2 = Rolling(30);
  spec2.window.kind = WindowKind::kUnspecified;
  EXPECT_EQ(TypeFieldOf(spec2), "level_type.window.kind");
  spec2 = Rolling(30);
  spec2.metric = LevelMetric::kUnspecified;
  EXPECT_EQ(TypeFieldOf(spec2), "level_type.metric");
  spec2 = Rolling(30);
  spec2.name = "";
  EXPECT_EQ(TypeFieldOf(spec2), "level_type.name");
}

TEST(LevelTypeSpecTest, TimeZonesFromTheIanaDatabase) {
  LevelTypeSpec spec = Rolling(30);
  spec.time_zone = "Europe/Moscow";
  ASSERT_TRUE(NormalizeLevelTypeSpec(spec, "level_type.").ok());
  EXPECT_EQ(ZoneOf(spec).name(), "Europe/Moscow");
  for (const char* bad : {"Mars/Olympus", "MSK+3", "../../etc/passwd"}) {
    spec.time_zone = bad;
    EXPECT_EQ(TypeFieldOf(spec), "level_type.time_zone") << bad;
  }
}

TEST(LevelSpecTest, RangesNameTheirField) {
  LevelSpec spec{.name = "Gold",
                 .threshold = 100'000,
                 .discount_bp = 500,
                 .accrual_bp = 700,
                 .validity_days = 365,
                 .bonus_points = 1000};
  EXPECT_EQ(LevelFieldOf(spec), std::nullopt);
  auto with = [&](auto change) {
    LevelSpec copy = spec;
    change(copy);
    return LevelFieldOf(copy);
  };
  EXPECT_EQ(with([](LevelSpec& s) { s.threshold = -1; }), "level.threshold");
  EXPECT_EQ(with([](LevelSpec& s) { s.threshold = kMaxThreshold + 1; }), "level.threshold");
  EXPECT_EQ(with([](LevelSpec& s) { s.discount_bp = 10'001; }), "level.discount_bp");
  EXPECT_EQ(with([](LevelSpec& s) { s.accrual_bp = -1; }), "level.accrual_bp");
  EXPECT_EQ(with([](LevelSpec& s) { s.validity_days = kMaxValidityDays + 1; }),
            "level.validity_days");
  EXPECT_EQ(with([](LevelSpec& s) { s.bonus_points = kMaxBonusPoints + 1; }), "level.bonus_points");
  EXPECT_EQ(with([](LevelSpec& s) { s.name = "\t"; }), "level.name");
  EXPECT_EQ(with([](LevelSpec& s) { s.threshold = 0; }), std::nullopt);
}

TEST(LadderTest, ArrangedByThresholdWithRanks) {
  std::vector<Level> ladder = {MakeLevel("c", 5000),
                               MakeLevel("x", 100, DefinitionState::kArchived), MakeLevel("a", 0),
                               MakeLevel("b", 1000)};
  ArrangeLadder(ladder);
  ASSERT_EQ(ladder.size(), 4u);
  EXPECT_EQ(ladder[0].level_id, "a");
  EXPECT_EQ(ladder[0].rank, 1);
  EXPECT_EQ(ladder[1].level_id, "b");
  EXPECT_EQ(ladder[2].level_id, "c");
  EXPECT_EQ(ladder[2].rank, 3);
  EXPECT_EQ(ladder[3].level_id, "x");  // archived: last, no rank
  EXPECT_EQ(ladder[3].rank, 0);
  EXPECT_TRUE(ValidateLadder(ladder).ok());
}

TEST(LadderTest, ThresholdsStrictlyIncrease) {
  std::vector<Level> ladder = {MakeLevel("a", 0), MakeLevel("b", 1000),
                               MakeLevel("old", 2000, DefinitionState::kArchived)};
  ArrangeLadder(ladder);
  absl::Status taken = CheckLadderPlace(ladder, "", 1000, "level.threshold");
  EXPECT_EQ(taken.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(taken), "level.threshold");
  // The level itself and archived levels do not count.
  EXPECT_TRUE(CheckLadderPlace(ladder, "b", 1000, "level.threshold").ok());
  EXPECT_TRUE(CheckLadderPlace(ladder, "", 2000, "level.threshold").ok());
  EXPECT_TRUE(CheckLadderPlace(ladder, "", 500, "level.threshold").ok());

  std::vector<Level> broken = {MakeLevel("a", 0), MakeLevel("b", 0)};
  EXPECT_FALSE(ValidateLadder(broken).ok());
}

TEST(LadderTest, AtMostFiftyLevels) {
  std::vector<Level> ladder;
  for (size_t i = 0; i < kMaxLevelsPerType; ++i) {
    ladder.push_back(MakeLevel(std::to_string(i), static_cast<int64_t>(i) * 10));
  }
  EXPECT_EQ(ViolatedField(CheckLadderPlace(ladder, "", 5, "level.threshold")), "level.threshold");
  EXPECT_TRUE(CheckLadderPlace(ladder, "3", 5, "level.threshold").ok());  // a move, not a new one
}

TEST(LadderTest, QualifiedLevelIsTheHighestReached) {
  std::vector<Level> ladder = {MakeLevel("base", 0), MakeLevel("silver", 1000),
                               MakeLevel("gold", 5000),
                               MakeLevel("gone", 3000, DefinitionState::kArchived)};
  ArrangeLadder(ladder);
  EXPECT_EQ(QualifiedLevel(ladder, 0)->level_id, "base");
  EXPECT_EQ(QualifiedLevel(ladder, 999)->level_id, "base");
  EXPECT_EQ(QualifiedLevel(ladder, 1000)->level_id, "silver");
  EXPECT_EQ(QualifiedLevel(ladder, 4999)->level_id, "silver");  // archived 3000 skipped
  EXPECT_EQ(QualifiedLevel(ladder, 1'000'000)->level_id, "gold");

  std::vector<Level> no_base = {MakeLevel("silver", 1000)};
  EXPECT_EQ(QualifiedLevel(no_base, 999), nullptr);
  EXPECT_EQ(FindActiveLevel(ladder, "gone"), nullptr);
  EXPECT_EQ(FindActiveLevel(ladder, "gold")->spec.threshold, 5000);
}

}  // namespace
}  // namespace loyalty::cards
