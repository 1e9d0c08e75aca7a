#include "libs/csv/reader.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::csv {
namespace {

using ::testing::ElementsAre;

// Every record of `text`, fed `piece` bytes at a time.
std::vector<Record> ReadAll(absl::string_view text, char delimiter = ',', size_t piece = 1) {
  Reader reader(delimiter);
  std::vector<Record> records;
  auto drain = [&] {
    while (true) {
      absl::StatusOr<std::optional<Record>> next = reader.Next();
      EXPECT_TRUE(next.ok()) << next.status();
      if (!next.ok() || !next->has_value()) return;
      records.push_back(**next);
    }
  };
  for (size_t at = 0; at < text.size(); at += piece) {
    reader.Feed(text.substr(at, piece));
    drain();
  }
  reader.Finish();
  drain();
  return records;
}

TEST(CsvReaderTest, SkipsTheByteOrderMarkAndReadsCrlfRows) {
  for (size_t piece : {1, 2, 5, 1000}) {
    std::vector<Record> records = ReadAll("\xEF\xBB\xBFphone,name\r\n+7916,Ann\r\n", ',', piece);
    ASSERT_EQ(records.size(), 2u) << piece;
    EXPECT_THAT(records[0].cells, ElementsAre("phone", "name"));
    EXPECT_THAT(records[1].cells, ElementsAre("+7916", "Ann"));
    EXPECT_EQ(records[1].line, 2);
    EXPECT_EQ(records[1].offset, 3 + 12);
  }
}

TEST(CsvReaderTest, SemicolonsQuotesAndLineBreaksInsideQuotes) {
  std::vector<Record> records =
      ReadAll("a;b\n\"x;y\";\"say \"\"hi\"\"\"\n\"two\nlines\";z\nlast;row", ';', 3);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_THAT(records[1].cells, ElementsAre("x;y", "say \"hi\""));
  EXPECT_THAT(records[2].cells, ElementsAre("two\nlines", "z"));
  EXPECT_EQ(records[2].line, 3);
  // The quoted line break counts: the last record starts on line 5.
  EXPECT_EQ(records[3].line, 5);
  EXPECT_THAT(records[3].cells, ElementsAre("last", "row"));
}

TEST(CsvReaderTest, BlankLinesAreSkippedButCounted) {
  std::vector<Record> records = ReadAll("h\n\n\r\nv\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].line, 4);
  EXPECT_THAT(records[1].cells, ElementsAre("v"));
}

TEST(CsvReaderTest, EmptyCellsAndAQuotedEmptyRow) {
  std::vector<Record> records = ReadAll(",,\n\"\"\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].cells, ElementsAre("", "", ""));
  EXPECT_THAT(records[1].cells, ElementsAre(""));
}

TEST(CsvReaderTest, BadUtf8MarksTheRecord) {
  std::vector<Record> records = ReadAll("a,b\n\xC3\x28,ok\nfine,\xD0\x90\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_TRUE(records[0].utf8);
  EXPECT_FALSE(records[1].utf8);
  EXPECT_TRUE(records[2].utf8);
}

TEST(CsvReaderTest, ResumesAtARecordBoundary) {
  const std::string text = "h1,h2\r\na,b\r\nc,d\r\n";
  std::vector<Record> all = ReadAll(text);
  ASSERT_EQ(all.size(), 3u);
  Reader reader(',', all[2].offset, all[2].line);
  reader.Feed(absl::string_view(text).substr(all[2].offset));
  reader.Finish();
  absl::StatusOr<std::optional<Record>> next = reader.Next();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_THAT((*next)->cells, ElementsAre("c", "d"));
  EXPECT_EQ((*next)->line, 3);
  EXPECT_EQ(reader.offset(), static_cast<int64_t>(text.size()));
}

TEST(CsvReaderTest, AQuoteLeftOpenIsAnError) {
  Reader reader(',');
  reader.Feed("a\n\"open,\nmore");
  reader.Finish();
  ASSERT_TRUE(reader.Next().ok());
  absl::StatusOr<std::optional<Record>> broken = reader.Next();
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(broken.status().message()), ::testing::HasSubstr("line 2"));
}

TEST(CsvReaderTest, DetectsTheDelimiterOfTheHeader) {
  EXPECT_EQ(DetectDelimiter("phone;name;\"a,b,c\"\n1,2,3,4"), ';');
  EXPECT_EQ(DetectDelimiter("phone,name\n"), ',');
  EXPECT_EQ(DetectDelimiter("phone"), ',');
}

}  // namespace
}  // namespace loyalty::csv
