// Result files of operations against a real PostgreSQL: content split into
// 1 MiB chunks and read back whole, the size cap, a crashed attempt
// restarted without duplicated content (directly and through the runner),
// files past their retention emptied and marked expired (time passed in,
// not slept), and program isolation.

#include <memory>
#include <string>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/operations/file_store.h"
#include "libs/operations/metrics.h"
#include "libs/operations/operation_store.h"
#include "libs/operations/runner.h"
#include "libs/operations/test_support.h"
#include "libs/testing/migrated_database.h"
#include "prometheus/registry.h"

namespace loyalty::operations {
namespace {

constexpr char kKind[] = "test.export";

// `size` bytes that differ from position to position (and by `seed`), so
// that a chunk stored twice or out of order changes the content.
std::string Pattern(size_t size, char seed = 0) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 31 + i / 997 + seed) & 0xff);
  return out;
}

class FileStorePgTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::vector<pg::Migration> tables =
        WithOperationFileTables(WithOperationsTables({}, "0001_operations"), "0002_files");
    auto db = loyalty::testing::StartMigratedDatabase("files", tables, 8);
    ASSERT_TRUE(db.ok()) << db.status();
    database_ = db->release();
  }
  static void TearDownTestSuite() {
    delete database_;
    database_ = nullptr;
  }

  void SetUp() override { ASSERT_NE(database_, nullptr); }

  void TearDown() override { ASSERT_TRUE(CancelUnfinishedOperations(pool()).ok()); }

  static pg::Pool& pool() { return *database_->pool; }

  // A new operation of `program` (default the test's own).
  Operation NewExport(const std::string& program = "") {
    absl::StatusOr<Operation> created = operations_.Create(program.empty() ? program_ : program,
                                                           NewOperation{.request_id = NewUuid(),
                                                                        .kind = kKind,
                                                                        .params = "",
                                                                        .item_keys = {"card"},
                                                                        .created_by = "key-1"});
    EXPECT_TRUE(created.ok()) << created.status();
    return created.value_or(Operation{});
  }

  // Chunk sizes as stored, in seq order.
  std::vector<int64_t> ChunkSizes(const std::string& operation_id) {
    std::vector<int64_t> sizes;
    EXPECT_TRUE(pool()
                    .Transact([&](pg::Tx& tx) {
                      sizes.clear();
                      for (const auto& row :
                           tx.exec_params("SELECT octet_length(data) FROM operation_file_chunks"
                                          " WHERE operation_id = $1 ORDER BY seq",
                                          operation_id)) {
                        sizes.push_back(row[0].as<int64_t>());
                      }
                      return absl::OkStatus();
                    })
                    .ok());
    return sizes;
  }

  // The stored content, "<error>" when it cannot be read.
  std::string Content(const std::string& operation_id, const std::string& program = "") {
    absl::StatusOr<FileContent> read =
        files_.Read(program.empty() ? program_ : program, operation_id);
    EXPECT_TRUE(read.ok()) << read.status();
    return read.ok() ? read->data : "<error>";
  }

  std::unique_ptr<FileWriter> MustBegin(OperationFileStore& files, const std::string& id,
                                        const std::string& program = "") {
    auto writer = files.Begin(program.empty() ? program_ : program, id, "export.csv", "text/csv");
    EXPECT_TRUE(writer.ok()) << writer.status();
    return writer.ok() ? *std::move(writer) : nullptr;
  }

  static loyalty::testing::MigratedDatabase* database_;
  const std::string program_ = NewUuid();
  OperationStore operations_{pool(), "cards"};
  OperationFileStore files_{pool()};
};

loyalty::testing::MigratedDatabase* FileStorePgTest::database_ = nullptr;

