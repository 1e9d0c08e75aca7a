#include "services/cards/domain/level_evaluation.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::cards {
namespace {

using Action = LevelDecision::Action;

const absl::Time kNow = absl::FromUnixSeconds(1'750'000'000);
const absl::TimeZone kUtc = absl::UTCTimeZone();

// base 0 (no validity) < silver 1000 (90 days) < gold 5000 (365 days, bonus).
std::vector<Level> Ladder() {
  std::vector<Level> ladder = {
      Level{.level_id = "base", .spec = {.name = "Base", .threshold = 0}},
      Level{.level_id = "silver",
            .spec = {.name = "Silver", .threshold = 1000, .validity_days = 90}},
      Level{.level_id = "gold",
            .spec = {.name = "Gold", .threshold = 5000, .validity_days = 365, .bonus_points = 500}},
      Level{.level_id = "retired",
            .spec = {.name = "Retired", .threshold = 3000},
            .state = DefinitionState::kArchived},
  };
  ArrangeLadder(ladder);
  return ladder;
}

CardLevelState On(const std::string& level_id, int64_t threshold,
                  std::optional<absl::Time> expire = std::nullopt,
                  LevelChangeReason reason = LevelChangeReason::kThresholdUpgrade) {
  return CardLevelState{.level_id = level_id,
                        .threshold = threshold,
                        .start_time = kNow - absl::Hours(24 * 100),
                        .expire_time = expire,
                        .reason = reason};
}

LevelDecision Decide(const CardLevelState& current, int64_t value,
                     EvaluationMode mode = EvaluationMode::kScheduled) {
  static const std::vector<Level> ladder = Ladder();
  return DecideLevel(ladder, current, value, kNow, mode, kUtc);
}

std::string TargetOf(const LevelDecision& decision) {
  return decision.target == nullptr ? "(none)" : decision.target->level_id;
}

TEST(DecideLevelTest, UpgradesAtOnceToTheHighestReached) {
  for (EvaluationMode mode : {EvaluationMode::kUpgradeOnly, EvaluationMode::kScheduled}) {
    LevelDecision up = Decide(On("base", 0), 7000, mode);
    EXPECT_EQ(up.action, Action::kChange);
    EXPECT_EQ(TargetOf(up), "gold");  // skips silver
    EXPECT_EQ(up.reason, LevelChangeReason::kThresholdUpgrade);
    EXPECT_EQ(up.expire_time, kNow + absl::Hours(24 * 365));
  }
  // Exactly the threshold is enough; one short is not.
  EXPECT_EQ(TargetOf(Decide(On("base", 0), 1000, EvaluationMode::kUpgradeOnly)), "silver");
  EXPECT_EQ(Decide(On("base", 0), 999, EvaluationMode::kUpgradeOnly).action, Action::kKeep);
  // An upgrade ignores the current level's protection.
  EXPECT_EQ(TargetOf(Decide(On("silver", 1000, kNow + absl::Hours(1)), 5000,
                            EvaluationMode::kUpgradeOnly)),
            "gold");
  // A card without a level gets its first one.
  EXPECT_EQ(TargetOf(Decide(CardLevelState{}, 1500, EvaluationMode::kUpgradeOnly)), "silver");
}

TEST(DecideLevelTest, ActivityNeverMovesACardDown) {
  EXPECT_EQ(Decide(On("gold", 5000), 0, EvaluationMode::kUpgradeOnly).action, Action::kKeep);
  EXPECT_EQ(Decide(On("gold", 5000, kNow - absl::Hours(1)), 0, EvaluationMode::kUpgradeOnly).action,
            Action::kKeep);
}

TEST(DecideLevelTest, ScheduledDowngradeWithoutValidity) {
  // A level without a validity period holds only while the card qualifies.
  LevelDecision down = Decide(On("silver", 1000), 10);
  EXPECT_EQ(down.action, Action::kChange);
  EXPECT_EQ(TargetOf(down), "base");
  EXPECT_EQ(down.reason, LevelChangeReason::kScheduledDowngrade);
  EXPECT_EQ(down.expire_time, std::nullopt);  // base has no period
  // Still qualifying: nothing to do.
  EXPECT_EQ(Decide(On("silver", 1000), 1000).action, Action::kKeep);
}

TEST(DecideLevelTest, ValidityProtectsUntilItEnds) {
  EXPECT_EQ(Decide(On("gold", 5000, kNow + absl::Seconds(1)), 0).action, Action::kKeep);
  LevelDecision expired = Decide(On("gold", 5000, kNow), 1200);
  EXPECT_EQ(expired.action, Action::kChange);
  EXPECT_EQ(TargetOf(expired), "silver");  // straight to the qualified level
  EXPECT_EQ(expired.reason, LevelChangeReason::kValidityExpired);
  EXPECT_EQ(expired.expire_time, kNow + absl::Hours(24 * 90));
}

TEST(DecideLevelTest, ExpiredButStillQualifyingRenews) {
  LevelDecision renew = Decide(On("gold", 5000, kNow - absl::Hours(1)), 6000);
  EXPECT_EQ(renew.action, Action::kRenew);
  EXPECT_EQ(TargetOf(renew), "gold");
  EXPECT_EQ(renew.expire_time, kNow + absl::Hours(24 * 365));
  // Not expired yet: no renewal.
  EXPECT_EQ(Decide(On("gold", 5000, kNow + absl::Hours(1)), 6000).action, Action::kKeep);
}

TEST(DecideLevelTest, ManualLevelsWithoutEndArePinned) {
  const CardLevelState pinned = On("gold", 5000, std::nullopt, LevelChangeReason::kManual);
  EXPECT_EQ(Decide(pinned, 0).action, Action::kKeep);
  // A manual level with an end is protected until then, like any period.
  const CardLevelState until = On("gold", 5000, kNow - absl::Hours(1), LevelChangeReason::kManual);
  EXPECT_EQ(TargetOf(Decide(until, 0)), "base");
  EXPECT_EQ(Decide(until, 0).reason, LevelChangeReason::kValidityExpired);
}

TEST(DecideLevelTest, ArchivedLevelIsReplacedAtRecalculation) {
  // "retired" (3000) left the ladder: the card goes where it qualifies,
  // whatever protection it had.
  const CardLevelState on_retired = On("retired", 3000, kNow + absl::Hours(100));
  EXPECT_EQ(Decide(on_retired, 3500, EvaluationMode::kUpgradeOnly).action, Action::kKeep);
  LevelDecision moved = Decide(on_retired, 3500);
  EXPECT_EQ(moved.action, Action::kChange);
  EXPECT_EQ(TargetOf(moved), "silver");
  // Qualifying above it counts as an upgrade.
  EXPECT_EQ(Decide(on_retired, 5000).reason, LevelChangeReason::kThresholdUpgrade);
}

TEST(DecideLevelTest, FallingBelowEveryLevel) {
  std::vector<Level> no_base = {
      Level{.level_id = "silver", .spec = {.name = "Silver", .threshold = 1000}}};
  ArrangeLadder(no_base);
  LevelDecision off =
      DecideLevel(no_base, On("silver", 1000), 10, kNow, EvaluationMode::kScheduled, kUtc);
  EXPECT_EQ(off.action, Action::kChange);
  EXPECT_EQ(off.target, nullptr);
  EXPECT_EQ(InitialLevel(no_base), nullptr);
  EXPECT_EQ(InitialLevel(Ladder())->level_id, "base");
}

TEST(ManualExpiryTest, RequestedOrTheLevelsPeriodOrNone) {
  const std::vector<Level> ladder = Ladder();
  const Level& gold = *FindActiveLevel(ladder, "gold");
  const Level& base = *FindActiveLevel(ladder, "base");
  EXPECT_EQ(*ManualExpiry(gold, kNow + absl::Hours(5), kNow, kUtc), kNow + absl::Hours(5));
  EXPECT_EQ(*ManualExpiry(gold, std::nullopt, kNow, kUtc), kNow + absl::Hours(24 * 365));
  EXPECT_EQ(*ManualExpiry(base, std::nullopt, kNow, kUtc), std::nullopt);
  EXPECT_EQ(ViolatedField(ManualExpiry(gold, kNow, kNow, kUtc).status()), "expire_time");
}

TEST(LevelBonusTest, OncePerCardAndLevelByTransferId) {
  const std::vector<Level> ladder = Ladder();
  const Level& gold = *FindActiveLevel(ladder, "gold");
  EXPECT_TRUE(MovesUp(std::nullopt, gold));
  EXPECT_TRUE(MovesUp(1000, gold));
  EXPECT_FALSE(MovesUp(5000, gold));
  EXPECT_FALSE(MovesUp(9000, gold));
  const std::string id = LevelBonusTransferId("gold-id", "2000000000015");
  EXPECT_EQ(id, "level-bonus:gold-id:2000000000015");
  EXPECT_EQ(id, LevelBonusTransferId("gold-id", "2000000000015"));
  EXPECT_TRUE(IsLevelBonusTransfer(id));
  EXPECT_FALSE(IsLevelBonusTransfer("receipt-1:accrual"));
}

TEST(ReasonNamesTest, RoundTrip) {
  for (LevelChangeReason reason :
       {LevelChangeReason::kInitial, LevelChangeReason::kThresholdUpgrade,
        LevelChangeReason::kScheduledDowngrade, LevelChangeReason::kValidityExpired,
        LevelChangeReason::kManual}) {
    EXPECT_EQ(ParseLevelChangeReason(LevelChangeReasonName(reason)), reason);
  }
  EXPECT_EQ(ParseLevelChangeReason("PROMOTED"), std::nullopt);
  for (LevelBonusState state : {LevelBonusState::kNone, LevelBonusState::kPending,
                                LevelBonusState::kGranted, LevelBonusState::kFailed}) {
    EXPECT_EQ(ParseLevelBonusState(LevelBonusStateName(state)), state);
  }
}

}  // namespace
}  // namespace loyalty::cards
