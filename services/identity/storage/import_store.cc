#include "services/identity/storage/import_store.h"

#include <algorithm>
#include <utility>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/pg/array_literal.h"
#include "services/identity/storage/attribute_store.h"
#include "services/identity/storage/import_apply.h"

namespace loyalty::identity {
namespace {

constexpr char kFileColumns[] =
    "file_id::text, file_name, size_bytes, sealed,"
    " (extract(epoch FROM created_at) * 1000000)::bigint";

ImportFileInfo FileFromRow(const pqxx::row& row) {
  return ImportFileInfo{.file_id = row[0].as<std::string>(),
                        .file_name = row[1].as<std::string>(),
                        .size = row[2].as<int64_t>(),
                        .sealed = row[3].as<bool>(),
                        .create_time = absl::FromUnixMicros(row[4].as<int64_t>())};
}

absl::Status NoSuchFile() {
  return FieldError(absl::StatusCode::kNotFound, "file_id", "no such file");
}

}  // namespace

absl::StatusOr<ImportFileInfo> ImportStore::CreateFile(const std::string& program_id,
                                                       const std::string& request_id,
                                                       const std::string& file_name) {
  ImportFileInfo file;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kFileColumns,
                     " FROM client_import_files WHERE program_id = $1 AND request_id = $2"),
        program_id, request_id);
    if (rows.empty()) {
      rows = tx.exec_params(
          absl::StrCat("INSERT INTO client_import_files (file_id, program_id, request_id,"
                       " file_name) VALUES ($1, $2, $3, $4) RETURNING ",
                       kFileColumns),
          NewUuid(), program_id, request_id, file_name);
    }
    file = FileFromRow(rows[0]);
    return absl::OkStatus();
  }));
  return file;
}

absl::StatusOr<ImportFileInfo> ImportStore::GetFile(const std::string& program_id,
                                                    const std::string& file_id) {
  if (!IsUuid(file_id)) return NoSuchFile();
  std::optional<ImportFileInfo> file;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kFileColumns,
                     " FROM client_import_files WHERE program_id = $1 AND file_id = $2"),
        program_id, file_id);
    if (!rows.empty()) file = FileFromRow(rows[0]);
    return absl::OkStatus();
  }));
  if (!file) return NoSuchFile();
  return *file;
}

absl::StatusOr<ImportFileInfo> ImportStore::AppendChunk(const std::string& program_id,
                                                        const std::string& file_id, int64_t offset,
                                                        absl::string_view data) {
  if (!IsUuid(file_id)) return NoSuchFile();
  ImportFileInfo file;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kFileColumns,
                     " FROM client_import_files WHERE program_id = $1 AND file_id = $2"
                     " FOR UPDATE"),
        program_id, file_id);
    if (rows.empty()) return NoSuchFile();
    file = FileFromRow(rows[0]);
    const int64_t end = offset + static_cast<int64_t>(data.size());
    if (offset < file.size && end <= file.size) return absl::OkStatus();  // a retry
    if (file.sealed) {
      return absl::FailedPreconditionError("an import started from this file: it is complete");
    }
    if (offset != file.size) {
      return InvalidField("offset", absl::StrCat("the file has ", file.size,
                                                 " bytes: the next chunk starts there"));
    }
    if (end > kMaxImportFileBytes) {
      return InvalidField("data",
                          absl::StrCat("a file is at most ", kMaxImportFileBytes, " bytes"));
    }
    tx.exec_params(
        "INSERT INTO client_import_file_chunks (file_id, start_offset, data) VALUES ($1, $2, $3)",
        file_id, offset, pqxx::binarystring(data.data(), data.size()));
    tx.exec_params("UPDATE client_import_files SET size_bytes = $2 WHERE file_id = $1", file_id,
                   end);
    file.size = end;
    return absl::OkStatus();
  }));
  return file;
}

absl::StatusOr<std::string> ImportStore::ReadPiece(const std::string& file_id, int64_t offset) {
  std::string piece;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(
        "SELECT start_offset, data FROM client_import_file_chunks"
        " WHERE file_id = $1 AND start_offset <= $2 ORDER BY start_offset DESC LIMIT 1",
        file_id, offset);
    if (rows.empty()) return absl::OkStatus();
    const int64_t start = rows[0][0].as<int64_t>();
    pqxx::binarystring data(rows[0][1]);
    if (offset - start < static_cast<int64_t>(data.size())) {
      piece = data.str().substr(offset - start);
    }
    return absl::OkStatus();
  }));
  return piece;
}

absl::Status ImportStore::SealFile(const std::string& file_id) {
  return pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    // Waits for a chunk being appended (AppendChunk locks the row).
    tx.exec_params("UPDATE client_import_files SET sealed = true WHERE file_id = $1", file_id);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<std::string>> ImportStore::FindImportByContent(
    const std::string& program_id, const std::string& content_key) {
  std::optional<std::string> found;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    // A failed or cancelled import applied nothing: the file may be tried
    // again.
    pqxx::result rows = tx.exec_params(
        "SELECT i.operation_id FROM client_imports i JOIN operations o"
        " ON o.program_id = i.program_id::text AND o.operation_id = i.operation_id"
        " WHERE i.program_id = $1 AND i.content_key = $2"
        " AND (i.applied_at IS NOT NULL OR o.state NOT IN ('FAILED', 'CANCELLED'))"
        " ORDER BY o.created_at LIMIT 1",
        program_id, content_key);
    if (!rows.empty()) found = rows[0][0].as<std::string>();
    return absl::OkStatus();
  }));
  return found;
}