TEST_F(FileStorePgTest, ContentOverAMebibyteIsChunkedAndReadBackWhole) {
  const Operation op = NewExport();
  const std::string content = Pattern(2 * kFileChunkBytes + 12345);
  std::unique_ptr<FileWriter> writer = MustBegin(files_, op.id);
  ASSERT_NE(writer, nullptr);
  // Uneven pieces, one of them larger than a chunk.
  size_t at = 0;
  for (size_t piece : {size_t{10}, kFileChunkBytes + 7, size_t{300000}}) {
    ASSERT_TRUE(writer->Append(absl::string_view(content).substr(at, piece)).ok());
    at += piece;
  }
  ASSERT_TRUE(writer->Append(absl::string_view(content).substr(at)).ok());
  EXPECT_EQ(writer->size(), static_cast<int64_t>(content.size()));
  // Not a file until it is finished.
  auto unfinished = files_.Find(program_, op.id);
  ASSERT_TRUE(unfinished.ok()) << unfinished.status();
  EXPECT_FALSE(unfinished->has_value());
  EXPECT_EQ(files_.Read(program_, op.id).status().code(), absl::StatusCode::kNotFound);

  absl::StatusOr<ResultFile> file = writer->Finish();
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->name, "export.csv");
  EXPECT_EQ(file->content_type, "text/csv");
  EXPECT_EQ(file->size, static_cast<int64_t>(content.size()));
  EXPECT_EQ(file->sha256.size(), 64u);
  EXPECT_EQ(ChunkSizes(op.id), (std::vector<int64_t>{1 << 20, 1 << 20, 12345}));

  absl::StatusOr<FileContent> read = files_.Read(program_, op.id);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->file.sha256, file->sha256);
  EXPECT_TRUE(read->data == content) << "content differs";

  // An empty file is a file too.
  const Operation empty = NewExport();
  std::unique_ptr<FileWriter> none = MustBegin(files_, empty.id);
  ASSERT_TRUE(none->Finish().ok());
  absl::StatusOr<FileContent> nothing = files_.Read(program_, empty.id);
  ASSERT_TRUE(nothing.ok()) << nothing.status();
  EXPECT_EQ(nothing->data, "");
  EXPECT_EQ(nothing->file.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(FileStorePgTest, TheCapRefusesTheAppendThatWouldExceedIt) {
  OperationFileStore small(pool(), FileLimits{.max_bytes = 100, .chunk_bytes = 16});
  const Operation op = NewExport();
  std::unique_ptr<FileWriter> writer = MustBegin(small, op.id);
  ASSERT_TRUE(writer->Append(Pattern(60)).ok());
  ASSERT_TRUE(writer->Append(Pattern(40)).ok());  // exactly at the cap
  absl::Status over = writer->Append("x");
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted) << over;
  EXPECT_EQ(writer->size(), 100);
  EXPECT_EQ(ChunkSizes(op.id).size(), 6u);  // 6 full chunks of 16, 4 bytes buffered
  ASSERT_TRUE(writer->Discard().ok());
  EXPECT_TRUE(ChunkSizes(op.id).empty());
  EXPECT_FALSE(small.Find(program_, op.id)->has_value());
}

TEST_F(FileStorePgTest, AnotherAttemptStartsTheFileAfresh) {
  const Operation op = NewExport();
  // The first attempt stores two chunks, then its process dies.
  std::unique_ptr<FileWriter> first = MustBegin(files_, op.id);
  ASSERT_TRUE(first->Append(Pattern(kFileChunkBytes * 2 + 5, 1)).ok());
  first.reset();
  ASSERT_EQ(ChunkSizes(op.id).size(), 2u);

  const std::string content = Pattern(kFileChunkBytes + 3, 2);
  std::unique_ptr<FileWriter> second = MustBegin(files_, op.id);
  EXPECT_TRUE(ChunkSizes(op.id).empty());
  ASSERT_TRUE(second->Append(content).ok());
  ASSERT_TRUE(second->Finish().ok());
  absl::StatusOr<FileContent> read = files_.Read(program_, op.id);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->data.size(), content.size());
  EXPECT_TRUE(read->data == content) << "content differs";

  // Even a finished file is dropped by a new attempt until it finishes.
  std::unique_ptr<FileWriter> third = MustBegin(files_, op.id);
  EXPECT_FALSE(files_.Find(program_, op.id)->has_value());
  ASSERT_TRUE(third->Append("short").ok());
  ASSERT_TRUE(third->Finish().ok());
  EXPECT_EQ(Content(op.id), "short");
  EXPECT_EQ(ChunkSizes(op.id), std::vector<int64_t>{5});
}

TEST_F(FileStorePgTest, FilesPastTheRetentionLoseTheirContentAndSayTheyExpired) {
  OperationFileStore files(pool(), FileLimits{.chunk_bytes = 4, .retention = absl::Hours(24)});
  const std::string other_program = NewUuid();
  const Operation old = NewExport(), foreign = NewExport(other_program), fresh = NewExport();
  for (const auto& [op, program] :
       {std::pair{old, program_}, std::pair{foreign, other_program}, std::pair{fresh, program_}}) {
    std::unique_ptr<FileWriter> writer = MustBegin(files, op.id, program);
    ASSERT_TRUE(writer->Append("three chunks").ok());
    ASSERT_TRUE(writer->Finish().ok());
  }
  // `fresh` finished two hours after the others.
  ASSERT_TRUE(pool()
                  .Transact([&](pg::Tx& tx) {
                    tx.exec_params(
                        "UPDATE operation_files SET created_at = created_at"
                        " + interval '2 hours' WHERE operation_id = $1",
                        fresh.id);
                    return absl::OkStatus();
                  })
                  .ok());
  absl::StatusOr<std::optional<ResultFile>> found = files.Find(program_, old.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  const absl::Time finished = (*found)->create_time;
  ASSERT_TRUE((*found)->expire_time.has_value());
  EXPECT_EQ(*(*found)->expire_time, finished + absl::Hours(24));
  EXPECT_FALSE((*found)->expired);

  // Within the retention nothing goes.
  absl::StatusOr<int64_t> none = files.ExpireFiles(finished + absl::Hours(23));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(*none, 0);
  EXPECT_EQ(Content(old.id), "three chunks");

  // Past it, every program's files go, one per transaction here; the
  // younger file stays.
  absl::StatusOr<int64_t> expired = files.ExpireFiles(finished + absl::Hours(25), /*batch=*/1);
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_GE(*expired, 2);  // earlier tests' files too
  for (const auto& [op, program] : {std::pair{old, program_}, std::pair{foreign, other_program}}) {
    EXPECT_TRUE(ChunkSizes(op.id).empty());
    found = files.Find(program, op.id);
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_TRUE((*found)->expired);
    EXPECT_EQ((*found)->name, "export.csv");
    EXPECT_EQ((*found)->size, 12);
    absl::StatusOr<FileContent> read = files.Read(program, op.id);
    EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound) << read.status();
    EXPECT_EQ(ViolatedField(read.status()), "id");
    EXPECT_THAT(std::string(read.status().message()), ::testing::HasSubstr("expired at"));
  }
  EXPECT_EQ(ChunkSizes(fresh.id).size(), 3u);
  EXPECT_EQ(Content(fresh.id), "three chunks");
  EXPECT_FALSE((*files.Find(program_, fresh.id))->expired);

  // Expired files are not expired again.
  absl::StatusOr<int64_t> again = files.ExpireFiles(finished + absl::Hours(25));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 0);
}

