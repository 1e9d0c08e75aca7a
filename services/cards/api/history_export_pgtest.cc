// CRD-7 history export through the operation runner against a real
// PostgreSQL: a card with operations before, inside and after the period
// gives exactly the CSV of the ones inside, across several history pages;
// XLSX of the same rows reads back with libs/xlsx's reader; a repeated
// attempt gives the same file; a file past its retention shows expired and
// its download says so; the size cap fails the operation
// asking for a shorter period; requests are checked naming the field.

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/operations/file_store.h"
#include "libs/operations/metrics.h"
#include "libs/operations/operation_store.h"
#include "libs/operations/operations_api.h"
#include "libs/operations/runner.h"
#include "libs/operations/test_support.h"
#include "libs/rpc/call_context.h"
#include "libs/xlsx/reader.h"
#include "libs/xlsx/xlsx.h"
#include "prometheus/registry.h"
#include "services/cards/api/convert.h"
#include "services/cards/api/history_export.h"
#include "services/cards/testing/pg_fixture.h"

namespace loyalty::cards::testing {
namespace {

using ::testing::HasSubstr;

// Whole seconds, as a client would send them.
google::protobuf::Timestamp Stamp(absl::Time time) {
  return ToProto(absl::FromUnixSeconds(absl::ToUnixSeconds(time)));
}

class HistoryExportPgTest : public CardsPgTest {
 protected:
  void SetUp() override {
    CardsPgTest::SetUp();
    if (HasFatalFailure()) return;
    reader_ = std::make_unique<PointsReader>(*pool_, clock_);
    operations_ = std::make_unique<operations::OperationStore>(*pool_, "cards");
  }

  void TearDown() override {
    // Leave nothing claimable for the next test's runner.
    ASSERT_TRUE(operations::CancelUnfinishedOperations(*pool_).ok());
    CardsPgTest::TearDown();
  }

  v1::ExportCardOperationsRequest Request(const std::string& card, absl::Time start,
                                          absl::Time end) {
    v1::ExportCardOperationsRequest request;
    request.set_card_number(card);
    *request.mutable_start_time() = Stamp(start);
    *request.mutable_end_time() = Stamp(end);
    request.set_request_id(NewUuid());
    return request;
  }

  // Starts the export as ExportCardOperations does and runs it to the end
  // with `files`, two history rows per page.
  operations::Operation Run(const v1::ExportCardOperationsRequest& request,
                            operations::OperationFileStore& files) {
    absl::StatusOr<operations::NewOperation> op = HistoryExportOperation(request, "key-7");
    EXPECT_TRUE(op.ok()) << op.status();
    if (!op.ok()) return {};
    absl::StatusOr<operations::Operation> created = operations_->Create(program_, *op);
    EXPECT_TRUE(created.ok()) << created.status();
    HistoryExportHandler handler({.reader = *reader_, .files = files, .page_size = 2});
    operations::OperationRunner runner(*operations_, metrics_, {});
    runner.Register(kHistoryExportKind, handler);
    for (;;) {
      absl::StatusOr<bool> worked = runner.RunOnce();
      EXPECT_TRUE(worked.ok()) << worked.status();
      if (!worked.ok() || !*worked) break;
    }
    absl::StatusOr<operations::Operation> done = operations_->Get(program_, created->id);
    EXPECT_TRUE(done.ok()) << done.status();
    return done.value_or(operations::Operation{});
  }

  // A correction by operator-9.
  void Correct(std::string id, TransferKind kind, const Card& card, int64_t amount,
               std::string reason) {
    absl::StatusOr<CommitResult> done =
        ledger_->Correct(program_, TransferSpec{.transfer_id = std::move(id),
                                                .kind = kind,
                                                .card_number = card.number,
                                                .amount = amount,
                                                .reason = std::move(reason),
                                                .actor = "operator-9"});
    ASSERT_TRUE(done.ok()) << done.status();
  }

  std::string Content(const std::string& operation_id) {
    absl::StatusOr<operations::FileContent> file = files_.Read(program_, operation_id);
    EXPECT_TRUE(file.ok()) << file.status();
    return file.ok() ? file->data : "";
  }

