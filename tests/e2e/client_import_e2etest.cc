// CLI-8 client import end to end over HTTP through the real gateway: a CSV
// uploaded in chunks (base64 in JSON, each within the gateway's body
// limit), the import started and polled at /v1/operations/{id}, its counts
// read, the error report downloaded; the same file again returns the same
// operation; bad input is 400 naming the field; another program's import
// is 404; a POS key may not import. An XLSX workbook (written here with
// the workbook writer) imports the same way, its rows numbered as the sheet
// numbers them.

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/xlsx/xlsx.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "loyalty/identity/v1/import_service.pb.h"
#include "loyalty/operations/v1/operations.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace v1 = ::loyalty::identity::v1;
namespace ops = ::loyalty::operations::v1;

class ClientImportTest : public SharedStackTest {
 protected:
  // Uploads `content` in chunks of `piece` bytes; returns the file id.
  static std::string Upload(const std::string& content, size_t piece) {
    http::Response created =
        Admin("POST", "/v1/client-imports/files",
              absl::StrCat(R"({"requestId": "upload-)", UniqueDigits(12),
                           R"(", "fileName": "clients.csv"})"));
    EXPECT_EQ(created.status, 200) << created.body;
    const std::string file_id = Parse<v1::ImportFile>(created.body).file_id();
    for (size_t at = 0; at < content.size(); at += piece) {
      http::Response appended =
          Admin("POST", absl::StrCat("/v1/client-imports/files/", file_id, ":append"),
                absl::StrCat(R"({"offset": )", at, R"(, "data": ")",
                             absl::Base64Escape(content.substr(at, piece)), R"("})"));
      EXPECT_EQ(appended.status, 200) << appended.body;
    }
    return file_id;
  }

  static std::string StartBody(const std::string& file_id, const std::string& field = "phone") {
    return absl::StrCat(R"({"requestId": "import-)", UniqueDigits(12), R"(", "fileId": ")",
                        file_id, R"(", "columns": [{"column": "Телефон", "field": ")", field,
                        R"("}, {"column": "Имя", "field": "first_name"}],)",
                        R"( "dedupeKeys": ["phone"], "onDuplicate": "DUPLICATE_MODE_UPDATE"})");
  }
};

TEST_F(ClientImportTest, ImportsACsvFileAndReportsItsBadRows) {
  const std::string digits = UniqueDigits(6);
  const std::string csv = absl::StrCat("\xEF\xBB\xBFИмя;Телефон\r\n", "Анна;+7917", digits,
                                       "1\r\n", "Борис;+7917", digits, "2\r\n",
                                       "Нет;12\r\n");
  const std::string file_id = Upload(csv, 16);
  http::Response started = Admin("POST", "/v1/client-imports", StartBody(file_id));
  ASSERT_EQ(started.status, 200) << started.body;
  const ops::Operation operation = Parse<ops::Operation>(started.body);
  EXPECT_THAT(operation.id(), StartsWith("identity-"));
  EXPECT_EQ(operation.kind(), "identity.client_import");

  const ops::Operation done = WaitDone(operation.id());
  EXPECT_EQ(done.state(), ops::OPERATION_STATE_SUCCEEDED) << ToJson(done);
  http::Response counts = Admin("GET", absl::StrCat("/v1/client-imports/", operation.id()));
  ASSERT_EQ(counts.status, 200) << counts.body;
  const v1::ClientImport imported = Parse<v1::ClientImport>(counts.body);
  EXPECT_TRUE(imported.applied());
  EXPECT_EQ(imported.total_rows(), 3);
  EXPECT_EQ(imported.created(), 2);
  EXPECT_EQ(imported.failed(), 1);

  http::Response found =
      Admin("GET", absl::StrCat("/v1/clients:identify?phone=%2B7917", digits, "2"));
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_THAT(found.body, HasSubstr("Борис"));

  http::Response report = Admin("GET", absl::StrCat("/v1/operations/", operation.id(), "/file"));
  ASSERT_EQ(report.status, 200) << report.body;
  EXPECT_THAT(report.body, HasSubstr("4,Телефон,phone,"));

  // The same bytes again, uploaded anew: the first import, nothing more.
  http::Response again = Admin("POST", "/v1/client-imports", StartBody(Upload(csv, 1000)));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Parse<ops::Operation>(again.body).id(), operation.id());

  // Another program sees neither the import nor the file.
  auto other = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/import-other.env"));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(Send("GET", absl::StrCat("/v1/client-imports/", operation.id()), "", other->api_key)
                .status,
            404);
  EXPECT_EQ(Send("POST", "/v1/client-imports", StartBody(file_id), other->api_key).status, 404);
  // POS keys may not import.
  EXPECT_EQ(Pos("POST", "/v1/client-imports", StartBody(file_id)).status, 403);
}

