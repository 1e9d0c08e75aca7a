// CLI-9 client export against a real PostgreSQL: the reader's selections
// (ids, tag, registration period, store, the whole program) page through
// in listing order and never return an erased client; the handler, run by
// the operation runner, writes the chosen columns as CSV and as XLSX with
// the formula guard; a retried request starts one operation.

#include <memory>
#include <string>

#include <pqxx/pqxx>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/random_ids.h"
#include "libs/operations/file_store.h"
#include "libs/operations/metrics.h"
#include "libs/operations/operation_store.h"
#include "libs/operations/runner.h"
#include "libs/operations/test_support.h"
#include "libs/xlsx/zip_reader.h"
#include "prometheus/registry.h"
#include "services/identity/api/client_export_api.h"
#include "services/identity/storage/client_erasure_store.h"
#include "services/identity/storage/client_export_reader.h"
#include "services/identity/storage/tag_store.h"
#include "services/identity/testing/pg_fixture.h"

namespace loyalty::identity {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ClientExportPgTest : public testing::IdentityPgTest {
 protected:
  void TearDown() override {
    // Leave nothing claimable for the next test's runner.
    ASSERT_TRUE(operations::CancelUnfinishedOperations(*pool_).ok());
  }

  // A client registered `days_ago` days back (clients are listed newest
  // first).
  std::string NewClient(ClientProfile profile, int days_ago) {
    if (profile.phone.empty() && profile.email.empty()) {
      profile.email = NewUuid() + "@example.com";
    }
    auto client = identity_.RegisterClient(program_id_, profile, "");
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return "";
    Exec(absl::StrCat("UPDATE clients SET created_at = now() - interval '", days_ago,
                      " days' WHERE client_id = '", client->client_id, "'"));
    return client->client_id;
  }

  void Exec(const std::string& sql) {
    ASSERT_TRUE(pool_->Transact([&](pg::Tx& tx) {
                       tx.exec(sql);
                       return absl::OkStatus();
                     }).ok());
  }

  // Every client id the selection gives, reading `page_size` at a time.
  std::vector<std::string> Select(const ClientSelection& selection, int page_size = 2) {
    std::vector<std::string> ids;
    std::optional<ExportCursor> cursor;
    int pages = 0;
    do {
      absl::StatusOr<ExportPage> page = reader_.ReadPage(program_id_, selection, cursor, page_size);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok() || ++pages > 100) break;
      for (const Client& client : page->clients) ids.push_back(client.client_id);
      cursor = page->next;
    } while (cursor);
    return ids;
  }

  void Erase(const std::string& client_id) {
    auto erased = erasure_.Erase(program_id_, {.client_id = client_id,
                                               .reason = "asked",
                                               .request_id = NewUuid(),
                                               .erased_by = "admin"});
    ASSERT_TRUE(erased.ok()) << erased.status();
  }

  // Starts the export as ExportClients does and runs it to the end.
  operations::Operation Run(const v1::ExportClientsRequest& request, int page_size = 2) {
    absl::StatusOr<ClientExport> export_request = ClientExportFromProto(request);
    EXPECT_TRUE(export_request.ok()) << export_request.status();
    if (!export_request.ok()) return {};
    absl::StatusOr<operations::Operation> created = operations_.Create(
        program_id_, {.request_id = NewUuid(),
                      .kind = kClientExportKind,
                      .params = EncodeClientExport(*export_request),
                      .item_keys = {kClientExportItem},
                      .created_by = "analyst"});
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return {};
    ClientExportHandler handler({.reader = reader_, .files = files_, .page_size = page_size});
    operations::OperationRunner runner(operations_, metrics_, {});
    runner.Register(kClientExportKind, handler);
    for (;;) {
      absl::StatusOr<bool> worked = runner.RunOnce();
      EXPECT_TRUE(worked.ok()) << worked.status();
      if (!worked.ok() || !*worked) break;
    }
    absl::StatusOr<operations::Operation> done = operations_.Get(program_id_, created->id);
    EXPECT_TRUE(done.ok()) << done.status();
    return done.value_or(operations::Operation{});
  }

  operations::FileContent File(const std::string& operation_id) {
    absl::StatusOr<operations::FileContent> file = files_.Read(program_id_, operation_id);
    EXPECT_TRUE(file.ok()) << file.status();
    return file.value_or(operations::FileContent{});
  }

  ClientExportReader reader_{*pool_};
  ClientErasureStore erasure_{*pool_};
  TagStore tags_{*pool_};
  operations::OperationStore operations_{*pool_, "identity"};
  operations::OperationFileStore files_{*pool_};
  prometheus::Registry registry_;
  operations::OperationMetrics metrics_{registry_};
};

