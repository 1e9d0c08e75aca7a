#pragma once

// Files that operations produce (exports), in PostgreSQL next to the
// operations, in pieces: `operation_file_chunks` holds the content in
// numbered chunks of at most 1 MiB, `operation_files` one row per finished
// file (name, content type, size, SHA-256). Both are scoped to a program
// like the operations they belong to.
//
// A handler writes its file with a FileWriter: Begin() throws away whatever
// an earlier attempt left (a crash, a retried chunk) so the file restarts
// from scratch, Append() buffers at most one chunk before storing it (the
// whole file is never in memory), Finish() stores the rest and the file's
// row. Each step is its own short transaction; the file only counts once
// its row exists, and the API shows it only for a SUCCEEDED operation, so
// a half-written attempt is never served. Runners never run one operation
// twice at once (OperationStore::ProcessNextChunk), so there is one writer
// per file.
//
// Files are not kept for ever: ExpireFiles(), run periodically by each
// service that stores them (RunFileExpiry), removes the content of files
// older than the retention and marks them expired. The row stays, so that
// the operation can still say what it made and that it expired.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/common/config.h"
#include "libs/operations/operation.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"

namespace loyalty::operations {

// The tables, for a service that stores operation files to list among its
// migrations under `name`, after its operations tables (they refer to
// them). Its text must never change once released.
std::vector<pg::Migration> WithOperationFileTables(std::span<const pg::Migration> service,
                                                   const char* name);

inline constexpr size_t kFileChunkBytes = size_t{1} << 20;

// How long a finished file is kept unless the service says otherwise
// (LOYALTY_OPERATION_FILE_TTL).
inline constexpr absl::Duration kDefaultFileRetention = absl::Hours(24 * 7);

struct FileLimits {
  int64_t max_bytes = kMaxResultFileBytes;
  size_t chunk_bytes = kFileChunkBytes;  // at most kFileChunkBytes
  // How long a finished file's content is kept; must be positive.
  absl::Duration retention = kDefaultFileRetention;
};

// A result file with its content.
struct FileContent {
  ResultFile file;
  std::string data;
};

class FileWriter;

class OperationFileStore final {
 public:
  explicit OperationFileStore(pg::Pool& pool, FileLimits limits = {})
      : pool_(pool), limits_(limits) {}

  // Starts the file of an operation of the program, dropping any content
  // an earlier attempt stored.
  absl::StatusOr<std::unique_ptr<FileWriter>> Begin(absl::string_view program_id,
                                                    absl::string_view operation_id,
                                                    absl::string_view name,
                                                    absl::string_view content_type);

  // The finished file of an operation, if any.
  absl::StatusOr<std::optional<ResultFile>> Find(absl::string_view program_id,
                                                 absl::string_view operation_id);

  // The finished file with its content, checked against its size and
  // digest (DATA_LOSS when they differ). NOT_FOUND naming `id` when there
  // is none, or when it expired (the message says so and when).
  absl::StatusOr<FileContent> Read(absl::string_view program_id, absl::string_view operation_id);

  // Removes the content of every program's files finished before
  // `now` - retention and marks them expired, `batch` files per
  // transaction until none is due. Returns how many expired. Replicas may
  // run it at once: each skips the files another has locked.
  absl::StatusOr<int64_t> ExpireFiles(absl::Time now, int batch = 100);

  const FileLimits& limits() const { return limits_; }

 private:
  friend class FileWriter;
  pg::Pool& pool_;
  const FileLimits limits_;
};

// The retention settings of a service that stores result files:
// LOYALTY_OPERATION_FILE_TTL (default 7 days, e.g. "168h") and
// LOYALTY_OPERATION_FILE_EXPIRY_INTERVAL (how often to look, default 1h).
struct FileRetentionConfig {
  absl::Duration retention = kDefaultFileRetention;
  absl::Duration check_interval = absl::Hours(1);
  // INVALID_ARGUMENT naming the variable unless both are positive.
  absl::Status Validate() const;
};
FileRetentionConfig ReadFileRetention(EnvReader& env);

// ExpireFiles(absl::Now()) at once and then every `interval` until stop is
// requested, logging what it removed and counting it in `metrics`.
class OperationMetrics;
void RunFileExpiry(OperationFileStore& files, OperationMetrics& metrics, std::stop_token stop,
                   absl::Duration interval);

class FileWriter final {
 public:
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  // Adds `data` at the end, storing each full chunk. RESOURCE_EXHAUSTED
  // when the file would exceed the limit (nothing of `data` is added; the
  // caller should Discard()).
  absl::Status Append(absl::string_view data);

  // Stores the last chunk and the file's row. The writer is done after it.
  absl::StatusOr<ResultFile> Finish();

  // Deletes what this attempt stored (e.g. after RESOURCE_EXHAUSTED).
  absl::Status Discard();

  // Bytes appended so far.
  int64_t size() const { return size_; }

 private:
  friend class OperationFileStore;
  struct Digest;  // OpenSSL's SHA-256 state, kept out of this header
  FileWriter(OperationFileStore& store, std::string program_id, std::string operation_id,
             std::string name, std::string content_type);
  absl::Status Flush();

  OperationFileStore& store_;
  const std::string program_id_;
  const std::string operation_id_;
  const std::string name_;
  const std::string content_type_;
  std::unique_ptr<Digest> digest_;
  std::string buffer_;  // at most one chunk
  int64_t next_seq_ = 0;
  int64_t size_ = 0;
};

}  // namespace loyalty::operations