  std::unique_ptr<PointsReader> reader_;
  std::unique_ptr<operations::OperationStore> operations_;
  operations::OperationFileStore files_{*Database().pool};
  prometheus::Registry registry_;
  operations::OperationMetrics metrics_{registry_};
};

TEST_F(HistoryExportPgTest, WritesTheOperationsOfThePeriodAsCsv) {
  const Card card = NewCard();
  const absl::Time t0 = clock_.Now();
  MustCommit(Accrual("before", card, 1000));  // outside: before the period
  clock_.Advance(absl::Hours(1));
  TransferSpec receipt = Accrual("r-1", card, 250);
  receipt.reference = "receipt 17, till 2";
  MustCommit(receipt);
  clock_.Advance(absl::Minutes(30) + absl::Milliseconds(250));
  Correct("c-1", TransferKind::kCorrectionDebit, card, 30, "=HYPERLINK(\"http://x\",\"y\")");
  clock_.Advance(absl::Minutes(30));
  Correct("c-2", TransferKind::kCorrectionCredit, card, 5, "-5 was wrong, sorry");
  clock_.Advance(absl::Hours(2));
  MustCommit(Accrual("after", card, 7));  // outside: at the (exclusive) end
  const absl::Time end = clock_.Now();

  operations::Operation done = Run(Request(card.number, t0 + absl::Seconds(1), end), files_);
  ASSERT_EQ(done.state, operations::OperationState::kSucceeded) << done.error;
  EXPECT_EQ(done.succeeded, 1);

  const std::string expected =
      absl::StrCat("\xEF\xBB\xBF",
                   "time,kind,points,balance_after,transfer_id,reference,reason,actor,hold_id\r\n",
                   "2025-06-15T17:06:40.25Z,CORRECTION_CREDIT,5,1225,c-2,,\"'-5 was wrong, sorry\","
                   "operator-9,\r\n",
                   "2025-06-15T16:36:40.25Z,CORRECTION_DEBIT,-30,1220,c-1,,"
                   "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",operator-9,\r\n",
                   "2025-06-15T16:06:40Z,ACCRUAL,250,1250,r-1,\"receipt 17, till 2\",,,\r\n");
  EXPECT_EQ(Content(done.id), expected);

  absl::StatusOr<std::optional<operations::ResultFile>> file = files_.Find(program_, done.id);
  ASSERT_TRUE(file.ok() && file->has_value());
  EXPECT_EQ((*file)->name, absl::StrCat("card-", card.number,
                                        "-operations-20250615T150641Z-20250615T190640Z.csv"));
  EXPECT_EQ((*file)->content_type, "text/csv; charset=utf-8");
  EXPECT_EQ((*file)->size, static_cast<int64_t>(expected.size()));
}

TEST_F(HistoryExportPgTest, WritesXlsxThatReadsBackWithNumbersTimesAndPlainText) {
  const Card card = NewCard();
  const absl::Time t0 = clock_.Now();
  clock_.Advance(absl::Hours(1));
  TransferSpec receipt = Accrual("r-1", card, 250);
  receipt.reference = "receipt 17, till 2";
  MustCommit(receipt);
  clock_.Advance(absl::Minutes(30));
  Correct("c-1", TransferKind::kCorrectionDebit, card, 30, "=HYPERLINK(\"http://x\",\"y\")");
  clock_.Advance(absl::Minutes(30));
  Correct("c-2", TransferKind::kCorrectionCredit, card, 5, "+5 back");
  clock_.Advance(absl::Hours(1));

  v1::ExportCardOperationsRequest request = Request(card.number, t0, clock_.Now());
  request.set_format(operations::v1::EXPORT_FORMAT_XLSX);
  operations::Operation done = Run(request, files_);
  ASSERT_EQ(done.state, operations::OperationState::kSucceeded) << done.error;
  absl::StatusOr<std::optional<operations::ResultFile>> file = files_.Find(program_, done.id);
  ASSERT_TRUE(file.ok() && file->has_value());
  EXPECT_EQ((*file)->name, absl::StrCat("card-", card.number,
                                        "-operations-20250615T150640Z-20250615T180640Z.xlsx"));
  EXPECT_EQ((*file)->content_type, xlsx::kContentType);

  const std::string path = absl::StrCat(::testing::TempDir(), "/history-", done.id, ".xlsx");
  {
    std::ofstream out(path, std::ios::binary);
    out << Content(done.id);
  }
  absl::StatusOr<std::unique_ptr<xlsx::SheetReader>> reader = xlsx::SheetReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<std::vector<std::string>> rows;
  xlsx::Row row;
  for (;;) {
    absl::StatusOr<bool> more = (*reader)->Next(&row);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    rows.push_back(row.cells);
  }
  std::remove(path.c_str());
  using Cells = std::vector<std::string>;
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], (Cells{"time", "kind", "points", "balance_after", "transfer_id", "reference",
                            "reason", "actor", "hold_id"}));
  // Newest first; times are date cells (read back as ISO dates), amounts
  // numbers, and text stays exactly what was stored: no apostrophe, no
  // formula.
  EXPECT_EQ(rows[1], (Cells{"2025-06-15T17:06:40", "CORRECTION_CREDIT", "5", "225", "c-2", "",
                            "+5 back", "operator-9"}));
  EXPECT_EQ(rows[2], (Cells{"2025-06-15T16:36:40", "CORRECTION_DEBIT", "-30", "220", "c-1", "",
                            "=HYPERLINK(\"http://x\",\"y\")", "operator-9"}));
  EXPECT_EQ(rows[3],
            (Cells{"2025-06-15T16:06:40", "ACCRUAL", "250", "250", "r-1", "receipt 17, till 2"}));
}