// CLI-2's batch update of attribute values from a file: the import with
// attribute columns, finding clients by external id, creating none.
TEST_F(ClientImportTest, AFileUpdatesStatusesOfExistingClientsOnly) {
  auto program = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/import-attrs.env"));
  ASSERT_TRUE(program.ok()) << program.status();
  auto as_admin = [&](const std::string& method, const std::string& path,
                      const std::string& body = "") {
    return Send(method, path, body, program->api_key);
  };
  http::Response tier = as_admin(
      "POST", "/v1/attributes",
      R"({"key": "tier", "displayName": "Tier", "type": "ATTRIBUTE_TYPE_ENUM",
          "kind": "ATTRIBUTE_KIND_STATUS_SYSTEM",
          "allowedValues": [{"key": "silver", "label": "Silver"},
                            {"key": "gold", "label": "Gold"}]})");
  ASSERT_EQ(tier.status, 200) << tier.body;
  const std::string ext = absl::StrCat("crm-", UniqueDigits(8));
  http::Response registered =
      as_admin("POST", "/v1/clients",
               absl::StrCat(R"({"phone": "+7918)", UniqueDigits(7), R"(", "externalId": ")", ext,
                            R"("})"));
  ASSERT_EQ(registered.status, 200) << registered.body;
  const std::string client = Parse<v1::Client>(registered.body).client_id();

  const std::string csv = absl::StrCat("ext;tier\n", ext, ";gold\n", "unknown-", ext, ";gold\n",
                                       ext, ";platinum\n");
  http::Response created =
      as_admin("POST", "/v1/client-imports/files",
               absl::StrCat(R"({"requestId": "tiers-)", UniqueDigits(12),
                            R"(", "fileName": "tiers.csv"})"));
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string file_id = Parse<v1::ImportFile>(created.body).file_id();
  ASSERT_EQ(as_admin("POST", absl::StrCat("/v1/client-imports/files/", file_id, ":append"),
                     absl::StrCat(R"({"offset": 0, "data": ")", absl::Base64Escape(csv), R"("})"))
                .status,
            200);
  http::Response started = as_admin(
      "POST", "/v1/client-imports",
      absl::StrCat(R"({"requestId": "tiers-)", UniqueDigits(12), R"(", "fileId": ")", file_id,
                   R"(", "columns": [{"column": "ext", "field": "external_id"},)",
                   R"( {"column": "tier", "field": "attributes.tier"}],)",
                   R"( "dedupeKeys": ["external_id"], "onDuplicate": "DUPLICATE_MODE_UPDATE",)",
                   R"( "onNewClient": "NEW_CLIENT_MODE_SKIP"})"));
  ASSERT_EQ(started.status, 200) << started.body;
  const std::string operation_id = Parse<ops::Operation>(started.body).id();
  const ops::Operation done = WaitDone(operation_id, program->api_key);
  EXPECT_EQ(done.state(), ops::OPERATION_STATE_SUCCEEDED) << ToJson(done);
  http::Response counts = as_admin("GET", absl::StrCat("/v1/client-imports/", operation_id));
  ASSERT_EQ(counts.status, 200) << counts.body;
  const v1::ClientImport imported = Parse<v1::ClientImport>(counts.body);
  EXPECT_EQ(imported.created(), 0);
  EXPECT_EQ(imported.updated(), 1);
  EXPECT_EQ(imported.skipped(), 1);
  EXPECT_EQ(imported.failed(), 1);  // platinum is no tier

  http::Response values = as_admin("GET", absl::StrCat("/v1/clients/", client, "/attributes"));
  ASSERT_EQ(values.status, 200) << values.body;
  EXPECT_THAT(values.body, HasSubstr(R"("enumValue":"gold")"));
  http::Response history =
      as_admin("GET", absl::StrCat("/v1/clients/", client, "/status-history?attributeKey=tier"));
  ASSERT_EQ(history.status, 200) << history.body;
  EXPECT_THAT(history.body, HasSubstr("ATTRIBUTE_CHANGE_SOURCE_BATCH"));

  // A file that may not create clients needs keys to find them by.
  http::Response no_keys = as_admin(
      "POST", "/v1/client-imports",
      absl::StrCat(R"({"requestId": "tiers-)", UniqueDigits(12), R"(", "fileId": ")", file_id,
                   R"(", "columns": [{"column": "ext", "field": "external_id"}],)",
                   R"( "onNewClient": "NEW_CLIENT_MODE_SKIP"})"));
  EXPECT_EQ(no_keys.status, 400) << no_keys.body;
  EXPECT_THAT(no_keys.body, HasSubstr(R"("field":"on_new_client")"));
}

