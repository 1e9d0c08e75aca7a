#include "libs/operations/file_store.h"

#include <algorithm>
#include <openssl/evp.h>

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/log.h"
#include "libs/common/periodic.h"
#include "libs/operations/metrics.h"

namespace loyalty::operations {
namespace {

constexpr char kTablesSql[] = R"sql(
-- A finished result file of an operation; its content is in
-- operation_file_chunks. Written last, so a file without this row is an
-- attempt still going (or abandoned) and is never served.
CREATE TABLE operation_files (
  program_id text NOT NULL,
  operation_id text NOT NULL,
  file_name text NOT NULL,
  content_type text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
  -- SHA-256 (hex) of the whole content, checked when it is read.
  sha256 text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, operation_id),
  FOREIGN KEY (program_id, operation_id) REFERENCES operations ON DELETE CASCADE
);

-- The content in order of seq (0, 1, ...), each piece at most 1 MiB so
-- that neither writer nor reader holds more than that plus the file.
CREATE TABLE operation_file_chunks (
  program_id text NOT NULL,
  operation_id text NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 0),
  data bytea NOT NULL CHECK (octet_length(data) <= 1048576),
  PRIMARY KEY (program_id, operation_id, seq),
  FOREIGN KEY (program_id, operation_id) REFERENCES operations ON DELETE CASCADE
);
)sql";

// The digest an expired file's row carries instead of its SHA-256, which
// in hex can never read like this. A marker in an existing column rather
// than a new one: every service lists these tables under its own migration
// numbers, and a new column would need a migration in each of them.
constexpr char kExpiredDigest[] = "expired";

absl::Status NoFile() { return FieldError(absl::StatusCode::kNotFound, "id", "no result file"); }

ResultFile ReadFileRow(const pqxx::row& row, absl::Duration retention) {
  ResultFile file{.name = row[0].as<std::string>(),
                  .content_type = row[1].as<std::string>(),
                  .size = row[2].as<int64_t>(),
                  .sha256 = row[3].as<std::string>(),
                  .create_time = absl::FromUnixMicros(row[4].as<int64_t>())};
  file.expire_time = file.create_time + retention;
  file.expired = file.sha256 == kExpiredDigest;
  return file;
}

absl::Status Expired(const ResultFile& file) {
  return FieldError(
      absl::StatusCode::kNotFound, "id",
      absl::StrCat("the result file expired at ",
                   absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *file.expire_time, absl::UTCTimeZone()),
                   " (result files are kept for a limited time): start the export again"));
}

constexpr char kFileColumns[] =
    "file_name, content_type, size_bytes, sha256,"
    " (extract(epoch FROM created_at) * 1000000)::bigint";

std::optional<ResultFile> FindFile(pg::Tx& tx, absl::string_view program_id,
                                   absl::string_view operation_id, absl::Duration retention) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kFileColumns,
                   " FROM operation_files WHERE program_id = $1 AND operation_id = $2"),
      std::string(program_id), std::string(operation_id));
  if (rows.empty()) return std::nullopt;
  return ReadFileRow(rows[0], retention);
}

std::string Hex(const unsigned char* bytes, unsigned int size) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), static_cast<size_t>(size)));
}

}  // namespace

std::vector<pg::Migration> WithOperationFileTables(std::span<const pg::Migration> service,
                                                   const char* name) {
  return pg::WithMigration(service, {name, kTablesSql});
}

struct FileWriter::Digest {
  Digest() : context(EVP_MD_CTX_new()) { EVP_DigestInit_ex(context, EVP_sha256(), nullptr); }
  ~Digest() { EVP_MD_CTX_free(context); }
  EVP_MD_CTX* context;
};