TEST_F(HistoryExportPgTest, AnExpiredFileIsShownExpiredAndItsDownloadSaysSo) {
  const Card card = NewCard();
  MustCommit(Accrual("a", card, 10));
  operations::OperationFileStore files(*pool_, {.retention = absl::Hours(1)});
  operations::Operation done = Run(
      Request(card.number, clock_.Now() - absl::Hours(1), clock_.Now() + absl::Hours(1)), files);
  ASSERT_EQ(done.state, operations::OperationState::kSucceeded) << done.error;

  // The operations API over gRPC, as the gateway calls it.
  operations::OperationsApi api(*operations_, metrics_, &files);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&api);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = operations::v1::OperationsService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  auto call = [&] {
    auto context = std::make_unique<grpc::ClientContext>();
    rpc::WriteCallContext(rpc::CallContext{.program_id = program_,
                                           .role = "ROLE_ADMIN",
                                           .principal_id = "key-7",
                                           .trace = TraceParent::NewRoot()},
                          *context);
    return context;
  };
  operations::v1::GetOperationRequest get;
  get.set_id(done.id);
  operations::v1::DownloadOperationFileRequest download;
  download.set_id(done.id);
  operations::v1::Operation shown;
  operations::v1::FileContent content;
  ASSERT_TRUE(stub->GetOperation(call().get(), get, &shown).ok());
  EXPECT_FALSE(shown.result_file().expired());
  ASSERT_TRUE(shown.result_file().has_expire_time());
  ASSERT_TRUE(stub->DownloadOperationFile(call().get(), download, &content).ok());
  EXPECT_FALSE(content.data().empty());

  // The files' times are the database's, so the sweep runs at its clock
  // plus more than the retention.
  absl::StatusOr<int64_t> expired = files.ExpireFiles(absl::Now() + absl::Hours(2));
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_GE(*expired, 1);
  ASSERT_TRUE(stub->GetOperation(call().get(), get, &shown).ok());
  EXPECT_TRUE(shown.result_file().expired());
  EXPECT_THAT(shown.result_file().file_name(), HasSubstr(card.number));
  grpc::Status gone = stub->DownloadOperationFile(call().get(), download, &content);
  EXPECT_EQ(gone.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(gone.error_message(), HasSubstr("expired at"));
  server->Shutdown();
}

