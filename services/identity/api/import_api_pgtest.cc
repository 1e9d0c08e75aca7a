// Client import (CLI-8) against a real PostgreSQL: upload in chunks, start,
// validation batches and the one-transaction apply through the operation
// runner; dedupe UPDATE vs SKIP, per-row errors with line numbers, a
// re-run of the same file, and a restart in the middle. XLSX files are
// made here with the workbook writer (no binary fixtures).

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/operations/metrics.h"
#include "libs/operations/test_support.h"
#include "libs/testing/process.h"
#include "libs/xlsx/xlsx.h"
#include "prometheus/registry.h"
#include "services/identity/api/import_api.h"
#include "services/identity/api/import_xlsx.h"
#include "services/identity/storage/client_erasure_store.h"
#include "services/identity/testing/pg_fixture.h"

namespace loyalty::identity {
namespace {

using ::testing::HasSubstr;

class ImportTest : public testing::IdentityPgTest {
 protected:
  void SetUp() override {
    IdentityPgTest::SetUp();
    ASSERT_TRUE(operations::CancelUnfinishedOperations(*pool_).ok());
  }

  // Uploads `content` in pieces of `piece` bytes; returns the file id.
  std::string Upload(absl::string_view content, size_t piece = 7,
                     const std::string& program = "") {
    const std::string& owner = program.empty() ? program_id_ : program;
    absl::StatusOr<ImportFileInfo> file = imports_.CreateFile(owner, NewUuid(), "clients.csv");
    EXPECT_TRUE(file.ok()) << file.status();
    for (size_t at = 0; at < content.size(); at += piece) {
      absl::StatusOr<ImportFileInfo> appended = imports_.AppendChunk(
          owner, file->file_id, static_cast<int64_t>(at), content.substr(at, piece));
      EXPECT_TRUE(appended.ok()) << appended.status();
    }
    return file->file_id;
  }

  ImportRequest Request(const std::string& file_id, std::vector<std::string> keys = {},
                        DuplicateMode mode = DuplicateMode::kSkip) {
    return ImportRequest{.request_id = NewUuid(),
                         .file_id = file_id,
                         .columns = {{"Phone", "phone"},
                                     {"Name", "first_name"},
                                     {"City", "city"},
                                     {"Ext", "external_id"}},
                         .dedupe_keys = std::move(keys),
                         .mode = mode};
  }

  absl::StatusOr<operations::Operation> Start(const ImportRequest& request) {
    absl::StatusOr<std::vector<Attribute>> schema = attributes_.ListAll(program_id_);
    if (!schema.ok()) return schema.status();
    return StartImport(imports_, operations_, *schema, program_id_,
                       AuditActor{.kind = ActorKind::kOperator, .principal_id = "tester"},
                       request);
  }

  // Runs the runner until it has nothing left; returns the operation.
  operations::Operation RunAll(const std::string& operation_id) {
    operations::OperationRunner runner(operations_, metrics_, {.chunk_size = 1});
    runner.Register(kClientImportKind, handler_);
    for (int round = 0; round < 1000; ++round) {
      absl::StatusOr<bool> worked = runner.RunOnce();
      EXPECT_TRUE(worked.ok()) << worked.status();
      if (!worked.ok() || !*worked) break;
    }
    absl::StatusOr<operations::Operation> done = operations_.Get(program_id_, operation_id);
    EXPECT_TRUE(done.ok()) << done.status();
    return *done;
  }

  ClientImportInfo Import(const std::string& operation_id) {
    absl::StatusOr<ClientImportInfo> info = imports_.GetImport(program_id_, operation_id);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.value_or(ClientImportInfo{});
  }

  Client ByPhone(const std::string& phone) {
    absl::StatusOr<Client> client = identity_.FindClient(program_id_, IdentifyKind::kPhone, phone);
    EXPECT_TRUE(client.ok()) << phone << ": " << client.status();
    return client.value_or(Client{});
  }

  int64_t Count(const std::string& sql) {
    absl::StatusOr<int64_t> count = loyalty::testing::QueryInt(*pool_, sql);
    EXPECT_TRUE(count.ok()) << count.status();
    return count.value_or(-1);
  }

  int64_t Clients() {
    return Count(absl::StrCat("SELECT count(*) FROM clients WHERE program_id = '", program_id_,
                              "'"));
  }

  std::string ErrorReport(const std::string& operation_id) {
    absl::StatusOr<operations::FileContent> report = files_.Read(program_id_, operation_id);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? report->data : "";
  }

