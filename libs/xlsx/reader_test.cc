#include "libs/xlsx/reader.h"

#include <malloc.h>
#include <zip.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/xlsx/xlsx.h"

namespace loyalty::xlsx {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Members = std::vector<std::pair<std::string, std::string>>;

std::string TempPath(absl::string_view name) {
  return absl::StrCat(::testing::TempDir(), "/xlsx_reader_test_", name);
}

// A zip archive of `members` (name, content) at `path`, as libzip writes it.
void WriteZip(const std::string& path, const Members& members,
              const char* password = nullptr) {
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  ASSERT_NE(archive, nullptr) << error;
  for (const auto& [name, content] : members) {
    zip_source_t* source = zip_source_buffer(archive, content.data(), content.size(), 0);
    ASSERT_NE(source, nullptr);
    const zip_int64_t index = zip_file_add(archive, name.c_str(), source, ZIP_FL_OVERWRITE);
    ASSERT_GE(index, 0) << zip_strerror(archive);
    if (password != nullptr) {
      ASSERT_EQ(zip_file_set_encryption(archive, index, ZIP_EM_AES_256, password), 0)
          << zip_strerror(archive);
    }
  }
  ASSERT_EQ(zip_close(archive), 0) << zip_strerror(archive);
}

void WriteFile(const std::string& path, absl::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The workbook `writer` made, at `path`.
void FinishTo(SheetWriter& writer, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  ASSERT_TRUE(writer
                  .Finish([&](absl::string_view piece) {
                    out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
                    return out.good() ? absl::OkStatus() : absl::InternalError("write");
                  })
                  .ok());
}

// Every row of the first sheet, or the first error.
absl::StatusOr<std::vector<Row>> ReadRows(const std::string& path,
                                          const ReaderLimits& limits = {}) {
  absl::StatusOr<std::unique_ptr<SheetReader>> reader = SheetReader::Open(path, limits);
  if (!reader.ok()) return reader.status();
  std::vector<Row> rows;
  Row row;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->Next(&row);
    if (!more.ok()) return more.status();
    if (!*more) return rows;
    rows.push_back(row);
  }
}

MATCHER_P2(IsRow, number, cells, "") {
  return arg.number == number && arg.cells == std::vector<std::string>(cells);
}

constexpr char kPackageRels[] =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>)";

// The workbook lists "Clients" (part clients.xml) first and "Other" (part
// sheet1.xml) second.
std::string WorkbookXml(bool date1904) {
  return absl::StrCat(
      R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">)",
      date1904 ? R"(<workbookPr date1904="1"/>)" : R"(<workbookPr defaultThemeVersion="124226"/>)",
      R"(<sheets><sheet name="Clients" sheetId="2" r:id="rId7"/><sheet name="Other" sheetId="1" r:id="rId1"/></sheets></workbook>)");
}

constexpr char kWorkbookRels[] =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="/xl/sharedStrings.xml"/>
<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/clients.xml"/>
</Relationships>)";

// Cell formats: 0 general, 1 built-in date (14), 2 custom date, 3 built-in
// date and time (22), 4 "0.00". The cell style format with id 14 is not
// one of them.
constexpr char kStyles[] =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy;@"/></numFmts>
<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>
<cellXfs count="5"><xf numFmtId="0" xfId="0"/><xf numFmtId="14" xfId="0" applyNumberFormat="1"/><xf numFmtId="164" xfId="0" applyNumberFormat="1"/><xf numFmtId="22" xfId="0"/><xf numFmtId="2" xfId="0"/></cellXfs>
</styleSheet>)";

constexpr char kSharedStrings[] =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4">
<si><t>Name</t></si>
<si><r><rPr><b/></rPr><t>Ива</t></r><r><t xml:space="preserve">нова </t></r></si>
<si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh></si>
<si><t>two_x000A_lines</t></si>
</sst>)";

std::string SheetXml(absl::string_view sheet_data) {
  return absl::StrCat(
      R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:J6"/><sheetData>)",
      sheet_data, "</sheetData></worksheet>");
}