TEST_F(ClientExportPgTest, SelectionsPageThroughInListingOrderWithoutErasedClients) {
  const std::string a = NewClient({.registration_store_id = "s1"}, 5);
  const std::string b = NewClient({.registration_store_id = "s2"}, 4);
  const std::string c = NewClient({.registration_store_id = "s1"}, 3);
  const std::string d = NewClient({}, 2);
  const std::string e = NewClient({.registration_store_id = "s1"}, 1);
  // Another program's client is never selected, not even by its id.
  auto stranger = identity_.RegisterClient(other_program_id_, {.email = "x@example.com"}, "");
  ASSERT_TRUE(stranger.ok());

  EXPECT_THAT(Select({}), ElementsAre(e, d, c, b, a));
  EXPECT_THAT(Select({}, 500), ElementsAre(e, d, c, b, a));
  EXPECT_THAT(Select({.client_ids = {a, c, stranger->client_id, NewUuid()}}), ElementsAre(c, a));
  EXPECT_THAT(Select({.filter = {.registration_store_id = "s1"}}), ElementsAre(e, c, a));
  const absl::Time now = absl::Now();
  EXPECT_THAT(Select({.filter = {.create_start_time = now - absl::Hours(24 * 4 + 12),
                                 .create_end_time = now - absl::Hours(36)}}),
              ElementsAre(d, c, b));

  auto tag = tags_.Create(program_id_, TagSpec{.name = "VIP", .colour = "#00FF00"}, "");
  ASSERT_TRUE(tag.ok()) << tag.status();
  ASSERT_TRUE(tags_.ChangeClients(program_id_, tag->tag_id, {b, d, e}, true,
                                  AuditActor{.principal_id = "op"}).ok());
  EXPECT_THAT(Select({.filter = {.tag_id = tag->tag_id, .registration_store_id = "s1"}}),
              ElementsAre(e));
  EXPECT_THAT(Select({.filter = {.tag_id = tag->tag_id}}), ElementsAre(e, d, b));

  Erase(d);
  Erase(a);
  EXPECT_THAT(Select({}), ElementsAre(e, c, b));
  EXPECT_THAT(Select({.client_ids = {a, d}}), IsEmpty());
  EXPECT_THAT(Select({.filter = {.tag_id = tag->tag_id}}), ElementsAre(e, b));
}

TEST_F(ClientExportPgTest, WritesTheChosenColumnsAsCsvWithTheFormulaGuard) {
  const std::string a = NewClient({.last_name = "=HYPERLINK(\"http://x\")",
                                   .first_name = "Анна",
                                   .phone = "+79160000001",
                                   .birth_date = BirthDate{1990, 5, 17},
                                   .city = "Moscow, centre"},
                                  2);
  const std::string b = NewClient({.last_name = "Smith", .email = "b@example.com"}, 1);
  Exec(absl::StrCat("UPDATE clients SET created_at = '2024-03-01T10:15:30Z' WHERE client_id = '",
                    a, "'"));
  Exec(absl::StrCat("UPDATE clients SET created_at = '2024-03-02T00:00:00Z' WHERE client_id = '",
                    b, "'"));
  v1::ExportClientsRequest request;
  for (const char* column :
       {"client_id", "last_name", "first_name", "phone", "birth_date", "city", "create_time"}) {
    request.add_columns(column);
  }
  operations::Operation done = Run(request);
  ASSERT_EQ(done.state, operations::OperationState::kSucceeded) << done.error;
  const operations::FileContent file = File(done.id);
  EXPECT_EQ(file.file.name, absl::StrCat("clients-", done.id, ".csv"));
  EXPECT_EQ(file.file.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(file.data,
            absl::StrCat("\xEF\xBB\xBF",
                         "Client id,Last name,First name,Phone,Birth date,City,Registered\r\n", b,
                         ",Smith,,,,,2024-03-02T00:00:00Z\r\n", a,
                         ",\"'=HYPERLINK(\"\"http://x\"\")\",Анна,'+79160000001,1990-05-17,"
                         "\"Moscow, centre\",2024-03-01T10:15:30Z\r\n"));
}

TEST_F(ClientExportPgTest, WritesXlsxWithDatesAsDatesAndTheFormulaGuard) {
  const std::string a = NewClient({.last_name = "@SUM(A1)",
                                   .first_name = "Анна",
                                   .birth_date = BirthDate{1990, 5, 17}},
                                  1);
  v1::ExportClientsRequest request;
  request.set_format(operations::v1::EXPORT_FORMAT_XLSX);
  request.add_client_ids(a);
  for (const char* column : {"birth_date", "last_name", "first_name", "client_id"}) {
    request.add_columns(column);
  }
  operations::Operation done = Run(request);
  ASSERT_EQ(done.state, operations::OperationState::kSucceeded) << done.error;
  const operations::FileContent file = File(done.id);
  EXPECT_EQ(file.file.name, absl::StrCat("clients-", done.id, ".xlsx"));
  EXPECT_EQ(file.file.content_type,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  absl::StatusOr<std::string> sheet = xlsx::ReadZipMember(file.data, "xl/worksheets/sheet1.xml");
  ASSERT_TRUE(sheet.ok()) << sheet.status();
  EXPECT_THAT(*sheet, HasSubstr("<t>Birth date</t>"));
  // Guarded as a string cell, never a formula (libs/xlsx).
  EXPECT_THAT(*sheet, HasSubstr("t=\"inlineStr\"><is><t>@SUM(A1)</t>"));
  EXPECT_THAT(*sheet, ::testing::Not(HasSubstr("<f>")));
  EXPECT_THAT(*sheet, HasSubstr("<t>Анна</t>"));
  EXPECT_THAT(*sheet, HasSubstr(absl::StrCat("<t>", a, "</t>")));
  EXPECT_THAT(*sheet, HasSubstr("<v>33010</v>"));  // 1990-05-17 as a date serial
}

TEST_F(ClientExportPgTest, ARetriedRequestStartsOneOperation) {
  v1::ExportClientsRequest request;
  request.add_columns("phone");
  request.set_request_id("export-1");
  auto start = [&](const v1::ExportClientsRequest& r) {
    absl::StatusOr<ClientExport> e = ClientExportFromProto(r);
    EXPECT_TRUE(e.ok());
    return operations_.Create(program_id_, {.request_id = r.request_id(),
                                            .kind = kClientExportKind,
                                            .params = EncodeClientExport(*e),
                                            .item_keys = {kClientExportItem},
                                            .created_by = "analyst"});
  };
  auto first = start(request);
  auto again = start(request);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->id, again->id);
  request.add_columns("email");
  EXPECT_EQ(start(request).status().code(), absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace loyalty::identity