  prometheus::Registry registry_;
  operations::OperationMetrics metrics_{registry_};
  operations::OperationStore operations_{*pool_, "identity"};
  operations::OperationFileStore files_{*pool_};
  ImportStore imports_{*pool_};
  AttributeStore attributes_{*pool_};
  // Where XLSX copies go: empty again after every import.
  const std::string temp_dir_ = loyalty::testing::MakeTempDir("xlsx-import-").value();
  ClientImportHandler handler_{{.imports = imports_,
                                .identity = identity_,
                                .attributes = attributes_,
                                .files = files_,
                                .clock = [] { return absl::Now(); },
                                .temp_dir = temp_dir_}};
};

// A workbook's bytes, its one sheet written by `fill`.
std::string Workbook(const std::function<void(xlsx::SheetWriter&)>& fill) {
  absl::StatusOr<std::unique_ptr<xlsx::SheetWriter>> writer = xlsx::SheetWriter::Create("Clients");
  EXPECT_TRUE(writer.ok()) << writer.status();
  fill(**writer);
  std::string bytes;
  const absl::Status finished = (*writer)->Finish([&](absl::string_view piece) {
    bytes.append(piece.data(), piece.size());
    return absl::OkStatus();
  });
  EXPECT_TRUE(finished.ok()) << finished;
  return bytes;
}

class XlsxImportTest : public ImportTest {
 protected:
  absl::StatusOr<operations::Operation> StartIn(const ImportRequest& request) {
    absl::StatusOr<std::vector<Attribute>> schema = attributes_.ListAll(program_id_);
    if (!schema.ok()) return schema.status();
    return StartImport(imports_, operations_, *schema, program_id_,
                       AuditActor{.kind = ActorKind::kOperator, .principal_id = "tester"}, request,
                       temp_dir_);
  }

  bool TempDirEmpty() { return std::filesystem::is_empty(temp_dir_); }

  std::string Params(const std::string& operation_id) {
    std::string params;
    EXPECT_TRUE(pool_
                    ->Transact([&](pg::Tx& tx) {
                      params =
                          tx.exec_params1("SELECT params FROM operations WHERE operation_id = $1",
                                          operation_id)[0]
                              .as<std::string>();
                      return absl::OkStatus();
                    })
                    .ok());
    return params;
  }
};

TEST_F(ImportTest, ImportsRowsAndReportsBadOnesByLine) {
  // BOM, `;`, CRLF, a quoted cell with the separator and a line break
  // (line numbers are lines of the file), a bad phone, bad UTF-8, a row
  // without phone or e-mail.
  const std::string csv =
      "\xEF\xBB\xBFName;Phone;City;Ext\r\n"
      "Ann;+79160000001;\"Moscow; centre\";a1\r\n"
      "\"Bo\nris\";+79160000002;Tver;b2\r\n"
      "Bad;12;Tver;\r\n"
      "Utf;+79160000004;\xC3\x28;\r\n"
      "Nobody;;Tver;\r\n"
      "Vera;8 916 000-00-05;;\r\n";
  absl::StatusOr<operations::Operation> started = Start(Request(Upload(csv)));
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->kind, kClientImportKind);
  EXPECT_EQ(started->total, 2);  // one batch, the apply
  // Nothing is applied before the last item.
  EXPECT_EQ(Clients(), 0);

  const operations::Operation done = RunAll(started->id);
  EXPECT_EQ(done.state, operations::OperationState::kSucceeded);
  const ClientImportInfo info = Import(started->id);
  EXPECT_TRUE(info.applied);
  EXPECT_EQ(info.total_rows, 6);
  EXPECT_EQ(info.counts.created, 3);
  EXPECT_EQ(info.counts.failed, 3);
  EXPECT_EQ(Clients(), 3);
  EXPECT_EQ(ByPhone("+79160000001").profile.city, "Moscow; centre");
  EXPECT_EQ(ByPhone("+79160000002").profile.first_name, "Bo\nris");
  EXPECT_EQ(ByPhone("+79160000005").profile.first_name, "Vera");
  // Registered like any client: one ClientRegistered event each.
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = '", program_id_,
                               "' AND event_type = 'loyalty.identity.v1.ClientRegistered'")),
            3);

  const std::string report = ErrorReport(started->id);
  EXPECT_THAT(report, HasSubstr("line,column,field,message\r\n"));
  EXPECT_THAT(report, HasSubstr("5,Phone,phone,"));   // "Bad": line 5 (quoted break)
  EXPECT_THAT(report, HasSubstr("6,City,city,"));     // bad UTF-8
  EXPECT_THAT(report, HasSubstr("7,Phone,phone,a phone or an e-mail is required"));
}

