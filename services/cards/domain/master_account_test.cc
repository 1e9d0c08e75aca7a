#include "services/cards/domain/master_account.h"

#include <cstdint>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::cards {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1'750'000'000);

Lot MakeLot(int64_t id, int64_t remaining, std::optional<absl::Time> expire,
            absl::Time activate = kNow - absl::Hours(1)) {
  return Lot{
      .lot_id = id, .remaining = remaining, .activate_time = activate, .expire_time = expire};
}

TEST(ProportionalShareTest, RoundsDownAndLeavesTheRemainder) {
  EXPECT_EQ(ProportionalShare(100, 1, 3), 33);
  EXPECT_EQ(ProportionalShare(100, 2, 3), 66);
  EXPECT_EQ(ProportionalShare(7, 1, 2), 3);
  EXPECT_EQ(ProportionalShare(90, 30, 90), 30);
}

TEST(ProportionalShareTest, NothingWithoutAPositiveContributionOrBalance) {
  EXPECT_EQ(ProportionalShare(100, 0, 10), 0);
  EXPECT_EQ(ProportionalShare(100, -5, 10), 0);
  EXPECT_EQ(ProportionalShare(100, 5, 0), 0);
  EXPECT_EQ(ProportionalShare(0, 5, 10), 0);
}

TEST(ProportionalShareTest, NeverMoreThanTheBalanceAndNoOverflow) {
  EXPECT_EQ(ProportionalShare(100, 50, 10), 100);
  const int64_t big = kMaxAmount * 1000;
  EXPECT_EQ(ProportionalShare(big, big - 1, big), big - 1);
  EXPECT_EQ(ProportionalShare(std::numeric_limits<int64_t>::max(), 1, 2),
            std::numeric_limits<int64_t>::max() / 2);
}

TEST(ShareBasisPointsTest, InBasisPointsRoundedDown) {
  EXPECT_EQ(ShareBasisPoints(1, 3), 3333);
  EXPECT_EQ(ShareBasisPoints(3, 3), 10000);
  EXPECT_EQ(ShareBasisPoints(0, 3), 0);
  EXPECT_EQ(ShareBasisPoints(5, 0), 0);
}

TEST(LeaveRuleTest, NamesRoundTrip) {
  for (LeaveRule rule : {LeaveRule::kProportional, LeaveRule::kOwnRemaining, LeaveRule::kNothing}) {
    EXPECT_EQ(ParseLeaveRule(LeaveRuleName(rule)), rule);
  }
  EXPECT_EQ(ParseLeaveRule("UNSPECIFIED"), std::nullopt);
}

TEST(UnexpiredPointsTest, CountsActiveAndPendingNotExpired) {
  const std::vector<Lot> lots = {MakeLot(1, 10, std::nullopt),
                                 MakeLot(2, 20, kNow - absl::Minutes(1)),
                                 MakeLot(3, 5, std::nullopt, kNow + absl::Hours(1))};
  EXPECT_EQ(UnexpiredPoints(lots, kNow), 15);
}

TEST(PlanLeaveTest, ProportionalTakesOwnLotsFirstAndSplitsTheLast) {
  // 100 unexpired points, the leaver contributed 30 of 60: it takes 50,
  // its own 20-point lot first, then 30 of the others in spending order.
  const std::vector<Lot> lots = {
      MakeLot(1, 40, kNow + absl::Hours(48)), MakeLot(2, 40, kNow + absl::Hours(24)),
      MakeLot(3, 20, std::nullopt), MakeLot(4, 9, kNow - absl::Hours(1))};  // expired
  const std::vector<LotTake> takes = PlanLeave(lots, kNow,
                                               LeaveInput{.rule = LeaveRule::kProportional,
                                                          .own_lot_ids = {3},
                                                          .contribution = 30,
                                                          .total_contribution = 60});
  EXPECT_THAT(takes, ElementsAre(LotTake{3, 20}, LotTake{2, 30}));
}

TEST(PlanLeaveTest, OwnRemainingTakesWhatIsLeftOfOwnUnexpiredLots) {
  const std::vector<Lot> lots = {MakeLot(1, 40, std::nullopt), MakeLot(2, 7, std::nullopt),
                                 MakeLot(3, 5, kNow - absl::Hours(1)),
                                 MakeLot(4, 3, std::nullopt, kNow + absl::Hours(2))};
  EXPECT_THAT(PlanLeave(lots, kNow,
                        LeaveInput{.rule = LeaveRule::kOwnRemaining,
                                   .own_lot_ids = {2, 3, 4},
                                   .contribution = 100,
                                   .total_contribution = 100}),
              ElementsAre(LotTake{2, 7}, LotTake{4, 3}));
}

TEST(PlanLeaveTest, NothingTakesNothing) {
  const std::vector<Lot> lots = {MakeLot(1, 40, std::nullopt)};
  EXPECT_THAT(PlanLeave(lots, kNow,
                        LeaveInput{.rule = LeaveRule::kNothing,
                                   .own_lot_ids = {1},
                                   .contribution = 40,
                                   .total_contribution = 40}),
              IsEmpty());
}

TEST(PlanLeaveTest, TheLastMemberTakesEveryUnexpiredPointWhateverTheRule) {
  const std::vector<Lot> lots = {MakeLot(1, 40, std::nullopt),
                                 MakeLot(2, 5, kNow - absl::Hours(1))};
  EXPECT_THAT(PlanLeave(lots, kNow, LeaveInput{.rule = LeaveRule::kNothing, .last_member = true}),
              ElementsAre(LotTake{1, 40}));
}

}  // namespace
}  // namespace loyalty::cards
