// CRD-7 export end to end: a card's operations for a period exported over
// HTTP through the real gateway, polled at /v1/operations/{id} until done
// and downloaded from /v1/operations/{id}/file as a CSV attachment (and
// as XLSX, read back with libs/xlsx's reader); bad
// input refused naming the field; another program cannot download it.

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/xlsx/reader.h"
#include "loyalty/operations/v1/operations.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace ops = loyalty::operations::v1;

class HistoryExportTest : public SharedStackTest {
 protected:
  static std::string Rfc3339(absl::Time time) {
    return absl::FormatTime(absl::RFC3339_full, time, absl::UTCTimeZone());
  }

  static std::string ExportBody(const std::string& request_id, absl::Time start, absl::Time end) {
    return absl::StrCat(R"({"requestId": ")", request_id, R"(", "startTime": ")", Rfc3339(start),
                        R"(", "endTime": ")", Rfc3339(end), R"(", "format": "EXPORT_FORMAT_CSV"})");
  }

  static void Adjust(const std::string& card, int amount, const std::string& reason,
                     const std::string& request_id) {
    http::Response adjusted =
        Admin("POST", absl::StrCat("/v1/cards/", card, ":adjustPoints"),
              absl::StrCat(R"({"amount": )", amount, R"(, "reason": ")", reason,
                           R"(", "requestId": ")", request_id, R"("})"));
    ASSERT_EQ(adjusted.status, 200) << adjusted.body;
  }
};

TEST_F(HistoryExportTest, ExportsAPeriodAndDownloadsItAsCsv) {
  const std::string card = NewMemberCard();
  const std::string tag = UniqueDigits(8);
  Adjust(card, 100, "welcome, friend", absl::StrCat("in-", tag));
  Adjust(card, -30, "=SUM(A1:A9)", absl::StrCat("out-", tag));
  const absl::Time now = absl::Now();

  const std::string body =
      ExportBody(absl::StrCat("export-", tag), now - absl::Hours(1), now + absl::Hours(1));
  const std::string path = absl::StrCat("/v1/cards/", card, "/operations:export");
  http::Response started = Admin("POST", path, body);
  ASSERT_EQ(started.status, 200) << started.body;
  ops::Operation operation = Parse<ops::Operation>(started.body);
  EXPECT_THAT(operation.id(), StartsWith("cards-"));
  EXPECT_EQ(operation.kind(), "cards.history_export");
  EXPECT_EQ(operation.total_items(), 1);
  // The same request again is the same operation.
  http::Response again = Admin("POST", path, body);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Parse<ops::Operation>(again.body).id(), operation.id());

  ops::Operation done = WaitDone(operation.id());
  ASSERT_EQ(done.state(), ops::OPERATION_STATE_SUCCEEDED) << done.error_message();
  const std::string file_name =
      absl::StrCat("card-", card, "-operations-",
                   absl::FormatTime("%Y%m%dT%H%M%SZ", now - absl::Hours(1), absl::UTCTimeZone()));
  EXPECT_THAT(done.result_file().file_name(), StartsWith(file_name));
  EXPECT_EQ(done.result_file().content_type(), "text/csv; charset=utf-8");

  http::Response file = Admin("GET", absl::StrCat("/v1/operations/", operation.id(), "/file"));
  ASSERT_EQ(file.status, 200) << file.body;
  EXPECT_EQ(file.headers["content-type"], "text/csv; charset=utf-8");
  EXPECT_EQ(file.headers["content-disposition"],
            absl::StrCat("attachment; filename=\"", done.result_file().file_name(), "\""));
  EXPECT_EQ(static_cast<int64_t>(file.body.size()), done.result_file().size_bytes());
  std::vector<std::string> lines = absl::StrSplit(file.body, "\r\n");
  ASSERT_EQ(lines.size(), 4u) << file.body;  // header, two rows, "" after the last CRLF
  EXPECT_EQ(
      lines[0],
      "\xEF\xBB\xBFtime,kind,points,balance_after,transfer_id,reference,reason,actor,hold_id");
  // Newest first; the reason that looks like a formula is guarded, the
  // negative amount stays a number.
  EXPECT_THAT(lines[1],
              HasSubstr(absl::StrCat(",CORRECTION_DEBIT,-30,70,out-", tag, ",,'=SUM(A1:A9),")));
  EXPECT_THAT(lines[2], HasSubstr(absl::StrCat(",CORRECTION_CREDIT,100,100,in-", tag,
                                               ",,\"welcome, friend\",")));
  absl::Time row_time;
  std::string error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, lines[1].substr(0, lines[1].find(',')), &row_time,
                              &error))
      << lines[1];
  EXPECT_LT(absl::AbsDuration(row_time - now), absl::Minutes(5));
  EXPECT_TRUE(lines[1].substr(0, lines[1].find(',')).ends_with("Z")) << "UTC";
  EXPECT_EQ(lines[3], "");

  // The same request id with other content is a conflict, naming it.
  http::Response conflict =
      Admin("POST", path,
            ExportBody(absl::StrCat("export-", tag), now - absl::Hours(2), now + absl::Hours(1)));
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_THAT(conflict.body, HasSubstr(R"("field":"request_id")"));

  // Another program neither sees nor downloads it.
  auto other = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/export-other.env"));
  ASSERT_TRUE(other.ok()) << other.status();
  http::Response foreign =
      Send("GET", absl::StrCat("/v1/operations/", operation.id(), "/file"), "", other->api_key);
  EXPECT_EQ(foreign.status, 404) << foreign.body;
  // POS keys may not export.
  http::Response pos = Pos("POST", path, body);
  EXPECT_EQ(pos.status, 403) << pos.body;
}

