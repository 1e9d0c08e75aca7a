#pragma once

// PostgreSQL storage of client imports (CLI-8): uploaded files in chunks,
// imports with their counts, the per-row errors, and the one transaction
// that applies a file's rows.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/client_import.h"

namespace loyalty::identity {

inline constexpr int64_t kMaxImportFileBytes = int64_t{256} << 20;
// Within gRPC's default 4 MiB message limit with room to spare.
inline constexpr size_t kMaxImportChunkBytes = size_t{2} << 20;

struct ImportFileInfo {
  std::string file_id;
  std::string file_name;
  int64_t size = 0;
  bool sealed = false;
  absl::Time create_time;
};

// An import as stored with its operation.
struct ClientImportInfo {
  std::string operation_id;
  std::string file_id;
  std::string file_sha256;
  std::string content_key;
  int64_t total_rows = 0;
  bool applied = false;
  ImportCounts counts;
};

class ImportStore final {
 public:
  explicit ImportStore(pg::Pool& pool) : pool_(pool) {}

  // An empty file; the same request id returns the first one.
  absl::StatusOr<ImportFileInfo> CreateFile(const std::string& program_id,
                                            const std::string& request_id,
                                            const std::string& file_name);
  // NOT_FOUND naming `file_id` for another program's or an unknown file.
  absl::StatusOr<ImportFileInfo> GetFile(const std::string& program_id, const std::string& file_id);
  // See ImportService.AppendImportFileChunk.
  absl::StatusOr<ImportFileInfo> AppendChunk(const std::string& program_id,
                                             const std::string& file_id, int64_t offset,
                                             absl::string_view data);
  // The stored bytes from `offset` to the end of the chunk holding it;
  // empty at the end of the file. One short transaction each, so a reader
  // holds one chunk at a time.
  absl::StatusOr<std::string> ReadPiece(const std::string& file_id, int64_t offset);

  // Takes no more chunks from now on, so that what an import checks and
  // digests is what it imports.
  absl::Status SealFile(const std::string& file_id);

  // The operation of an import with this content key that is applied or
  // may still be (not failed or cancelled), if any.
  absl::StatusOr<std::optional<std::string>> FindImportByContent(const std::string& program_id,
                                                                 const std::string& content_key);
  // Records the import of a freshly created operation (again: no change).
  absl::Status RecordImport(const std::string& program_id, const ClientImportInfo& info);

  // NOT_FOUND naming `operation_id`.
  absl::StatusOr<ClientImportInfo> GetImport(const std::string& program_id,
                                             const std::string& operation_id);

  // Replaces the errors recorded for lines first_line..last_line (a batch
  // validated again after a crash records its errors once).
  absl::Status ReplaceErrors(const std::string& operation_id, int64_t first_line, int64_t last_line,
                             const std::vector<ImportRowError>& errors);

  // Errors after `after_line` in line order, at most `limit`.
  absl::StatusOr<std::vector<ImportRowError>> ListErrors(const std::string& operation_id,
                                                         int64_t after_line, int limit);

  // Applies the rows of an import in one transaction, in file order (see
  // README "Import"): each row's dedupe keys look for a client; none:
  // registered (request id "import:<operation>:<line>"), one: updated or
  // skipped per `options.mode`, several: an error. Rejected rows go into
  // the error report; the counts are stored with the import. An import
  // already applied is not applied again: its counts are returned.
  // `open_rows` opens the rows from the start (again on a retry).
  absl::StatusOr<ImportCounts> Apply(
      const std::string& program_id, const std::string& operation_id, const ImportOptions& options,
      const std::string& default_country_code, absl::CivilDay today,
      absl::FunctionRef<absl::StatusOr<std::unique_ptr<ImportRowSource>>()> open_rows);

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::identity