const char kClientsSheetData[] =
    // Row 1: a gap at C1.
    R"(<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>Phone</t></is></c>)"
    R"(<c r="D1" t="inlineStr"><is><r><t>Bi</t></r><r><rPr><i/></rPr><t>rth</t></r></is></c></row>)"
    // Row 2 is missing.
    R"(<row r="3" spans="1:11"><c r="A3" t="s"><v>1</v></c><c r="B3"><v>7.9161234567E+10</v></c>)"
    R"(<c r="C3" s="1"><v>33010</v></c><c r="D3" t="b"><v>1</v></c><c r="E3" t="e"><v>#N/A</v></c>)"
    R"(<c r="F3" t="str"><f>A3&amp;"x"</f><v>Ивановаx</v></c><c r="G3" s="2"><v>33010</v></c>)"
    R"(<c r="H3" s="3"><v>45352.427430555558</v></c><c r="I3" s="4"><v>1.5</v></c>)"
    R"(<c r="J3" t="s"><v>2</v></c><c r="K3" t="b"><v>0</v></c></row>)"
    // Row 4: cells and row without references.
    R"(<row><c t="inlineStr"><is><t>x</t></is></c><c><v>2</v></c><c t="s"><v>3</v></c></row>)"
    // Row 6: a styled empty cell after the last value, a formula without a
    // cached value.
    R"(<row r="6"><c r="A6" t="inlineStr"><is><t>a</t></is></c><c r="B6"><f>1+1</f></c><c r="C6" s="1"/></row>)";

Members Workbook(absl::string_view clients_sheet_data, bool date1904 = false) {
  return {{"[Content_Types].xml", "<Types/>"},
          {"_rels/.rels", kPackageRels},
          {"xl/workbook.xml", WorkbookXml(date1904)},
          {"xl/_rels/workbook.xml.rels", kWorkbookRels},
          {"xl/styles.xml", kStyles},
          {"xl/sharedStrings.xml", kSharedStrings},
          {"xl/worksheets/sheet1.xml",
           SheetXml(R"(<row r="1"><c r="A1" t="inlineStr"><is><t>IGNORED</t></is></c></row>)")},
          {"xl/worksheets/clients.xml", SheetXml(clients_sheet_data)}};
}

TEST(SheetReaderTest, ReadsTheFirstSheetOfAHandMadeWorkbook) {
  const std::string path = TempPath("handmade.xlsx");
  WriteZip(path, Workbook(kClientsSheetData));
  absl::StatusOr<std::vector<Row>> rows = ReadRows(path);
  ASSERT_TRUE(rows.ok()) << rows.status();
  using Cells = std::vector<std::string>;
  EXPECT_THAT(*rows,
              ElementsAre(IsRow(1, (Cells{"Name", "Phone", "", "Birth"})),
                          IsRow(3, (Cells{"Иванова ", "79161234567", "1990-05-17", "true",
                                          "#N/A", "Ивановаx", "1990-05-17",
                                          "2024-03-01T10:15:30", "1.5", "漢字", "false"})),
                          IsRow(4, (Cells{"x", "2", "two\nlines"})), IsRow(6, (Cells{"a"}))));
}

TEST(SheetReaderTest, ReadsDatesOfThe1904System) {
  const std::string path = TempPath("date1904.xlsx");
  WriteZip(path, Workbook(R"(<row r="2"><c r="A2" s="1"><v>31548</v></c></row>)",
                          /*date1904=*/true));
  absl::StatusOr<std::vector<Row>> rows = ReadRows(path);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(*rows, ElementsAre(IsRow(2, std::vector<std::string>{"1990-05-17"})));
}