TEST_F(HistoryExportTest, ExportsXlsxThatReadsBack) {
  const std::string card = NewMemberCard();
  const std::string tag = UniqueDigits(8);
  Adjust(card, 100, "welcome", absl::StrCat("in-", tag));
  Adjust(card, -30, "=SUM(A1:A9)", absl::StrCat("out-", tag));
  const absl::Time now = absl::Now();
  const std::string body = absl::StrCat(
      R"({"requestId": "xlsx-)", tag, R"(", "startTime": ")", Rfc3339(now - absl::Hours(1)),
      R"(", "endTime": ")", Rfc3339(now + absl::Hours(1)), R"(", "format": "EXPORT_FORMAT_XLSX"})");
  http::Response started =
      Admin("POST", absl::StrCat("/v1/cards/", card, "/operations:export"), body);
  ASSERT_EQ(started.status, 200) << started.body;
  ops::Operation done = WaitDone(Parse<ops::Operation>(started.body).id());
  ASSERT_EQ(done.state(), ops::OPERATION_STATE_SUCCEEDED) << done.error_message();
  EXPECT_THAT(done.result_file().file_name(), EndsWith(".xlsx"));

  http::Response file = Admin("GET", absl::StrCat("/v1/operations/", done.id(), "/file"));
  ASSERT_EQ(file.status, 200) << file.body;
  EXPECT_EQ(file.headers["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  const std::string path = absl::StrCat(::testing::TempDir(), "/history-", tag, ".xlsx");
  {
    std::ofstream out(path, std::ios::binary);
    out << file.body;
  }
  absl::StatusOr<std::unique_ptr<xlsx::SheetReader>> reader = xlsx::SheetReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<std::vector<std::string>> rows;
  xlsx::Row row;
  for (absl::StatusOr<bool> more = (*reader)->Next(&row); more.ok() && *more;
       more = (*reader)->Next(&row)) {
    rows.push_back(row.cells);
  }
  std::remove(path.c_str());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].front(), "time");
  // Newest first: the formula-like reason is plain text, the amount a
  // number, the time a date cell.
  ASSERT_GE(rows[1].size(), 7u);
  EXPECT_EQ(rows[1][1], "CORRECTION_DEBIT");
  EXPECT_EQ(rows[1][2], "-30");
  EXPECT_EQ(rows[1][3], "70");
  EXPECT_EQ(rows[1][6], "=SUM(A1:A9)");
  EXPECT_THAT(rows[1][0], StartsWith(absl::FormatTime("%Y-%m-%dT", now, absl::UTCTimeZone())));
}

TEST_F(HistoryExportTest, BadInputIsRefusedNamingTheField) {
  const std::string card = NewMemberCard();
  const absl::Time now = absl::Now();
  const std::string path = absl::StrCat("/v1/cards/", card, "/operations:export");
  struct Case {
    std::string path;
    std::string body;
    int status;
    std::string field;
  } cases[] = {
      {path, R"({"requestId": "b1"})", 400, "start_time"},
      {path, absl::StrCat(R"({"requestId": "b2", "startTime": ")", Rfc3339(now), R"("})"), 400,
       "end_time"},
      {path, ExportBody("b3", now, now - absl::Hours(1)), 400, "end_time"},
      {path, ExportBody("b4", now - absl::Hours(24 * 400), now), 400, "end_time"},
      {path, ExportBody("", now - absl::Hours(1), now), 400, "request_id"},
      {path,
       absl::StrCat(R"({"requestId": "b5", "startTime": ")", Rfc3339(now - absl::Hours(1)),
                    R"(", "endTime": ")", Rfc3339(now), R"(", "format": 9})"),
       400, "format"},
      {"/v1/cards/7700000000000/operations:export", ExportBody("b6", now - absl::Hours(1), now),
       404, "card_number"},
  };
  for (const Case& c : cases) {
    http::Response response = Admin("POST", c.path, c.body);
    EXPECT_EQ(response.status, c.status) << c.body << "\n" << response.body;
    EXPECT_THAT(response.body, HasSubstr(absl::StrCat("\"field\":\"", c.field, "\"")))
        << c.body << "\n"
        << response.body;
  }

  // No such operation: 404.
  http::Response unknown =
      Admin("GET", "/v1/operations/cards-00000000-0000-4000-8000-000000000000/file");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
}

}  // namespace
}  // namespace loyalty::e2e