TEST_F(HistoryExportPgTest, AnEmptyPeriodGivesTheHeaderOnly) {
  const Card card = NewCard();
  MustCommit(Accrual("a", card, 10));
  const absl::Time later = clock_.Now() + absl::Hours(1);
  operations::Operation done = Run(Request(card.number, later, later + absl::Hours(24)), files_);
  ASSERT_EQ(done.state, operations::OperationState::kSucceeded) << done.error;
  EXPECT_EQ(Content(done.id),
            "\xEF\xBB\xBFtime,kind,points,balance_after,transfer_id,reference,reason,actor,hold_id"
            "\r\n");
}

TEST_F(HistoryExportPgTest, AHistoryOverTheCapFailsAskingForAShorterPeriod) {
  const Card card = NewCard();
  for (int i = 0; i < 5; ++i) {
    MustCommit(Accrual(absl::StrCat("a-", i), card, 10));
    clock_.Advance(absl::Minutes(1));
  }
  operations::OperationFileStore small(*pool_, {.max_bytes = 200, .chunk_bytes = 64});
  operations::Operation done =
      Run(Request(card.number, clock_.Now() - absl::Hours(1), clock_.Now()), small);
  EXPECT_EQ(done.state, operations::OperationState::kFailed);
  EXPECT_THAT(done.error, HasSubstr("export a shorter period"));
  EXPECT_FALSE(small.Find(program_, done.id)->has_value());
  EXPECT_EQ(Scalar(absl::StrCat("SELECT count(*) FROM operation_file_chunks"
                                " WHERE program_id = $1")),
            0);
}

TEST_F(HistoryExportPgTest, RequestsAreCheckedNamingTheField) {
  const absl::Time now = clock_.Now();
  auto field_of = [](const v1::ExportCardOperationsRequest& request) {
    absl::StatusOr<operations::NewOperation> op = HistoryExportOperation(request, "key-7");
    EXPECT_FALSE(op.ok());
    return op.ok() ? std::string("(accepted)") : ViolatedField(op.status()).value_or("(none)");
  };
  v1::ExportCardOperationsRequest request = Request("2000000000017", now, now + absl::Hours(1));
  EXPECT_TRUE(HistoryExportOperation(request, "k").ok());

  v1::ExportCardOperationsRequest no_card = request;
  no_card.clear_card_number();
  EXPECT_EQ(field_of(no_card), "card_number");
  v1::ExportCardOperationsRequest no_start = request;
  no_start.clear_start_time();
  EXPECT_EQ(field_of(no_start), "start_time");
  v1::ExportCardOperationsRequest no_end = request;
  no_end.clear_end_time();
  EXPECT_EQ(field_of(no_end), "end_time");
  v1::ExportCardOperationsRequest backwards = request;
  *backwards.mutable_end_time() = Stamp(now - absl::Seconds(1));
  EXPECT_EQ(field_of(backwards), "end_time");
  v1::ExportCardOperationsRequest too_long = request;
  *too_long.mutable_end_time() = Stamp(now + absl::Hours(24 * 367));
  EXPECT_EQ(field_of(too_long), "end_time");
  v1::ExportCardOperationsRequest no_id = request;
  no_id.clear_request_id();
  EXPECT_EQ(field_of(no_id), "request_id");
  v1::ExportCardOperationsRequest xlsx = request;
  xlsx.set_format(operations::v1::EXPORT_FORMAT_XLSX);
  EXPECT_TRUE(HistoryExportOperation(xlsx, "k").ok());
  v1::ExportCardOperationsRequest unknown_format = request;
  unknown_format.set_format(static_cast<operations::v1::ExportFormat>(9));
  EXPECT_EQ(field_of(unknown_format), "format");
  v1::ExportCardOperationsRequest control = request;
  control.set_card_number("12\n34");
  EXPECT_EQ(field_of(control), "card_number");
}

}  // namespace
}  // namespace loyalty::cards::testing