TEST(SheetReaderTest, FindsTheWorkbookWithoutPackageRelationships) {
  const std::string path = TempPath("norels.xlsx");
  Members members = Workbook(R"(<row r="1"><c r="A1"><v>7</v></c></row>)");
  members.erase(members.begin() + 1);  // _rels/.rels
  WriteZip(path, members);
  absl::StatusOr<std::vector<Row>> rows = ReadRows(path);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(*rows, ElementsAre(IsRow(1, std::vector<std::string>{"7"})));
}

TEST(SheetReaderTest, ReadsWhatTheSheetWriterWrites) {
  const std::string path = TempPath("written.xlsx");
  auto writer = SheetWriter::Create("Clients");
  ASSERT_TRUE(writer.ok()) << writer.status();
  (*writer)->Text("Name").Text("Phone").Blank().Text("Birth date").Text("Registered");
  ASSERT_TRUE((*writer)->EndRow().ok());
  (*writer)
      ->Text("=HYPERLINK(1)")
      .Integer(79161234567)
      .Blank()
      .Date(absl::CivilDay(1990, 5, 17))
      .Time(absl::FromCivil(absl::CivilSecond(2024, 3, 1, 10, 15, 30), absl::UTCTimeZone()));
  ASSERT_TRUE((*writer)->EndRow().ok());
  FinishTo(**writer, path);
  absl::StatusOr<std::vector<Row>> rows = ReadRows(path);
  ASSERT_TRUE(rows.ok()) << rows.status();
  using Cells = std::vector<std::string>;
  EXPECT_THAT(*rows, ElementsAre(IsRow(1, (Cells{"Name", "Phone", "", "Birth date", "Registered"})),
                                 IsRow(2, (Cells{"=HYPERLINK(1)", "79161234567", "", "1990-05-17",
                                                 "2024-03-01T10:15:30"}))));
}

// The error of opening and reading `path` to the end.
absl::Status ReadError(const std::string& path, const ReaderLimits& limits = {}) {
  return ReadRows(path, limits).status();
}

// INVALID_ARGUMENT saying `says`.
void ExpectRefused(const absl::Status& status, absl::string_view says) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(status.message(), HasSubstr(says));
}

TEST(SheetReaderTest, RefusesFilesThatAreNoXlsx) {
  const std::string random = TempPath("random.xlsx");
  std::string bytes;
  for (int i = 0; i < 4096; ++i) bytes.push_back(static_cast<char>((i * 7919 + 13) % 251));
  WriteFile(random, bytes);
  ExpectRefused(ReadError(random), "not an XLSX workbook");

  const std::string truncated = TempPath("truncated.xlsx");
  const std::string whole = TempPath("whole.xlsx");
  WriteZip(whole, Workbook(kClientsSheetData));
  const std::string complete = ReadFile(whole);
  WriteFile(truncated, complete.substr(0, complete.size() / 2));
  ExpectRefused(ReadError(truncated), "not an XLSX workbook");

  const std::string no_workbook = TempPath("noworkbook.xlsx");
  WriteZip(no_workbook, {{"word/document.xml", "<document/>"}});
  ExpectRefused(ReadError(no_workbook), "no xl/workbook.xml");

  EXPECT_EQ(ReadError(TempPath("missing.xlsx")).code(), absl::StatusCode::kNotFound);
}

TEST(SheetReaderTest, RefusesAWorkbookWithoutWorksheets) {
  const std::string path = TempPath("nosheet.xlsx");
  Members members = Workbook("");
  members[2].second =
      R"(<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>)";
  WriteZip(path, members);
  ExpectRefused(ReadError(path), "no worksheet");
}

TEST(SheetReaderTest, RefusesEncryptedWorkbooks) {
  // What Office writes for a password-protected workbook: an OLE compound
  // file holding the encrypted package.
  const std::string compound = TempPath("protected.xlsx");
  WriteFile(compound, std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + std::string(504, '\0'));
  ExpectRefused(ReadError(compound), "encrypted");

  // A zip whose members are encrypted.
  const std::string zipped = TempPath("encrypted.xlsx");
  WriteZip(zipped, Workbook(kClientsSheetData), "secret");
  ExpectRefused(ReadError(zipped), "encrypted");
}

