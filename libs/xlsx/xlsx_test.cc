#include "libs/xlsx/xlsx.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/xlsx/zip_reader.h"

namespace loyalty::xlsx {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The bytes Finish hands out.
std::string Finished(SheetWriter& writer, size_t piece_bytes = size_t{1} << 20) {
  std::string bytes;
  int pieces = 0;
  absl::Status status = writer.Finish(
      [&](absl::string_view piece) {
        EXPECT_LE(piece.size(), piece_bytes);
        ++pieces;
        bytes.append(piece.data(), piece.size());
        return absl::OkStatus();
      },
      piece_bytes);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_GT(pieces, 0);
  return bytes;
}

// A member of the workbook `bytes`.
std::string ZipMember(const std::string& bytes, const char* name) {
  absl::StatusOr<std::string> member = ReadZipMember(bytes, name);
  EXPECT_TRUE(member.ok()) << member.status();
  return member.value_or("");
}

std::string SheetXml(const std::string& bytes) {
  return ZipMember(bytes, "xl/worksheets/sheet1.xml");
}

TEST(XlsxTest, WritesTextNumbersAndDatesIntoTheSheet) {
  auto writer = SheetWriter::Create("Clients");
  ASSERT_TRUE(writer.ok()) << writer.status();
  (*writer)->Text("Name").Text("Points").Text("Birth date").Text("Registered");
  ASSERT_TRUE((*writer)->EndRow().ok());
  (*writer)
      ->Text("Иванова")
      .Integer(-150)
      .Date(absl::CivilDay(1990, 5, 17))
      .Time(absl::FromCivil(absl::CivilSecond(2024, 3, 1, 10, 15, 30), absl::UTCTimeZone()));
  ASSERT_TRUE((*writer)->EndRow().ok());
  const std::string bytes = Finished(**writer);
  ASSERT_EQ(bytes.substr(0, 2), "PK");  // a zip archive
  const std::string sheet = SheetXml(bytes);
  EXPECT_THAT(sheet, HasSubstr("<t>Name</t>"));
  EXPECT_THAT(sheet, HasSubstr("<t>Иванова</t>"));
  // Numbers are numbers, not text.
  EXPECT_THAT(sheet, HasSubstr("<v>-150</v>"));
  EXPECT_THAT(sheet, Not(HasSubstr("<t>-150</t>")));
  // Dates are serial day numbers with a date format: 1990-05-17 is 33010,
  // 2024-03-01 10:15:30 is 45352 and 36930 seconds of 86400.
  EXPECT_THAT(sheet, HasSubstr("<v>33010</v>"));
  EXPECT_THAT(sheet, HasSubstr("<v>45352.42743"));
  const std::string styles = ZipMember(bytes, "xl/styles.xml");
  EXPECT_THAT(styles, HasSubstr("formatCode=\"yyyy-mm-dd\""));
  EXPECT_THAT(styles, HasSubstr("formatCode=\"yyyy-mm-dd hh:mm:ss\""));
  EXPECT_EQ(ZipMember(bytes, "xl/workbook.xml").find("name=\"Clients\"") == std::string::npos,
            false);
}

TEST(XlsxTest, GuardsTextThatLooksLikeAFormula) {
  auto writer = SheetWriter::Create("Sheet1");
  ASSERT_TRUE(writer.ok()) << writer.status();
  (*writer)->Text("=HYPERLINK(1)").Text("+1").Text("-5").Text("@SUM(A1)").Text("\tcmd").Text(
      "safe = text");
  ASSERT_TRUE((*writer)->EndRow().ok());
  const std::string sheet = SheetXml(Finished(**writer));
  // Each is a string cell holding the text exactly, never a formula cell.
  EXPECT_THAT(sheet, HasSubstr("<c r=\"A1\" t=\"inlineStr\"><is><t>=HYPERLINK(1)</t></is></c>"));
  EXPECT_THAT(sheet, HasSubstr("<c r=\"B1\" t=\"inlineStr\"><is><t>+1</t></is></c>"));
  EXPECT_THAT(sheet, HasSubstr("<c r=\"C1\" t=\"inlineStr\"><is><t>-5</t></is></c>"));
  EXPECT_THAT(sheet, HasSubstr("<c r=\"D1\" t=\"inlineStr\"><is><t>@SUM(A1)</t></is></c>"));
  EXPECT_THAT(sheet, HasSubstr("<c r=\"E1\" t=\"inlineStr\"><is><t"));
  EXPECT_THAT(sheet, HasSubstr("<t>safe = text</t>"));
  EXPECT_THAT(sheet, Not(HasSubstr("<f>")));
}

TEST(XlsxTest, HandsOutALargeSheetInBoundedPieces) {
  auto writer = SheetWriter::Create("Big");
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (int row = 0; row < 20000; ++row) {
    (*writer)->Text(absl::StrCat("client-", row)).Integer(row);
    ASSERT_TRUE((*writer)->EndRow().ok());
  }
  const std::string bytes = Finished(**writer, 4096);
  const std::string sheet = SheetXml(bytes);
  EXPECT_THAT(sheet, HasSubstr("<t>client-0</t>"));
  EXPECT_THAT(sheet, HasSubstr("<t>client-19999</t>"));
  EXPECT_THAT(sheet, HasSubstr("<v>19999</v>"));
}

TEST(XlsxTest, FinishPassesTheSinkError) {
  auto writer = SheetWriter::Create("Sheet1");
  ASSERT_TRUE(writer.ok()) << writer.status();
  (*writer)->Text("x");
  ASSERT_TRUE((*writer)->EndRow().ok());
  absl::Status status = (*writer)->Finish(
      [](absl::string_view) { return absl::ResourceExhaustedError("too big"); });
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ((*writer)->Finish([](absl::string_view) { return absl::OkStatus(); }).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(XlsxTest, RefusesABadSheetName) {
  EXPECT_FALSE(SheetWriter::Create("a/b").ok());
}

}  // namespace
}  // namespace loyalty::xlsx
