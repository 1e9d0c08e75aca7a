#include "libs/promotions/allocate.h"

#include <numeric>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::promotions {
namespace {

using ::testing::ElementsAre;

std::vector<int64_t> Split(int64_t total, std::vector<int64_t> weights,
                           std::vector<int64_t> caps = {}, int64_t* given = nullptr) {
  std::vector<int64_t> parts(weights.size(), -1);
  int64_t handed = Apportion(total, weights, caps, parts);
  if (given != nullptr) *given = handed;
  return parts;
}

TEST(ApportionTest, SplitsInProportionAndAddsUpExactly) {
  EXPECT_THAT(Split(100, {1, 1, 2}), ElementsAre(25, 25, 50));
  // 100/3 each: 33.33 -> one leftover unit, to the lowest index on a tie.
  EXPECT_THAT(Split(100, {1, 1, 1}), ElementsAre(34, 33, 33));
  // Largest remainder first: 10 * 7/10 = 7, 10 * 2/10 = 2, 10 * 1/10 = 1 exact;
  // 5 * (0.7, 0.2, 0.1) = 3.5, 1, 0.5 -> leftover to 3.5 (first largest).
  EXPECT_THAT(Split(5, {7, 2, 1}), ElementsAre(4, 1, 0));
  EXPECT_THAT(Split(1, {1, 3}), ElementsAre(0, 1));
}

TEST(ApportionTest, NothingToSplit) {
  EXPECT_THAT(Split(0, {5, 5}), ElementsAre(0, 0));
  EXPECT_THAT(Split(-3, {5, 5}), ElementsAre(0, 0));
  EXPECT_THAT(Split(7, {}), ElementsAre());
}

TEST(ApportionTest, ZeroWeightsTakeNothingUnlessAllAreZero) {
  EXPECT_THAT(Split(10, {0, 4, 0, 1}), ElementsAre(0, 8, 0, 2));
  EXPECT_THAT(Split(10, {0, 0, 0}), ElementsAre(4, 3, 3));
  // All zero, but the middle line has no room.
  EXPECT_THAT(Split(10, {0, 0, 0}, {100, 0, 100}), ElementsAre(5, 0, 5));
}

TEST(ApportionTest, CapsRedistributeToLinesWithRoom) {
  int64_t given = 0;
  // Proportional would be 50/50; the first line takes only 10.
  EXPECT_THAT(Split(100, {1, 1}, {10, 1000}, &given), ElementsAre(10, 90));
  EXPECT_EQ(given, 100);
  // A capped line's surplus can push another one over its own cap.
  EXPECT_THAT(Split(90, {1, 1, 1}, {10, 25, 1000}, &given), ElementsAre(10, 25, 55));
  EXPECT_EQ(given, 90);
}

TEST(ApportionTest, NeverMoreThanTheCapsAllow) {
  int64_t given = 0;
  EXPECT_THAT(Split(100, {5, 5}, {20, 30}, &given), ElementsAre(20, 30));
  EXPECT_EQ(given, 50);
}

TEST(ApportionTest, LargeValuesDoNotOverflow) {
  const int64_t trillion = 1'000'000'000'000;
  std::vector<int64_t> parts = Split(trillion, {trillion, trillion - 1, 3});
  EXPECT_EQ(std::accumulate(parts.begin(), parts.end(), int64_t{0}), trillion);
  EXPECT_LE(parts[2], 2);
}

}  // namespace
}  // namespace loyalty::promotions
