#pragma once

// Client import (CLI-8): the gRPC ImportService (upload, start, counts)
// and the operation handler that validates a file batch by batch and then
// applies it in one transaction.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/operations/file_store.h"
#include "libs/operations/operation_store.h"
#include "libs/operations/runner.h"
#include "loyalty/identity/v1/import_service.grpc.pb.h"
#include "services/identity/storage/attribute_store.h"
#include "services/identity/domain/client_import.h"
#include "services/identity/storage/identity_store.h"
#include "services/identity/storage/import_store.h"

namespace loyalty::identity {

inline constexpr char kClientImportKind[] = "identity.client_import";

// The rows of a stored file from a record boundary, read a stored chunk at
// a time; at most `limit` rows when given.
class StoredFileRows final : public ImportRowSource {
 public:
  StoredFileRows(ImportStore& store, std::string file_id, char delimiter, int64_t offset,
                 int64_t line, std::optional<int64_t> limit = std::nullopt);
  ~StoredFileRows() override;
  absl::StatusOr<std::optional<ImportRow>> Next() override;
  // Line the next row starts on.
  int64_t line() const;

 private:
  struct State;
  ImportStore& store_;
  const std::string file_id_;
  std::unique_ptr<State> state_;
  std::optional<int64_t> remaining_;
};

// A file read once through when an import starts: its digest, separator,
// header, and the batches its rows are validated in.
struct ImportFileScan {
  std::string sha256;  // hex
  char delimiter = ',';
  std::vector<std::string> header;
  int64_t data_offset = 0;  // where the first data row starts
  int64_t data_line = 2;
  int64_t total_rows = 0;
  std::vector<ImportBatch> batches;
};

// INVALID_ARGUMENT naming `file_id` for a file that is not CSV we can read
// (no header row, a quote left open, a record past csv::kMaxRecordBytes).
absl::StatusOr<ImportFileScan> ScanImportFile(ImportStore& store, const ImportFileInfo& file,
                                              std::optional<char> delimiter,
                                              int64_t batch_rows = kImportBatchRows);

// The first rows of an XLSX file's first worksheet: its header (the first
// non-empty row) and the batches of the rows after it. INVALID_ARGUMENT
// naming `file_id` for a file the XLSX reader refuses (not a workbook,
// encrypted, no worksheet, over a limit, no header row). The file is
// copied to `temp_path` while it is read.
absl::StatusOr<ImportFileScan> ScanXlsxImportFile(ImportStore& store, const ImportFileInfo& file,
                                                  const std::string& temp_path,
                                                  int64_t batch_rows = kXlsxImportBatchRows);

// What StartClientImport was asked, checked for form.
struct ImportRequest {
  std::string request_id;
  std::string file_id;
  std::optional<ImportFormat> format;  // nullopt: detected
  std::optional<char> delimiter;  // nullopt: detected
  std::vector<RequestedColumn> columns;
  std::vector<std::string> dedupe_keys;
  DuplicateMode mode = DuplicateMode::kSkip;
  NewClientMode on_new = NewClientMode::kCreate;
};

// Decides the file's format (see ImportService.StartClientImport), scans
// the file, checks the mapping against its header and `schema` (the
// program's attributes) and starts the
// import's operation, or returns the operation of an earlier import of the
// same content with the same options (see ImportService.StartClientImport).
// An XLSX file is read from a copy under `temp_dir` (empty: TMPDIR or
// /tmp).
absl::StatusOr<operations::Operation> StartImport(
    ImportStore& imports, operations::OperationStore& operation_store,
    absl::Span<const Attribute> schema, const std::string& program_id, const AuditActor& actor,
    const ImportRequest& request, const std::string& temp_dir = "");

// The operation handler of kClientImportKind.
class ClientImportHandler final : public operations::OperationHandler {
 public:
  struct Deps {
    ImportStore& imports;
    IdentityStore& identity;
    AttributeStore& attributes;
    operations::OperationFileStore& files;
    std::function<absl::Time()> clock;
    // Copies of XLSX files, one per running import at most (see
    // ImportTempPath); empty: TMPDIR or /tmp.
    std::string temp_dir;
  };
  explicit ClientImportHandler(Deps deps) : deps_(std::move(deps)) {}

  operations::ItemOutcome Apply(const operations::OperationRun& run,
                                const operations::PendingItem& item) override;

 private:
  absl::Status ValidateBatch(const operations::OperationRun& run, const ImportOptions& options,
                             const ImportBatch& batch);
  absl::Status ApplyFile(const operations::OperationRun& run, const ImportOptions& options);
  absl::Status WriteErrorReport(const operations::OperationRun& run);
  // The copy of an operation's XLSX file (overwritten by each item).
  std::string TempPath(const operations::OperationRun& run) const;

  Deps deps_;
};

// loyalty.identity.v1.ImportService.
class ImportApi final : public v1::ImportService::Service {
 public:
  // `temp_dir`: where StartClientImport copies an XLSX file to read it
  // (empty: TMPDIR or /tmp).
  ImportApi(ImportStore& imports, operations::OperationStore& operations,
            AttributeStore& attributes, std::string temp_dir = "")
      : imports_(imports),
        operations_(operations),
        attributes_(attributes),
        temp_dir_(std::move(temp_dir)) {}

  grpc::Status CreateImportFile(grpc::ServerContext* context,
                                const v1::CreateImportFileRequest* request,
                                v1::ImportFile* response) override;
  grpc::Status AppendImportFileChunk(grpc::ServerContext* context,
                                     const v1::AppendImportFileChunkRequest* request,
                                     v1::ImportFile* response) override;
  grpc::Status StartClientImport(grpc::ServerContext* context,
                                 const v1::StartClientImportRequest* request,
                                 operations::v1::Operation* response) override;
  grpc::Status GetClientImport(grpc::ServerContext* context,
                               const v1::GetClientImportRequest* request,
                               v1::ClientImport* response) override;

 private:
  ImportStore& imports_;
  operations::OperationStore& operations_;
  AttributeStore& attributes_;
  const std::string temp_dir_;
};

}  // namespace loyalty::identity