TEST_F(ImportTest, DedupeUpdatesOrSkipsAndAReRunHasNoEffect) {
  ASSERT_TRUE(identity_
                  .RegisterClient(program_id_,
                                  ClientProfile{.first_name = "Old", .phone = "+79161110001"}, "")
                  .ok());
  const std::string csv =
      "Phone,Name,City,Ext\n"
      "+79161110001,New,Kazan,\n"
      "+79161110002,Fresh,Kazan,\n"
      "+79161110002,Later,Omsk,\n";  // the same key again: applied after the line before

  absl::StatusOr<operations::Operation> skip =
      Start(Request(Upload(csv), {"phone"}, DuplicateMode::kSkip));
  ASSERT_TRUE(skip.ok()) << skip.status();
  RunAll(skip->id);
  ClientImportInfo skipped = Import(skip->id);
  EXPECT_EQ(skipped.counts.created, 1);
  EXPECT_EQ(skipped.counts.skipped, 2);
  EXPECT_EQ(ByPhone("+79161110001").profile.first_name, "Old");
  EXPECT_EQ(ByPhone("+79161110002").profile.first_name, "Fresh");

  absl::StatusOr<operations::Operation> update =
      Start(Request(Upload(csv), {"phone"}, DuplicateMode::kUpdate));
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_NE(update->id, skip->id);
  RunAll(update->id);
  ClientImportInfo updated = Import(update->id);
  EXPECT_EQ(updated.counts.created, 0);
  // The second row finds the client as the first import left it: nothing
  // to change, counted as skipped.
  EXPECT_EQ(updated.counts.updated, 2);
  EXPECT_EQ(updated.counts.skipped, 1);
  EXPECT_EQ(ByPhone("+79161110001").profile.first_name, "New");
  EXPECT_EQ(ByPhone("+79161110001").profile.city, "Kazan");
  EXPECT_EQ(ByPhone("+79161110002").profile.first_name, "Later");  // last line wins
  EXPECT_EQ(Clients(), 2);

  // The same bytes uploaded again and imported the same way (another
  // request id): the first import, nothing new.
  const int64_t events =
      Count(absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = '", program_id_, "'"));
  absl::StatusOr<operations::Operation> again =
      Start(Request(Upload(csv, 100), {"phone"}, DuplicateMode::kUpdate));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id, update->id);
  RunAll(again->id);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = '", program_id_,
                               "'")),
            events);
}

// Rows are applied in groups (kImportApplyGroupRows): a key finds the
// client an earlier row created whether it is still waiting for the
// group's insert or was inserted with an earlier group, and a taken key
// refuses a row either way.
TEST_F(ImportTest, RowsFindClientsCreatedInTheirGroupAndInEarlierOnes) {
  ASSERT_TRUE(identity_
                  .RegisterClient(program_id_,
                                  ClientProfile{.phone = "+79163000000", .external_id = "taken"},
                                  "")
                  .ok());
  const int rows = 2500;
  std::string csv = "Phone,Name,City,Ext\n";
  for (int i = 1; i <= rows; ++i) {
    absl::StrAppend(&csv, "+7916301", 1000 + i, ",N", i, ",,e", i, "\n");
  }
  // Row i is on line i + 1; these follow in the last group, rows 2001..
  absl::StrAppend(&csv, "+79163019999,Clash,,e2450\n");     // e2450: waiting in the group
  absl::StrAppend(&csv, "+79163019998,Taken,,taken\n");     // a stored client's
  absl::StrAppend(&csv, "+79163013400,Again,Omsk,\n");      // row 2400, waiting
  absl::StrAppend(&csv, "+79163011020,Later,Kazan,e20\n");  // row 20, an earlier group
  absl::StrAppend(&csv, "+79163000000,Stored,Perm,\n");     // the stored client
  absl::StrAppend(&csv, "+79163013500,Last,,e2500\n");      // row 2500, inserted by now
  absl::StatusOr<operations::Operation> started =
      Start(Request(Upload(csv, 64 * 1024), {"phone"}, DuplicateMode::kUpdate));
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(RunAll(started->id).state, operations::OperationState::kSucceeded);

  const ClientImportInfo info = Import(started->id);
  EXPECT_EQ(info.counts.created, rows);
  EXPECT_EQ(info.counts.updated, 4);
  EXPECT_EQ(info.counts.failed, 2);
  EXPECT_EQ(Clients(), rows + 1);
  EXPECT_EQ(ByPhone("+79163013400").profile.first_name, "Again");
  EXPECT_EQ(ByPhone("+79163013400").profile.city, "Omsk");
  EXPECT_EQ(ByPhone("+79163013400").profile.external_id, "e2400");  // an empty cell keeps it
  EXPECT_EQ(ByPhone("+79163011020").profile.first_name, "Later");
  EXPECT_EQ(ByPhone("+79163000000").profile.first_name, "Stored");
  EXPECT_EQ(ByPhone("+79163013500").profile.first_name, "Last");
  const std::string report = ErrorReport(started->id);
  EXPECT_THAT(report, HasSubstr(absl::StrCat(rows + 2, ",Ext,external_id,another client of this"
                                             " program has this external_id")));
  EXPECT_THAT(report, HasSubstr(absl::StrCat(rows + 3, ",Ext,external_id,")));
  // Each created client is announced and audited once.
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = '", program_id_,
                               "' AND event_type = 'loyalty.identity.v1.ClientRegistered'")),
            rows + 1);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM audit_log WHERE program_id = '", program_id_,
                               "' AND action = 'client.create' AND actor_id = 'tester'")),
            rows);
}

