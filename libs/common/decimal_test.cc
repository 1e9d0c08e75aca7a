#include "libs/common/decimal.h"

#include "gtest/gtest.h"

namespace loyalty {
namespace {

TEST(DecimalTest, ParsesQuantities) {
  EXPECT_EQ(*ParseMilli("2"), 2000);
  EXPECT_EQ(*ParseMilli("0.455"), 455);
  EXPECT_EQ(*ParseMilli("12.5"), 12500);
  EXPECT_EQ(*ParseMilli("3."), 3000);
  EXPECT_EQ(*ParseMilli(".5"), 500);
}

TEST(DecimalTest, RejectsMalformedQuantities) {
  EXPECT_FALSE(ParseMilli("").ok());
  EXPECT_FALSE(ParseMilli("-1").ok());
  EXPECT_FALSE(ParseMilli("1.2345").ok());
  EXPECT_FALSE(ParseMilli("1e3").ok());
  EXPECT_FALSE(ParseMilli("1.2.3").ok());
  EXPECT_FALSE(ParseMilli(".").ok());
  EXPECT_FALSE(ParseMilli("99999999999999999999").ok());
}

TEST(DecimalTest, FormatsWithoutTrailingZeros) {
  EXPECT_EQ(FormatMilli(2000), "2");
  EXPECT_EQ(FormatMilli(455), "0.455");
  EXPECT_EQ(FormatMilli(12500), "12.5");
  EXPECT_EQ(FormatMilli(0), "0");
}

TEST(DecimalTest, MultipliesWithoutOverflowAndRoundsHalfUp) {
  EXPECT_EQ(MulDivRoundHalfUp(999, 455, 1000), 455);    // 454.545 -> 455
  EXPECT_EQ(MulDivRoundHalfUp(1, 500, 1000), 1);        // 0.5 -> 1
  EXPECT_EQ(MulDivRoundHalfUp(1, 499, 1000), 0);
  EXPECT_EQ(MulDivFloor(int64_t{1} << 62, 1000, 1000), int64_t{1} << 62);
  EXPECT_EQ(MulDivFloor(199, 1, 2), 99);
  EXPECT_EQ(MulDivRemainder(199, 1, 2), 1);
  EXPECT_EQ(MulDivRemainder(int64_t{1} << 62, 3, 7), ((int64_t{1} << 62) % 7) * 3 % 7);
}

}  // namespace
}  // namespace loyalty
