#include "libs/csv/csv.h"

#include <cstdint>
#include <limits>

#include "gtest/gtest.h"

namespace loyalty::csv {
namespace {

TEST(CsvTest, PlainCellsAreCommaSeparatedWithCrlf) {
  EXPECT_EQ(Row().Text("time").Text("kind").Integer(42).Finish(), "time,kind,42\r\n");
  EXPECT_EQ(Row().Finish(), "\r\n");
  EXPECT_EQ(Row().Text("").Text("").Finish(), ",\r\n");
}

TEST(CsvTest, QuotesCellsWithSeparatorsQuotesAndLineBreaks) {
  EXPECT_EQ(Row().Text("a,b").Finish(), "\"a,b\"\r\n");
  EXPECT_EQ(Row().Text("say \"hi\"").Finish(), "\"say \"\"hi\"\"\"\r\n");
  EXPECT_EQ(Row().Text("two\nlines").Text("x\r").Finish(), "\"two\nlines\",\"x\r\"\r\n");
  // Nothing else is quoted, UTF-8 passes through untouched.
  EXPECT_EQ(Row().Text("Приветствие; ok").Finish(), "Приветствие; ok\r\n");
}

TEST(CsvTest, GuardsTextThatLooksLikeAFormula) {
  EXPECT_EQ(Row().Text("=HYPERLINK(\"http://x\")").Finish(),
            "\"'=HYPERLINK(\"\"http://x\"\")\"\r\n");
  EXPECT_EQ(Row().Text("+1").Text("-5 points").Text("@SUM(A1)").Finish(),
            "'+1,'-5 points,'@SUM(A1)\r\n");
  EXPECT_EQ(Row().Text("\tcmd").Finish(), "'\tcmd\r\n");
  EXPECT_EQ(Row().Text("\rcmd").Finish(), "\"'\rcmd\"\r\n");
  // Only the first character counts.
  EXPECT_EQ(Row().Text("a=b").Text("1-2").Finish(), "a=b,1-2\r\n");
  EXPECT_TRUE(LooksLikeFormula("=1"));
  EXPECT_FALSE(LooksLikeFormula(""));
  EXPECT_FALSE(LooksLikeFormula("'=1"));
}

TEST(CsvTest, IntegersStayNumbersEvenWhenNegative) {
  EXPECT_EQ(Row().Integer(-300).Integer(0).Finish(), "-300,0\r\n");
  EXPECT_EQ(Row().Integer(std::numeric_limits<int64_t>::min()).Finish(),
            "-9223372036854775808\r\n");
}

TEST(CsvTest, FinishEmptiesTheBuilder) {
  Row row;
  EXPECT_EQ(row.Text("a").Finish(), "a\r\n");
  EXPECT_EQ(row.Text("b").Finish(), "b\r\n");
}

TEST(CsvTest, ByteOrderMarkIsUtf8) {
  EXPECT_EQ(kUtf8Bom, "\xEF\xBB\xBF");
  EXPECT_EQ(kUtf8Bom.size(), 3u);
}

}  // namespace
}  // namespace loyalty::csv