// A row that changes a client's key frees the old value for a later row of
// the same group and takes the new one.
TEST_F(ImportTest, ALaterRowSeesTheKeysAnEarlierRowChanged) {
  const std::string csv =
      "Phone,Name,City,Ext\n"
      "+79163020001,First,,x1\n"
      "+79163020002,Moved,,x1\n"   // x1 moves to ...0002
      "+79163020001,Reuse,,x3\n"   // ...0001 is free again
      "+79163020002,Clash,,x4\n";  // ...0002 is x1's now
  absl::StatusOr<operations::Operation> started =
      Start(Request(Upload(csv), {"external_id"}, DuplicateMode::kUpdate));
  ASSERT_TRUE(started.ok()) << started.status();
  RunAll(started->id);
  const ClientImportInfo info = Import(started->id);
  EXPECT_EQ(info.counts.created, 2);
  EXPECT_EQ(info.counts.updated, 1);
  EXPECT_EQ(info.counts.failed, 1);
  EXPECT_EQ(ByPhone("+79163020002").profile.external_id, "x1");
  EXPECT_EQ(ByPhone("+79163020001").profile.external_id, "x3");
  EXPECT_THAT(ErrorReport(started->id), HasSubstr("5,Phone,phone,another client"));
}

TEST_F(ImportTest, ARestartMidImportAppliesEachRowOnce) {
  std::string csv = "Phone,Name,City,Ext\n";
  for (int i = 0; i < 25; ++i) absl::StrAppend(&csv, "+7916222", 1000 + i, ",N", i, ",,e", i, "\n");
  absl::StatusOr<ImportFileInfo> file = imports_.GetFile(program_id_, Upload(csv, 50));
  ASSERT_TRUE(file.ok());
  // Small batches: several validation items before the apply.
  absl::StatusOr<ImportFileScan> scan = ScanImportFile(imports_, *file, std::nullopt, 10);
  ASSERT_TRUE(scan.ok()) << scan.status();
  ASSERT_EQ(scan->batches.size(), 3u);
  EXPECT_EQ(scan->batches[1].first_line, 12);
  EXPECT_EQ(scan->batches[2].rows, 5);

  absl::StatusOr<operations::Operation> started = Start(Request(file->file_id, {"external_id"},
                                                                DuplicateMode::kUpdate));
  ASSERT_TRUE(started.ok()) << started.status();
  // The process dies after the apply committed but before the runner
  // recorded the item: the apply runs again, and finds it done.
  std::string params;
  ASSERT_TRUE(pool_
                  ->Transact([&](pg::Tx& tx) {
                    params = tx.exec_params1("SELECT params FROM operations WHERE operation_id = $1",
                                             started->id)[0]
                                 .as<std::string>();
                    return absl::OkStatus();
                  })
                  .ok());
  const operations::OperationRun with_params{.program_id = program_id_,
                                             .operation_id = started->id,
                                             .kind = kClientImportKind,
                                             .params = params};
  const operations::PendingItem apply{.sequence = started->total - 1,
                                      .key = std::string(kApplyItemKey)};
  for (int attempt = 0; attempt < 2; ++attempt) {
    operations::ItemOutcome outcome = handler_.Apply(with_params, apply);
    EXPECT_EQ(outcome.action, operations::ItemOutcome::Action::kRecord);
    EXPECT_TRUE(outcome.status.ok()) << outcome.status;
  }
  EXPECT_EQ(Clients(), 25);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = '", program_id_,
                               "' AND event_type = 'loyalty.identity.v1.ClientRegistered'")),
            25);
  // The runner then resumes the operation from its first unrecorded item.
  EXPECT_EQ(RunAll(started->id).state, operations::OperationState::kSucceeded);
  EXPECT_EQ(Import(started->id).counts.created, 25);
  EXPECT_EQ(Clients(), 25);
}

