// CLI-8 client import end to end over HTTP through the real gateway: a CSV
// uploaded in chunks (base64 in JSON, each within the gateway's body
// limit), the import started and polled at /v1/operations/{id}, its counts
// read, the error report downloaded; the same file again returns the same
// operation; bad input is 400 naming the field; another program's import
// is 404; a POS key may not import.

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
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
