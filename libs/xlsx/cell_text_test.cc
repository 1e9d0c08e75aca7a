#include "libs/xlsx/cell_text.h"

#include "gtest/gtest.h"

namespace loyalty::xlsx {
namespace {

TEST(CellTextTest, ColumnsOfReferences) {
  EXPECT_EQ(ColumnOfReference("A1"), 0);
  EXPECT_EQ(ColumnOfReference("b7"), 1);
  EXPECT_EQ(ColumnOfReference("Z3"), 25);
  EXPECT_EQ(ColumnOfReference("AA3"), 26);
  EXPECT_EQ(ColumnOfReference("AZ1"), 51);
  EXPECT_EQ(ColumnOfReference("XFD1048576"), kMaxColumns - 1);
  EXPECT_EQ(ColumnOfReference("XFE1"), absl::nullopt);
  EXPECT_EQ(ColumnOfReference("AAAAAAAAAAAAAAAA1"), absl::nullopt);  // no overflow
  EXPECT_EQ(ColumnOfReference("12"), absl::nullopt);
  EXPECT_EQ(ColumnOfReference(""), absl::nullopt);
}

TEST(CellTextTest, WholeNumbersLoseTheirExponentAndFraction) {
  EXPECT_EQ(NumberText("79161234567"), "79161234567");
  EXPECT_EQ(NumberText("7.9161234567E+10"), "79161234567");
  EXPECT_EQ(NumberText("1.5E+10"), "15000000000");
  EXPECT_EQ(NumberText("42.0"), "42");
  EXPECT_EQ(NumberText("-150"), "-150");
  EXPECT_EQ(NumberText("9007199254740992"), "9007199254740992");
}

TEST(CellTextTest, OtherNumbersStayAsWritten) {
  EXPECT_EQ(NumberText("1.5"), "1.5");
  EXPECT_EQ(NumberText("0.30000000000000004"), "0.30000000000000004");
  EXPECT_EQ(NumberText("1.2345678901234567E+20"), "1.2345678901234567E+20");  // past 2^53
  EXPECT_EQ(NumberText("1E-3"), "1E-3");
  EXPECT_EQ(NumberText("abc"), "abc");
}

TEST(CellTextTest, BuiltInDateFormats) {
  for (int id : {14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47}) {
    EXPECT_TRUE(IsDateFormat(id, "")) << id;
  }
  for (int id : {0, 1, 2, 9, 10, 11, 12, 13, 23, 44, 48, 49}) {
    EXPECT_FALSE(IsDateFormat(id, "")) << id;
  }
}

TEST(CellTextTest, CustomDateFormats) {
  EXPECT_TRUE(IsDateFormat(164, "dd.mm.yyyy"));
  EXPECT_TRUE(IsDateFormat(164, "yyyy-mm-dd hh:mm:ss"));
  EXPECT_TRUE(IsDateFormat(164, "[$-419]d mmmm yyyy;@"));
  EXPECT_TRUE(IsDateFormat(164, "[Red]DD/MM/YY"));
  EXPECT_FALSE(IsDateFormat(164, "0.00"));
  EXPECT_FALSE(IsDateFormat(164, "#,##0\" days\""));  // quoted
  EXPECT_FALSE(IsDateFormat(164, "0\\d"));            // escaped
  EXPECT_FALSE(IsDateFormat(164, "[mm]:ss0"));        // elapsed, in brackets
  EXPECT_FALSE(IsDateFormat(164, "0_m"));             // space as wide as m
  EXPECT_FALSE(IsDateFormat(164, "General"));
  EXPECT_FALSE(IsDateFormat(164, "0.00E+00"));
  // A custom code replaces the built-in meaning of its id.
  EXPECT_FALSE(IsDateFormat(14, "0.00"));
}

TEST(CellTextTest, DatesOfThe1900System) {
  EXPECT_EQ(DateText("1", false), "1900-01-01");
  EXPECT_EQ(DateText("59", false), "1900-02-28");
  EXPECT_EQ(DateText("60", false), "1900-02-29");  // Lotus's leap day
  EXPECT_EQ(DateText("61", false), "1900-03-01");
  EXPECT_EQ(DateText("33010", false), "1990-05-17");
  EXPECT_EQ(DateText("45352.427430555558", false), "2024-03-01T10:15:30");
  EXPECT_EQ(DateText("45352.999999999", false), "2024-03-02");  // rounds to midnight
  EXPECT_EQ(DateText("2958465", false), "9999-12-31");
  EXPECT_EQ(DateText("2958466", false), absl::nullopt);
  EXPECT_EQ(DateText("-1", false), absl::nullopt);
  EXPECT_EQ(DateText("x", false), absl::nullopt);
}

TEST(CellTextTest, DatesOfThe1904System) {
  EXPECT_EQ(DateText("0", true), "1904-01-01");
  EXPECT_EQ(DateText("31548", true), "1990-05-17");
  EXPECT_EQ(DateText("31548.5", true), "1990-05-17T12:00:00");
}

TEST(CellTextTest, OoxmlEscapes) {
  EXPECT_EQ(UnescapeOoxml("line_x000D__x000A_next"), "line\r\nnext");
  EXPECT_EQ(UnescapeOoxml("a_x005F_x000D_b"), "a_x000D_b");
  EXPECT_EQ(UnescapeOoxml("_x0416_"), "Ж");
  EXPECT_EQ(UnescapeOoxml("snake_x_case_x12_"), "snake_x_case_x12_");
  EXPECT_EQ(UnescapeOoxml("_x00G0_"), "_x00G0_");
}

}  // namespace
}  // namespace loyalty::xlsx