TEST_F(ImportTest, AttributeColumnsSetValuesAndAFileCanOnlyUpdate) {
  ASSERT_TRUE(attributes_
                  .Create(program_id_,
                          AttributeSpec{.key = "level",
                                        .display_name = "Level",
                                        .type = AttributeType::kEnum,
                                        .allowed_values = {{"silver", "Silver"}, {"gold", "Gold"}},
                                        .editable_by = AttributeEditor::kOperator,
                                        .kind = AttributeKind::kStatusSystem},
                          NewUuid())
                  .ok());
  ASSERT_TRUE(attributes_
                  .Create(program_id_,
                          AttributeSpec{.key = "pets",
                                        .display_name = "Pets",
                                        .type = AttributeType::kBool,
                                        .editable_by = AttributeEditor::kOperator,
                                        .kind = AttributeKind::kQuestionnaire},
                          NewUuid())
                  .ok());
  // New clients with values; a bad value is reported by line and column.
  ImportRequest create = Request(Upload("Phone,Name,City,Ext,Level,Pets\n"
                                        "+79164440001,Ann,,e1,silver,yes\n"
                                        "+79164440002,Bob,,e2,platinum,no\n"
                                        "+79164440003,Cid,,e3,,\n"));
  create.columns.push_back({"Level", "attributes.level"});
  create.columns.push_back({"Pets", "attributes.pets"});
  absl::StatusOr<operations::Operation> created = Start(create);
  ASSERT_TRUE(created.ok()) << created.status();
  RunAll(created->id);
  EXPECT_EQ(Import(created->id).counts.created, 2);
  EXPECT_EQ(Import(created->id).counts.failed, 1);
  EXPECT_THAT(ErrorReport(created->id), HasSubstr("3,Level,attributes.level,"));
  const std::string ann = ByPhone("+79164440001").client_id;
  absl::StatusOr<std::vector<AttributeValue>> values = attributes_.GetValues(program_id_, ann);
  ASSERT_TRUE(values.ok()) << values.status();
  ASSERT_EQ(values->size(), 2u);
  EXPECT_EQ((*values)[0].text, "silver");
  EXPECT_TRUE((*values)[1].boolean);

  // A batch update of statuses by external id and by client id: clients
  // the file does not find are not created, an empty cell changes
  // nothing, the history says BATCH.
  const std::string cid = ByPhone("+79164440003").client_id;
  ImportRequest update = Request(Upload(absl::StrCat("Ext,Id,Level\n"
                                                     "e1,,gold\n",
                                                     ",", cid, ",gold\n",
                                                     "nobody,,gold\n",
                                                     "e2,,\n")),
                                 {"external_id", "client_id"}, DuplicateMode::kUpdate);
  update.columns = {{"Ext", "external_id"}, {"Id", "client_id"}, {"Level", "attributes.level"}};
  update.on_new = NewClientMode::kSkip;
  absl::StatusOr<operations::Operation> updated = Start(update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  RunAll(updated->id);
  ClientImportInfo info = Import(updated->id);
  EXPECT_EQ(info.counts.updated, 2);
  // nobody and e2 (whose row failed above): not found, not created.
  EXPECT_EQ(info.counts.skipped, 2);
  EXPECT_EQ(info.counts.failed, 0);
  EXPECT_EQ(Clients(), 2 + 0);
  absl::StatusOr<StatusHistoryPage> history =
      attributes_.ListStatusHistory(program_id_, ann, "level", 10, "");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->changes.size(), 2u);
  EXPECT_EQ(history->changes[0].new_value, "gold");
  EXPECT_EQ(history->changes[0].source, AttributeChangeSource::kBatch);
  EXPECT_EQ(history->changes[0].changed_by, "tester");
  absl::StatusOr<std::vector<AttributeValue>> cid_values =
      attributes_.GetValues(program_id_, cid);
  ASSERT_TRUE(cid_values.ok());
  ASSERT_EQ(cid_values->size(), 1u);
  EXPECT_EQ((*cid_values)[0].text, "gold");
  // Its external id was an empty cell of a mapped column: kept.
  EXPECT_EQ(ByPhone("+79164440003").profile.external_id, "e3");

  // An erased client is no one's match, not even by its id.
  ClientErasureStore erasures(*pool_);
  ASSERT_TRUE(erasures
                  .Erase(program_id_, ErasureRequest{.client_id = cid,
                                                     .reason = "asked",
                                                     .request_id = NewUuid(),
                                                     .erased_by = "tester"})
                  .ok());
  ImportRequest erased = Request(Upload(absl::StrCat("Id,Level\n", cid, ",silver\n")),
                                 {"client_id"}, DuplicateMode::kUpdate);
  erased.columns = {{"Id", "client_id"}, {"Level", "attributes.level"}};
  absl::StatusOr<operations::Operation> after_erasure = Start(erased);
  ASSERT_TRUE(after_erasure.ok()) << after_erasure.status();
  RunAll(after_erasure->id);
  EXPECT_EQ(Import(after_erasure->id).counts.failed, 1);
  EXPECT_THAT(ErrorReport(after_erasure->id), HasSubstr("2,Id,client_id,"));

  // Mapping errors name the column: an unknown attribute, a bad key.
  ImportRequest unknown = Request(Upload("Phone,Name,City,Ext,Tier\n+79164440009,,,,x\n"));
  unknown.columns.push_back({"Tier", "attributes.tier"});
  EXPECT_EQ(ViolatedField(Start(unknown).status()), "columns[4].field");
  ImportRequest skip_without_keys = Request(Upload("Phone,Name,City,Ext\n+79164440010,,,\n"));
  skip_without_keys.on_new = NewClientMode::kSkip;
  absl::StatusOr<operations::Operation> nothing = Start(skip_without_keys);
  ASSERT_TRUE(nothing.ok());  // the API refuses it; the store just skips every row
  RunAll(nothing->id);
  EXPECT_EQ(Import(nothing->id).counts.skipped, 1);
}