TEST_F(ClientImportTest, ImportsAnXlsxWorkbookByItsSheetRows) {
  const std::string digits = UniqueDigits(6);
  auto writer = xlsx::SheetWriter::Create("Клиенты");
  ASSERT_TRUE(writer.ok()) << writer.status();
  xlsx::SheetWriter& sheet = **writer;
  sheet.Text("Имя").Text("Телефон").Text("Дата рождения");
  ASSERT_TRUE(sheet.EndRow().ok());
  sheet.Text("Анна").Text(absl::StrCat("+7919", digits, "1")).Date(absl::CivilDay(1991, 3, 8));
  ASSERT_TRUE(sheet.EndRow().ok());
  sheet.Text(" ");  // row 3: blank, no row
  ASSERT_TRUE(sheet.EndRow().ok());
  // A phone typed as a number.
  sheet.Text("Борис").Integer(std::stoll(absl::StrCat("7919", digits, "2"))).Blank();
  ASSERT_TRUE(sheet.EndRow().ok());
  sheet.Text("Нет").Text("12");
  ASSERT_TRUE(sheet.EndRow().ok());
  std::string workbook;
  ASSERT_TRUE(sheet
                  .Finish([&](absl::string_view piece) {
                    workbook.append(piece.data(), piece.size());
                    return absl::OkStatus();
                  })
                  .ok());
  // Several chunks, each well within the gateway's body limit.
  const std::string file_id = Upload(workbook, 2000);
  auto start_body = [&](const std::string& format) {
    return absl::StrCat(R"({"requestId": "xlsx-)", UniqueDigits(12), R"(", "fileId": ")", file_id,
                        R"(", "format": ")", format,
                        R"(", "columns": [{"column": "Телефон", "field": "phone"},)",
                        R"( {"column": "Имя", "field": "first_name"},)",
                        R"( {"column": "Дата рождения", "field": "birth_date"}]})");
  };
  // The content says otherwise: 400 naming the field, nothing started.
  http::Response as_csv = Admin("POST", "/v1/client-imports", start_body("IMPORT_FORMAT_CSV"));
  EXPECT_EQ(as_csv.status, 400) << as_csv.body;
  EXPECT_THAT(as_csv.body, HasSubstr(R"("field":"format")"));

  http::Response started = Admin("POST", "/v1/client-imports", start_body("IMPORT_FORMAT_XLSX"));
  ASSERT_EQ(started.status, 200) << started.body;
  const std::string operation_id = Parse<ops::Operation>(started.body).id();
  const ops::Operation done = WaitDone(operation_id);
  EXPECT_EQ(done.state(), ops::OPERATION_STATE_SUCCEEDED) << ToJson(done);
  http::Response counts = Admin("GET", absl::StrCat("/v1/client-imports/", operation_id));
  ASSERT_EQ(counts.status, 200) << counts.body;
  const v1::ClientImport imported = Parse<v1::ClientImport>(counts.body);
  EXPECT_EQ(imported.total_rows(), 3);
  EXPECT_EQ(imported.created(), 2);
  EXPECT_EQ(imported.failed(), 1);

  http::Response anna =
      Admin("GET", absl::StrCat("/v1/clients:identify?phone=%2B7919", digits, "1"));
  ASSERT_EQ(anna.status, 200) << anna.body;
  EXPECT_THAT(anna.body, HasSubstr("1991"));
  http::Response boris =
      Admin("GET", absl::StrCat("/v1/clients:identify?phone=%2B7919", digits, "2"));
  ASSERT_EQ(boris.status, 200) << boris.body;
  EXPECT_THAT(boris.body, HasSubstr("Борис"));
  http::Response report = Admin("GET", absl::StrCat("/v1/operations/", operation_id, "/file"));
  ASSERT_EQ(report.status, 200) << report.body;
  EXPECT_THAT(report.body, HasSubstr("5,Телефон,phone,"));

  // Detected, the same bytes imported the same way: the first import.
  http::Response again =
      Admin("POST", "/v1/client-imports", start_body("IMPORT_FORMAT_UNSPECIFIED"));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Parse<ops::Operation>(again.body).id(), operation_id);
}

TEST_F(ClientImportTest, BadInputIsRefusedNamingTheField) {
  const std::string file_id = Upload("Имя,Телефон\nA,+79170000000\n", 100);
  http::Response offset =
      Admin("POST", absl::StrCat("/v1/client-imports/files/", file_id, ":append"),
            R"({"offset": 1000, "data": "eA=="})");
  EXPECT_EQ(offset.status, 400) << offset.body;
  EXPECT_THAT(offset.body, HasSubstr(R"("field":"offset")"));
  http::Response unknown = Admin("POST", "/v1/client-imports", StartBody(file_id, "nickname"));
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_THAT(unknown.body, HasSubstr(R"("field":"columns[0].field")"));
  http::Response no_request_id = Admin(
      "POST", "/v1/client-imports",
      absl::StrCat(R"({"fileId": ")", file_id, R"(", "columns": [{"column": "Имя", "field": "phone"}]})"));
  EXPECT_EQ(no_request_id.status, 400) << no_request_id.body;
  EXPECT_THAT(no_request_id.body, HasSubstr(R"("field":"request_id")"));
}

}  // namespace
}  // namespace loyalty::e2e