TEST_F(FileStorePgTest, DamagedContentIsDataLoss) {
  const Operation op = NewExport();
  std::unique_ptr<FileWriter> writer = MustBegin(files_, op.id);
  ASSERT_TRUE(writer->Append("hello").ok());
  ASSERT_TRUE(writer->Finish().ok());
  ASSERT_TRUE(pool()
                  .Transact([&](pg::Tx& tx) {
                    tx.exec_params(
                        "UPDATE operation_file_chunks SET data = 'hellO'::bytea"
                        " WHERE operation_id = $1",
                        op.id);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(files_.Read(program_, op.id).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(FileStorePgTest, AnotherProgramSeesNoFile) {
  const Operation op = NewExport();
  std::unique_ptr<FileWriter> writer = MustBegin(files_, op.id);
  ASSERT_TRUE(writer->Append("secret").ok());
  ASSERT_TRUE(writer->Finish().ok());
  const std::string other = NewUuid();
  EXPECT_FALSE(files_.Find(other, op.id)->has_value());
  absl::Status read = files_.Read(other, op.id).status();
  EXPECT_EQ(read.code(), absl::StatusCode::kNotFound) << read;
  EXPECT_EQ(ViolatedField(read), "id");
  // Nor can it write one for an operation it does not have.
  auto foreign = files_.Begin(other, op.id, "x.csv", "text/csv");
  ASSERT_TRUE(foreign.ok());
  EXPECT_FALSE((*foreign)->Finish().ok());
  EXPECT_EQ(Content(op.id), "secret");
}

// A handler that writes its file in pieces and, the first time, dies
// (a transient error rolls the chunk back) after storing part of it.
class ExportHandler final : public OperationHandler {
 public:
  explicit ExportHandler(OperationFileStore& files) : files_(files) {}

  ItemOutcome Apply(const OperationRun& run, const PendingItem&) override {
    ++calls;
    auto writer = files_.Begin(run.program_id, run.operation_id, "out.bin", "application/x-test");
    if (!writer.ok()) return OutcomeOf(writer.status());
    for (int piece = 0; piece < 3; ++piece) {
      absl::Status appended = (*writer)->Append(Pattern(kFileChunkBytes, static_cast<char>(piece)));
      if (!appended.ok()) return OutcomeOf(appended);
      if (calls == 1 && piece == 1) return OutcomeOf(absl::UnavailableError("process died"));
    }
    absl::StatusOr<ResultFile> file = (*writer)->Finish();
    return OutcomeOf(file.status());
  }

  int calls = 0;

 private:
  OperationFileStore& files_;
};

TEST_F(FileStorePgTest, TheRunnerResumesACrashedExportWithoutDuplicatedContent) {
  prometheus::Registry registry;
  OperationMetrics metrics(registry);
  ExportHandler handler(files_);
  OperationRunner runner(operations_, metrics, RunnerOptions{});
  runner.Register(kKind, handler);
  const Operation op = NewExport();

  EXPECT_FALSE(runner.RunOnce().ok());  // the crashed attempt
  EXPECT_EQ(operations_.Get(program_, op.id)->state, OperationState::kPending);
  EXPECT_EQ(ChunkSizes(op.id).size(), 2u);

  absl::StatusOr<bool> resumed = runner.RunOnce();
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(handler.calls, 2);
  EXPECT_EQ(operations_.Get(program_, op.id)->state, OperationState::kSucceeded);
  absl::StatusOr<FileContent> read = files_.Read(program_, op.id);
  ASSERT_TRUE(read.ok()) << read.status();
  const std::string expected = absl::StrCat(
      Pattern(kFileChunkBytes, 0), Pattern(kFileChunkBytes, 1), Pattern(kFileChunkBytes, 2));
  EXPECT_EQ(read->data.size(), expected.size());
  EXPECT_TRUE(read->data == expected) << "content differs";
  EXPECT_EQ(ChunkSizes(op.id).size(), 3u);
}

}  // namespace
}  // namespace loyalty::operations
