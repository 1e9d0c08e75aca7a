// Client export (CLI-9) and erasure (CLI-14) through the real gateway over
// HTTP: a tag's clients exported as CSV and listed clients as XLSX,
// polled at /v1/operations/{id} and downloaded from /v1/operations/{id}/file;
// a retried export is the same operation; bad columns are 400 naming
// `columns[i]`; an erased client is found neither by its old phone nor in
// an export, cannot change, and its phone serves a new registration; only
// admins erase, POS keys export nothing.

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/xlsx/zip_reader.h"
#include "loyalty/identity/v1/client_erasure_service.pb.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "loyalty/identity/v1/tags_service.pb.h"
#include "loyalty/operations/v1/operations.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
namespace v1 = ::loyalty::identity::v1;
namespace ops = ::loyalty::operations::v1;

class ClientExportTest : public SharedStackTest {
 protected:
  static v1::Client NewClient(const std::string& fields) {
    http::Response client = Admin("POST", "/v1/clients", fields);
    EXPECT_EQ(client.status, 200) << client.body;
    return Parse<v1::Client>(client.body);
  }

  static std::string NewPhone() { return absl::StrCat("+7905", UniqueDigits(7)); }

  // Starts an export and waits for it; the finished operation.
  static ops::Operation Export(const std::string& body) {
    http::Response started = Admin("POST", "/v1/clients:export", body);
    EXPECT_EQ(started.status, 200) << started.body;
    const ops::Operation operation = Parse<ops::Operation>(started.body);
    EXPECT_THAT(operation.id(), StartsWith("identity-"));
    EXPECT_EQ(operation.kind(), "identity.client_export");
    ops::Operation done = WaitDone(operation.id());
    EXPECT_EQ(done.state(), ops::OPERATION_STATE_SUCCEEDED) << done.error_message();
    return done;
  }

  static http::Response Download(const ops::Operation& operation) {
    http::Response file = Admin("GET", absl::StrCat("/v1/operations/", operation.id(), "/file"));
    EXPECT_EQ(file.status, 200) << file.body;
    EXPECT_EQ(file.headers["content-disposition"],
              absl::StrCat("attachment; filename=\"", operation.result_file().file_name(), "\""));
    return file;
  }
};