TEST(SheetReaderTest, RefusesMalformedXmlNamingTheLine) {
  const std::string path = TempPath("malformed.xlsx");
  WriteZip(path, Workbook("<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>\n<row r=\"2\"><c></row>"));
  ExpectRefused(ReadError(path), "xl/worksheets/clients.xml is not well-formed XML: line 3");
}

TEST(SheetReaderTest, RefusesADtd) {
  const std::string path = TempPath("dtd.xlsx");
  Members members = Workbook("");
  members.back().second =
      R"(<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>)"
      R"(<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>)";
  WriteZip(path, members);
  ExpectRefused(ReadError(path), "has a DTD");
}

TEST(SheetReaderTest, RefusesMoreThan16384Columns) {
  const std::string path = TempPath("columns.xlsx");
  WriteZip(path, Workbook(R"(<row r="1"><c r="XFD1"><v>1</v></c><c r="XFE1"><v>2</v></c></row>)"));
  ExpectRefused(ReadError(path), "16384 columns");

  // Without references, the 16385th cell.
  std::string cells;
  for (int i = 0; i <= 16384; ++i) cells += "<c><v>1</v></c>";
  WriteZip(path, Workbook(absl::StrCat("<row>", cells, "</row>")));
  ExpectRefused(ReadError(path), "more than 16384 columns");
}

TEST(SheetReaderTest, RefusesASharedStringThatIsNotThere) {
  const std::string path = TempPath("badindex.xlsx");
  WriteZip(path, Workbook(R"(<row r="2"><c r="B2" t="s"><v>4</v></c></row>)"));
  ExpectRefused(ReadError(path), "cell B2 refers to shared string \"4\"");
}

TEST(SheetReaderTest, RefusesPartsBeyondTheCaps) {
  const std::string path = TempPath("caps.xlsx");
  WriteZip(path, Workbook(kClientsSheetData));
  ReaderLimits limits;
  limits.max_sheet_bytes = 300;
  ExpectRefused(ReadError(path, limits), "xl/worksheets/clients.xml is larger than 300 bytes");

  limits = ReaderLimits();
  limits.max_shared_strings_bytes = 100;
  ExpectRefused(ReadError(path, limits), "xl/sharedStrings.xml is larger than 100 bytes");

  limits = ReaderLimits();
  limits.max_cell_bytes = 5;
  ExpectRefused(ReadError(path, limits), "longer than 5 bytes");
}

// Bytes the heap holds now (small blocks plus mmapped large ones).
size_t HeapInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

TEST(SheetReaderTest, ReadsALargeSheetInBoundedMemory) {
  constexpr int kRows = 200'000;
  const std::string path = TempPath("large.xlsx");
  {
    auto writer = SheetWriter::Create("Large");
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (int i = 1; i <= kRows; ++i) {
      (*writer)
          ->Text(absl::StrCat("Client number ", i))
          .Integer(79160000000 + i)
          .Date(absl::CivilDay(1990, 1, 1) + i % 10000);
      ASSERT_TRUE((*writer)->EndRow().ok());
    }
    FinishTo(**writer, path);
  }
  absl::StatusOr<std::unique_ptr<SheetReader>> reader = SheetReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();

  const size_t before = HeapInUse();
  size_t peak = before;
  Row row;
  int rows = 0;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->Next(&row);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    ++rows;
    ASSERT_EQ(row.number, rows);
    if (rows == 123'456) {
      EXPECT_EQ(row.cells, (std::vector<std::string>{"Client number 123456", "79160123456",
                                                     "1999-06-19"}));
    }
    if (rows % 1000 == 0) peak = std::max(peak, HeapInUse());
  }
  EXPECT_EQ(rows, kRows);
  // The sheet inflates to tens of MiB and its rows' text to several: a
  // reader that kept either would pass this bound many times over.
  EXPECT_LT(peak - before, size_t{2} << 20);
}

}  // namespace
}  // namespace loyalty::xlsx