absl::Status ImportStore::RecordImport(const std::string& program_id,
                                       const ClientImportInfo& info) {
  return pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    tx.exec_params(
        "INSERT INTO client_imports (operation_id, program_id, file_id, file_sha256,"
        " content_key, total_rows) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (operation_id) DO NOTHING",
        info.operation_id, program_id, info.file_id, info.file_sha256, info.content_key,
        info.total_rows);
    return absl::OkStatus();
  });
}

absl::StatusOr<ClientImportInfo> ImportStore::GetImport(const std::string& program_id,
                                                        const std::string& operation_id) {
  std::optional<ClientImportInfo> info;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(
        "SELECT operation_id, file_id::text, file_sha256, content_key, total_rows,"
        " applied_at IS NOT NULL, created, updated, skipped, failed FROM client_imports"
        " WHERE program_id::text = $1 AND operation_id = $2",
        program_id, operation_id);
    if (rows.empty()) return absl::OkStatus();
    const pqxx::row& row = rows[0];
    info = ClientImportInfo{.operation_id = row[0].as<std::string>(),
                            .file_id = row[1].as<std::string>(),
                            .file_sha256 = row[2].as<std::string>(),
                            .content_key = row[3].as<std::string>(),
                            .total_rows = row[4].as<int64_t>(),
                            .applied = row[5].as<bool>(),
                            .counts = {.created = row[6].as<int64_t>(),
                                       .updated = row[7].as<int64_t>(),
                                       .skipped = row[8].as<int64_t>(),
                                       .failed = row[9].as<int64_t>()}};
    return absl::OkStatus();
  }));
  if (!info) {
    return FieldError(absl::StatusCode::kNotFound, "operation_id", "no such client import");
  }
  return *info;
}

absl::Status ImportStore::ReplaceErrors(const std::string& operation_id, int64_t first_line,
                                        int64_t last_line,
                                        const std::vector<ImportRowError>& errors) {
  return pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    tx.exec_params(
        "DELETE FROM client_import_errors WHERE operation_id = $1 AND line BETWEEN $2 AND $3",
        operation_id, first_line, last_line);
    InsertImportErrors(tx, operation_id, errors);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ImportRowError>> ImportStore::ListErrors(const std::string& operation_id,
                                                                    int64_t after_line, int limit) {
  std::vector<ImportRowError> errors;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    for (const pqxx::row& row :
         tx.exec_params("SELECT line, column_name, field, message FROM client_import_errors"
                        " WHERE operation_id = $1 AND line > $2 ORDER BY line LIMIT $3",
                        operation_id, after_line, limit)) {
      errors.push_back({.line = row[0].as<int64_t>(),
                        .column = row[1].as<std::string>(),
                        .field = row[2].as<std::string>(),
                        .message = row[3].as<std::string>()});
    }
    return absl::OkStatus();
  }));
  return errors;
}

absl::StatusOr<ImportCounts> ImportStore::Apply(
    const std::string& program_id, const std::string& operation_id, const ImportOptions& options,
    const std::string& default_country_code, absl::CivilDay today,
    absl::FunctionRef<absl::StatusOr<std::unique_ptr<ImportRowSource>>()> open_rows) {
  ImportCounts counts;
  // A client registered concurrently with a key a row creates: the rerun
  // finds it (as a duplicate or a taken key).
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    counts = {};
    // Locks the import: of two runs (a retried chunk racing a slow one),
    // the second waits and then finds the first one's counts.
    pqxx::result imported = tx.exec_params(
        "SELECT applied_at IS NOT NULL, created, updated, skipped, failed FROM client_imports"
        " WHERE operation_id = $1 FOR UPDATE",
        operation_id);
    // The operation may be claimed before StartImport recorded the import.
    if (imported.empty()) return absl::UnavailableError("the import is not recorded yet");
    if (imported[0][0].as<bool>()) {
      counts = {imported[0][1].as<int64_t>(), imported[0][2].as<int64_t>(),
                imported[0][3].as<int64_t>(), imported[0][4].as<int64_t>()};
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(std::unique_ptr<ImportRowSource> rows, open_rows());
    // Loaded once, under a share lock that holds definitions still until
    // the rows are applied.
    const std::vector<Attribute> schema = LoadAttributeSchema(tx, program_id);
    ImportApplier applier(tx, program_id, operation_id, options, default_country_code, today,
                          schema, counts);
    while (true) {
      ASSIGN_OR_RETURN(std::optional<ImportRow> row, rows->Next());
      if (!row) break;
      RETURN_IF_ERROR(applier.Add(*std::move(row)));
    }
    RETURN_IF_ERROR(applier.Finish());
    tx.exec_params(
        "UPDATE client_imports SET applied_at = now(), created = $2, updated = $3, skipped = $4,"
        " failed = $5 WHERE operation_id = $1",
        operation_id, counts.created, counts.updated, counts.skipped, counts.failed);
    return absl::OkStatus();
  }));
  return counts;
}

}  // namespace loyalty::identity