absl::StatusOr<std::unique_ptr<FileWriter>> OperationFileStore::Begin(
    absl::string_view program_id, absl::string_view operation_id, absl::string_view name,
    absl::string_view content_type) {
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    const std::string program(program_id), id(operation_id);
    tx.exec_params("DELETE FROM operation_files WHERE program_id = $1 AND operation_id = $2",
                   program, id);
    tx.exec_params("DELETE FROM operation_file_chunks WHERE program_id = $1 AND operation_id = $2",
                   program, id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return std::unique_ptr<FileWriter>(new FileWriter(*this, std::string(program_id),
                                                    std::string(operation_id), std::string(name),
                                                    std::string(content_type)));
}

absl::StatusOr<std::optional<ResultFile>> OperationFileStore::Find(absl::string_view program_id,
                                                                   absl::string_view operation_id) {
  std::optional<ResultFile> found;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    found = FindFile(tx, program_id, operation_id, limits_.retention);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return found;
}

absl::StatusOr<FileContent> OperationFileStore::Read(absl::string_view program_id,
                                                     absl::string_view operation_id) {
  FileContent out;
  bool found = false;
  // One snapshot for the row and every chunk; chunk by chunk so that only
  // the file itself is held in memory, not also the whole query result.
  absl::Status status = pool_.Transact(
      [&](pg::Tx& tx) -> absl::Status {
        out = FileContent();
        std::optional<ResultFile> file = FindFile(tx, program_id, operation_id, limits_.retention);
        found = file.has_value();
        if (!found) return absl::OkStatus();
        out.file = *std::move(file);
        if (out.file.expired) return absl::OkStatus();
        out.data.reserve(static_cast<size_t>(out.file.size));
        for (int64_t seq = 0;; ++seq) {
          pqxx::result rows = tx.exec_params(
              "SELECT data FROM operation_file_chunks"
              " WHERE program_id = $1 AND operation_id = $2 AND seq = $3",
              std::string(program_id), std::string(operation_id), seq);
          if (rows.empty()) break;
          pqxx::binarystring chunk(rows[0][0]);
          out.data.append(chunk.get(), chunk.size());
          if (static_cast<int64_t>(out.data.size()) > out.file.size) break;
        }
        return absl::OkStatus();
      },
      pg::Isolation::kRepeatableRead);
  if (!status.ok()) return status;
  if (!found) return NoFile();
  if (out.file.expired) return Expired(out.file);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_Digest(out.data.data(), out.data.size(), digest, &digest_size, EVP_sha256(), nullptr);
  if (static_cast<int64_t>(out.data.size()) != out.file.size ||
      Hex(digest, digest_size) != out.file.sha256) {
    return absl::DataLossError(
        absl::StrCat("the stored file of operation ", operation_id, " is damaged"));
  }
  return out;
}

absl::StatusOr<int64_t> OperationFileStore::ExpireFiles(absl::Time now, int batch) {
  const int64_t due_before = absl::ToUnixMicros(now - limits_.retention);
  int64_t expired = 0;
  for (;;) {
    int64_t this_batch = 0;
    // The chunks go with their file in one transaction, so a file is never
    // marked expired with its content left, nor the other way round.
    absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
      pqxx::result rows = tx.exec_params(
          "WITH due AS ("
          "  SELECT program_id, operation_id FROM operation_files"
          "  WHERE sha256 <> $1 AND (extract(epoch FROM created_at) * 1000000)::bigint < $2"
          "  ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED),"
          " gone AS ("
          "  DELETE FROM operation_file_chunks c USING due"
          "  WHERE c.program_id = due.program_id AND c.operation_id = due.operation_id)"
          " UPDATE operation_files f SET sha256 = $1 FROM due"
          " WHERE f.program_id = due.program_id AND f.operation_id = due.operation_id"
          " RETURNING f.operation_id",
          std::string(kExpiredDigest), due_before, batch);
      this_batch = static_cast<int64_t>(rows.size());
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    expired += this_batch;
    if (this_batch < batch) return expired;
  }
}

absl::Status FileRetentionConfig::Validate() const {
  if (retention <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("LOYALTY_OPERATION_FILE_TTL must be positive");
  }
  if (check_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("LOYALTY_OPERATION_FILE_EXPIRY_INTERVAL must be positive");
  }
  return absl::OkStatus();
}

FileRetentionConfig ReadFileRetention(EnvReader& env) {
  FileRetentionConfig config;
  config.retention = env.Duration("LOYALTY_OPERATION_FILE_TTL", config.retention);
  config.check_interval =
      env.Duration("LOYALTY_OPERATION_FILE_EXPIRY_INTERVAL", config.check_interval);
  return config;
}

void RunFileExpiry(OperationFileStore& files, OperationMetrics& metrics, std::stop_token stop,
                   absl::Duration interval) {
  RunPeriodically(stop, interval, [&files, &metrics] {
    absl::StatusOr<int64_t> expired = files.ExpireFiles(absl::Now());
    if (!expired.ok()) {
      log::Warn("result file expiry failed, retried next round",
                {{"error", std::string(expired.status().message())}});
      return;
    }
    metrics.FilesExpired(*expired);
    if (*expired > 0) log::Info("result files expired", {{"files", absl::StrCat(*expired)}});
  });
}

FileWriter::FileWriter(OperationFileStore& store, std::string program_id, std::string operation_id,
                       std::string name, std::string content_type)
    : store_(store),
      program_id_(std::move(program_id)),
      operation_id_(std::move(operation_id)),
      name_(std::move(name)),
      content_type_(std::move(content_type)),
      digest_(std::make_unique<Digest>()) {}

FileWriter::~FileWriter() = default;

absl::Status FileWriter::Append(absl::string_view data) {
  const FileLimits& limits = store_.limits();
  if (size_ + static_cast<int64_t>(data.size()) > limits.max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the file would exceed ", limits.max_bytes, " bytes"));
  }
  EVP_DigestUpdate(digest_->context, data.data(), data.size());
  size_ += static_cast<int64_t>(data.size());
  while (!data.empty()) {
    const size_t room = limits.chunk_bytes - buffer_.size();
    const size_t take = std::min(room, data.size());
    buffer_.append(data.data(), take);
    data.remove_prefix(take);
    if (buffer_.size() == limits.chunk_bytes) {
      if (absl::Status stored = Flush(); !stored.ok()) return stored;
    }
  }
  return absl::OkStatus();
}

absl::Status FileWriter::Flush() {
  if (buffer_.empty()) return absl::OkStatus();
  const pqxx::binarystring data(buffer_.data(), buffer_.size());
  // Keyed by seq: storing a chunk again (a retried transaction) replaces it.
  absl::Status status = store_.pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    tx.exec_params(
        "INSERT INTO operation_file_chunks (program_id, operation_id, seq, data)"
        " VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (program_id, operation_id, seq) DO UPDATE SET data = excluded.data",
        program_id_, operation_id_, next_seq_, data);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  ++next_seq_;
  buffer_.clear();
  return absl::OkStatus();
}

absl::StatusOr<ResultFile> FileWriter::Finish() {
  if (absl::Status stored = Flush(); !stored.ok()) return stored;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_DigestFinal_ex(digest_->context, digest, &digest_size);
  const std::string sha256 = Hex(digest, digest_size);
  ResultFile file;
  absl::Status status = store_.pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(
        absl::StrCat("INSERT INTO operation_files"
                     " (program_id, operation_id, file_name, content_type, size_bytes, sha256)"
                     " VALUES ($1, $2, $3, $4, $5, $6)"
                     " ON CONFLICT (program_id, operation_id) DO UPDATE SET"
                     " file_name = excluded.file_name, content_type = excluded.content_type,"
                     " size_bytes = excluded.size_bytes, sha256 = excluded.sha256,"
                     " created_at = now()"
                     " RETURNING ",
                     kFileColumns),
        program_id_, operation_id_, name_, content_type_, size_, sha256);
    file = ReadFileRow(rows[0], store_.limits_.retention);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return file;
}

absl::Status FileWriter::Discard() {
  buffer_.clear();
  return store_.pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    tx.exec_params("DELETE FROM operation_file_chunks WHERE program_id = $1 AND operation_id = $2",
                   program_id_, operation_id_);
    return absl::OkStatus();
  });
}

}  // namespace loyalty::operations