TEST_F(ClientExportTest, ExportsATagsClientsAsCsvAndListedClientsAsXlsx) {
  const std::string anna_phone = NewPhone();
  const v1::Client anna = NewClient(absl::StrCat(
      R"({"phone": ")", anna_phone,
      R"j(", "lastName": "=HYPERLINK(\"http://x\")", "birthDate": {"year": 1990, "month": 5, "day": 17}})j"));
  const v1::Client boris =
      NewClient(absl::StrCat(R"({"phone": ")", NewPhone(), R"(", "lastName": "Petrov"})"));
  const v1::Client other = NewClient(absl::StrCat(R"({"phone": ")", NewPhone(), R"("})"));
  http::Response tag =
      Admin("POST", "/v1/tags",
            absl::StrCat(R"({"name": "Export )", UniqueDigits(8), R"(", "colour": "#00aa00"})"));
  ASSERT_EQ(tag.status, 200) << tag.body;
  const std::string tag_id = Parse<v1::Tag>(tag.body).tag_id();
  ASSERT_EQ(Admin("POST", absl::StrCat("/v1/tags/", tag_id, ":assign"),
                  absl::StrCat(R"({"clientIds": [")", anna.client_id(), R"(", ")",
                               boris.client_id(), R"("]})"))
                .status,
            200);

  const std::string csv_body = absl::StrCat(
      R"({"requestId": "csv-)", UniqueDigits(10), R"(", "filter": {"tagId": ")", tag_id,
      R"("}, "columns": ["client_id", "last_name", "phone", "birth_date"]})");
  const ops::Operation csv = Export(csv_body);
  EXPECT_EQ(csv.result_file().content_type(), "text/csv; charset=utf-8");
  // The same request again is the same operation.
  http::Response again = Admin("POST", "/v1/clients:export", csv_body);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Parse<ops::Operation>(again.body).id(), csv.id());

  http::Response file = Download(csv);
  EXPECT_EQ(file.headers["content-type"], "text/csv; charset=utf-8");
  std::vector<std::string> lines = absl::StrSplit(file.body, "\r\n");
  ASSERT_EQ(lines.size(), 4u) << file.body;  // header, two clients, "" after the last CRLF
  EXPECT_EQ(lines[0], "\xEF\xBB\xBF" "Client id,Last name,Phone,Birth date");
  // Newest first; text that looks like a formula is guarded.
  EXPECT_EQ(lines[1], absl::StrCat(boris.client_id(), ",Petrov,'", boris.phone(), ","));
  EXPECT_EQ(lines[2], absl::StrCat(anna.client_id(), ",\"'=HYPERLINK(\"\"http://x\"\")\",'",
                                   anna_phone, ",1990-05-17"));
  EXPECT_THAT(file.body, Not(HasSubstr(other.client_id())));

  const ops::Operation workbook = Export(absl::StrCat(
      R"({"requestId": "xlsx-)", UniqueDigits(10), R"(", "format": "EXPORT_FORMAT_XLSX",)",
      R"( "clientIds": [")", anna.client_id(), R"("], "columns": ["last_name", "birth_date"]})"));
  http::Response xlsx = Download(workbook);
  EXPECT_EQ(xlsx.headers["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  absl::StatusOr<std::string> sheet = xlsx::ReadZipMember(xlsx.body, "xl/worksheets/sheet1.xml");
  ASSERT_TRUE(sheet.ok()) << sheet.status();
  EXPECT_THAT(*sheet, HasSubstr("<t>Last name</t>"));
  EXPECT_THAT(*sheet, HasSubstr("t=\"inlineStr\"><is><t>=HYPERLINK("));
  EXPECT_THAT(*sheet, Not(HasSubstr("<f>")));
  EXPECT_THAT(*sheet, HasSubstr("<v>33010</v>"));  // 1990-05-17, a date cell
}

TEST_F(ClientExportTest, BadExportsAreRefusedNamingTheField) {
  struct Case {
    std::string body;
    int status;
    std::string field;
  } cases[] = {
      {R"({"requestId": "b1", "columns": ["phone", "password"]})", 400, "columns[1]"},
      {R"({"requestId": "b2"})", 400, "columns"},
      {R"({"columns": ["phone"]})", 400, "request_id"},
      {R"({"requestId": "b3", "columns": ["phone"], "clientIds": ["x"]})", 400, "client_ids[0]"},
      {R"({"requestId": "b4", "columns": ["phone"], "filter": {"tagId": "x"}})", 400,
       "filter.tag_id"},
      {R"({"requestId": "b5", "columns": ["phone"], "filter": {"tagId": "9b2f8c1e-0000-4000-8000-000000000000"}})",
       404, "filter.tag_id"},
  };
  for (const Case& c : cases) {
    http::Response response = Admin("POST", "/v1/clients:export", c.body);
    EXPECT_EQ(response.status, c.status) << c.body << "\n" << response.body;
    EXPECT_THAT(response.body, HasSubstr(absl::StrCat("\"field\":\"", c.field, "\"")))
        << c.body << "\n"
        << response.body;
  }
  EXPECT_EQ(Pos("POST", "/v1/clients:export", R"({"requestId": "p1", "columns": ["phone"]})").status,
            403);
}

TEST_F(ClientExportTest, AnErasedClientIsGoneButItsPhoneServesANewMember) {
  const std::string phone = NewPhone();
  const std::string email = absl::StrCat("erase-", UniqueDigits(8), "@example.com");
  const v1::Client client = NewClient(absl::StrCat(R"({"phone": ")", phone, R"(", "email": ")",
                                                   email, R"(", "lastName": "Ivanova"})"));
  const std::string path = absl::StrCat("/v1/clients/", client.client_id(), ":erase");
  const std::string body =
      absl::StrCat(R"({"reason": "member's request", "requestId": "erase-)", UniqueDigits(10),
                   R"("})");
  EXPECT_EQ(Pos("POST", path, body).status, 403);
  http::Response no_reason = Admin("POST", path, R"({"requestId": "e1"})");
  EXPECT_EQ(no_reason.status, 400) << no_reason.body;
  EXPECT_THAT(no_reason.body, HasSubstr(R"("field":"reason")"));

  http::Response erased = Admin("POST", path, body);
  ASSERT_EQ(erased.status, 200) << erased.body;
  const v1::ClientErasure erasure = Parse<v1::ClientErasure>(erased.body);
  EXPECT_EQ(erasure.client_id(), client.client_id());
  EXPECT_EQ(erasure.reason(), "member's request");
  http::Response retry = Admin("POST", path, body);
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(Parse<v1::ClientErasure>(retry.body).erase_time().seconds(),
            erasure.erase_time().seconds());

  EXPECT_EQ(Admin("GET", absl::StrCat("/v1/clients:identify?phone=", phone)).status, 404);
  EXPECT_EQ(Admin("GET", absl::StrCat("/v1/clients:identify?email=", email)).status, 404);
  EXPECT_EQ(Admin("GET", absl::StrCat("/v1/clients/", client.client_id())).status, 404);
  http::Response update =
      Admin("PATCH", absl::StrCat("/v1/clients/", client.client_id(), "?updateMask=city"),
            R"({"city": "Tver"})");
  EXPECT_EQ(update.status, 400) << update.body;  // FAILED_PRECONDITION
  EXPECT_THAT(update.body, HasSubstr("erased"));

  const ops::Operation exported = Export(absl::StrCat(
      R"({"requestId": "erased-)", UniqueDigits(10), R"(", "clientIds": [")", client.client_id(),
      R"("], "columns": ["client_id", "phone"]})"));
  EXPECT_EQ(Download(exported).body, "\xEF\xBB\xBF" "Client id,Phone\r\n");

  // The phone and e-mail are free: a new member registers with them.
  const v1::Client newcomer = NewClient(
      absl::StrCat(R"({"phone": ")", phone, R"(", "email": ")", email, R"("})"));
  EXPECT_NE(newcomer.client_id(), client.client_id());
  http::Response identified = Admin("GET", absl::StrCat("/v1/clients:identify?phone=", phone));
  ASSERT_EQ(identified.status, 200) << identified.body;
  EXPECT_EQ(Parse<v1::Client>(identified.body).client_id(), newcomer.client_id());
}

}  // namespace
}  // namespace loyalty::e2e