TEST_F(ImportTest, BadRequestsNameTheFieldAndStoreNothing) {
  const std::string file_id = Upload("Phone,Name,City,Ext\n+79163330001,A,,\n");
  ImportRequest unknown = Request(file_id);
  unknown.columns[1].field = "nickname";
  EXPECT_EQ(ViolatedField(Start(unknown).status()), "columns[1].field");
  ImportRequest missing = Request(file_id);
  missing.columns[0].column = "Mobile";
  EXPECT_EQ(ViolatedField(Start(missing).status()), "columns[0].column");
  ImportRequest no_file = Request(NewUuid());
  EXPECT_EQ(Start(no_file).status().code(), absl::StatusCode::kNotFound);
  // Another program's file is not found either.
  const std::string theirs = Upload("Phone\n+79163330002\n", 7, other_program_id_);
  EXPECT_EQ(Start(Request(theirs)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(Start(Request(Upload("Phone,\"open\n"))).status()), "file_id");
  EXPECT_EQ(Count("SELECT count(*) FROM operations WHERE kind = 'identity.client_import' AND "
                  "program_id = '" + program_id_ + "'"),
            0);

  // Chunks: the wrong offset is refused, a retried one changes nothing,
  // and a file an import started from is complete.
  absl::StatusOr<ImportFileInfo> file = imports_.CreateFile(program_id_, NewUuid(), "f.csv");
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(imports_.AppendChunk(program_id_, file->file_id, 0, "Phone\n").ok());
  EXPECT_EQ(ViolatedField(imports_.AppendChunk(program_id_, file->file_id, 10, "x").status()),
            "offset");
  absl::StatusOr<ImportFileInfo> retried =
      imports_.AppendChunk(program_id_, file->file_id, 0, "Phone\n");
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->size, 6);
  ASSERT_TRUE(imports_.AppendChunk(program_id_, file->file_id, 6, "+79163330003\n").ok());
  ImportRequest only_phone = Request(file->file_id);
  only_phone.columns = {{"Phone", "phone"}};
  ASSERT_TRUE(Start(only_phone).ok());
  EXPECT_EQ(imports_.AppendChunk(program_id_, file->file_id, 19, "+79163330004\n").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(XlsxImportTest, ImportsASheetWithItsRowNumbersAsLines) {
  // Numbers and dates as cells, an empty row, a bad phone, an error value.
  const std::string workbook = Workbook([](xlsx::SheetWriter& sheet) {
    sheet.Text("Phone").Text("Name").Text("City").Text("Ext").Text("Born");
    EXPECT_TRUE(sheet.EndRow().ok());
    sheet.Integer(79165550001)
        .Text("Ann")
        .Text("Moscow")
        .Text("a1")
        .Date(absl::CivilDay(1990, 5, 17));
    EXPECT_TRUE(sheet.EndRow().ok());
    sheet.Text(" ").Blank();  // row 3: blank to the eye, passed over
    EXPECT_TRUE(sheet.EndRow().ok());
    sheet.Text("+79165550002").Text("Boris").Text("Tver").Integer(42).Blank();
    EXPECT_TRUE(sheet.EndRow().ok());
    sheet.Text("12").Text("Bad");  // row 5
    EXPECT_TRUE(sheet.EndRow().ok());
    // Row 6: what a sheet stores for a failed lookup.
    sheet.Text("+79165550006").Text("#N/A").Text("Omsk");
    EXPECT_TRUE(sheet.EndRow().ok());
  });
  ImportRequest request = Request(Upload(workbook, 1000));  // named clients.csv: content wins
  request.columns.push_back({"Born", "birth_date"});
  absl::StatusOr<operations::Operation> started = StartIn(request);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_TRUE(TempDirEmpty());
  EXPECT_EQ(Import(started->id).total_rows, 4);  // the empty row is no row

  EXPECT_EQ(RunAll(started->id).state, operations::OperationState::kSucceeded);
  EXPECT_TRUE(TempDirEmpty());
  const ClientImportInfo info = Import(started->id);
  EXPECT_EQ(info.counts.created, 2);
  EXPECT_EQ(info.counts.failed, 2);
  const Client ann = ByPhone("+79165550001");  // a number cell, read as its digits
  EXPECT_EQ(ann.profile.first_name, "Ann");
  EXPECT_EQ(ann.profile.birth_date, (BirthDate{1990, 5, 17}));
  EXPECT_EQ(ByPhone("+79165550002").profile.external_id, "42");
  const std::string report = ErrorReport(started->id);
  EXPECT_THAT(report, HasSubstr("5,Phone,phone,"));
  EXPECT_THAT(report, HasSubstr("6,Name,first_name,#N/A is a spreadsheet error value"));
}

TEST_F(XlsxImportTest, DedupeUpdatesAndAReRunHasNoEffect) {
  ASSERT_TRUE(identity_
                  .RegisterClient(program_id_,
                                  ClientProfile{.first_name = "Old", .phone = "+79165550101"}, "")
                  .ok());
  const std::string workbook = Workbook([](xlsx::SheetWriter& sheet) {
    sheet.Text("Phone").Text("Name").Text("City").Text("Ext");
    EXPECT_TRUE(sheet.EndRow().ok());
    sheet.Text("+79165550101").Text("New").Text("Kazan");
    EXPECT_TRUE(sheet.EndRow().ok());
    sheet.Text("+79165550102").Text("Fresh");
    EXPECT_TRUE(sheet.EndRow().ok());
  });
  ImportRequest request = Request(Upload(workbook, 500), {"phone"}, DuplicateMode::kUpdate);
  request.format = ImportFormat::kXlsx;
  absl::StatusOr<operations::Operation> first = StartIn(request);
  ASSERT_TRUE(first.ok()) << first.status();
  RunAll(first->id);
  EXPECT_EQ(Import(first->id).counts.updated, 1);
  EXPECT_EQ(Import(first->id).counts.created, 1);
  EXPECT_EQ(ByPhone("+79165550101").profile.first_name, "New");
  EXPECT_EQ(ByPhone("+79165550101").profile.city, "Kazan");

  // The same bytes again (another upload, another request id, the format
  // detected this time): the first import, nothing new.
  const int64_t events =
      Count(absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = '", program_id_, "'"));
  ImportRequest again = Request(Upload(workbook, 64), {"phone"}, DuplicateMode::kUpdate);
  absl::StatusOr<operations::Operation> second = StartIn(again);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->id, first->id);
  RunAll(second->id);
  EXPECT_EQ(
      Count(absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = '", program_id_, "'")),
      events);
  EXPECT_EQ(Clients(), 2);
  EXPECT_TRUE(TempDirEmpty());
}

TEST_F(XlsxImportTest, ABatchResumesAtItsFirstSheetRow) {
  const std::string workbook = Workbook([](xlsx::SheetWriter& sheet) {
    sheet.Text("Phone").Text("Name").Text("City").Text("Ext");
    EXPECT_TRUE(sheet.EndRow().ok());
    for (int i = 0; i < 7; ++i) {
      if (i == 3) {
        sheet.Text(" ");  // row 5: blank to the eye, in no batch
        EXPECT_TRUE(sheet.EndRow().ok());
      }
      // Every other row has a bad phone, so that each batch's errors show
      // which rows it read.
      sheet.Text(i % 2 == 0 ? absl::StrCat("+7916555020", i) : "12").Text("N");
      EXPECT_TRUE(sheet.EndRow().ok());
    }
  });
  absl::StatusOr<ImportFileInfo> file = imports_.GetFile(program_id_, Upload(workbook, 300));
  ASSERT_TRUE(file.ok());
  absl::StatusOr<ImportFileScan> scan =
      ScanXlsxImportFile(imports_, *file, ImportTempPath(temp_dir_, "scan"), /*batch_rows=*/3);
  ASSERT_TRUE(scan.ok()) << scan.status();
  EXPECT_EQ(scan->total_rows, 7);
  EXPECT_EQ(scan->data_line, 2);
  ASSERT_EQ(scan->batches.size(), 3u);
  // Rows 2-4, 6-8 (row 5 is empty), 9.
  EXPECT_EQ(scan->batches[1].first_line, 6);
  EXPECT_EQ(scan->batches[1].rows, 3);
  EXPECT_EQ(scan->batches[2].first_line, 9);

  absl::StatusOr<operations::Operation> started = StartIn(Request(file->file_id));
  ASSERT_TRUE(started.ok()) << started.status();
  const operations::OperationRun run{.program_id = program_id_,
                                     .operation_id = started->id,
                                     .kind = kClientImportKind,
                                     .params = Params(started->id)};
  // The middle batch alone: its rows 6-8, of which 6 and 8 are bad.
  operations::ItemOutcome outcome =
      handler_.Apply(run, {.sequence = 0, .key = BatchItemKey(scan->batches[1])});
  EXPECT_TRUE(outcome.status.ok()) << outcome.status;
  absl::StatusOr<std::vector<ImportRowError>> errors = imports_.ListErrors(started->id, 0, 100);
  ASSERT_TRUE(errors.ok()) << errors.status();
  ASSERT_EQ(errors->size(), 2u);
  EXPECT_EQ((*errors)[0].line, 6);
  EXPECT_EQ((*errors)[1].line, 8);
  EXPECT_TRUE(TempDirEmpty());

  EXPECT_EQ(RunAll(started->id).state, operations::OperationState::kSucceeded);
  EXPECT_EQ(Import(started->id).counts.created, 4);
  EXPECT_EQ(Import(started->id).counts.failed, 3);
  EXPECT_THAT(ErrorReport(started->id), HasSubstr("3,Phone,phone,"));
  EXPECT_THAT(ErrorReport(started->id), HasSubstr("8,Phone,phone,"));
}

TEST_F(XlsxImportTest, FilesThatAreNotWorkbooksAreRefusedNamingTheField) {
  const std::string workbook = Workbook([](xlsx::SheetWriter& sheet) {
    sheet.Text("Phone");
    EXPECT_TRUE(sheet.EndRow().ok());
  });
  auto only_phone = [&](const std::string& file_id, std::optional<ImportFormat> format) {
    ImportRequest request = Request(file_id);
    request.columns = {{"Phone", "phone"}};
    request.format = format;
    return StartIn(request).status();
  };
  // A format the content contradicts.
  EXPECT_EQ(ViolatedField(only_phone(Upload("Phone\n+79165550301\n"), ImportFormat::kXlsx)),
            "format");
  EXPECT_EQ(ViolatedField(only_phone(Upload(workbook, 500), ImportFormat::kCsv)), "format");
  // A zip that breaks off: corrupt.
  absl::Status truncated =
      only_phone(Upload(workbook.substr(0, workbook.size() / 2), 500), std::nullopt);
  EXPECT_EQ(ViolatedField(truncated), "file_id");
  EXPECT_THAT(truncated.message(), HasSubstr("not an XLSX workbook"));
  // A password-protected workbook is an OLE compound file.
  absl::Status encrypted = only_phone(
      Upload(std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + std::string(600, '\0'), 500),
      std::nullopt);
  EXPECT_EQ(ViolatedField(encrypted), "file_id");
  EXPECT_THAT(encrypted.message(), HasSubstr("encrypted"));
  // A sheet with no rows has no header.
  absl::Status empty = only_phone(Upload(Workbook([](xlsx::SheetWriter&) {}), 500), std::nullopt);
  EXPECT_EQ(ViolatedField(empty), "file_id");
  EXPECT_EQ(Count("SELECT count(*) FROM operations WHERE kind = 'identity.client_import' AND "
                  "program_id = '" +
                  program_id_ + "'"),
            0);
  EXPECT_TRUE(TempDirEmpty());

  // Once started, a copy that cannot be read fails the operation with the
  // reader's message (here: the stored bytes broken behind its back).
  const std::string file_id = Upload(workbook, 500);
  ImportRequest phone_only = Request(file_id);
  phone_only.columns = {{"Phone", "phone"}};
  absl::StatusOr<operations::Operation> started = StartIn(phone_only);
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_TRUE(
      pool_
          ->Transact([&](pg::Tx& tx) {
            tx.exec_params(
                "UPDATE client_import_file_chunks SET data = decode('504b030462726f6b656e', 'hex')"
                " WHERE file_id = $1",
                file_id);
            return absl::OkStatus();
          })
          .ok());
  const operations::Operation failed = RunAll(started->id);
  EXPECT_EQ(failed.state, operations::OperationState::kFailed);
  EXPECT_THAT(failed.error, HasSubstr("XLSX"));
  EXPECT_EQ(Clients(), 0);
  EXPECT_TRUE(TempDirEmpty());
}

}  // namespace
}  // namespace loyalty::identity
