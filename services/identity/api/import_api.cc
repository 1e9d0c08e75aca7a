#include "services/identity/api/import_api.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/csv/csv.h"
#include "libs/csv/reader.h"
#include "libs/operations/operations_api.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/identity/api/audit_actor.h"
#include "services/identity/api/import_xlsx.h"

namespace loyalty::identity {
namespace {

constexpr size_t kMaxFileNameBytes = 255;
constexpr int kErrorReportPage = 1000;

// Incremental SHA-256, hex at the end.
class Sha256 final {
 public:
  Sha256() : context_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(context_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(context_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Add(absl::string_view data) { EVP_DigestUpdate(context_, data.data(), data.size()); }
  std::string HexDigest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(context_, digest, &length);
    return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
  }

 private:
  EVP_MD_CTX* context_;
};

absl::Status BadFile(absl::string_view why) { return InvalidField("file_id", why); }

// The first bytes of an XLSX workbook (a zip archive), and of an OLE
// compound file, which is what Office makes of a password-protected one.
constexpr absl::string_view kZipMagic("PK\x03\x04", 4);
constexpr absl::string_view kCompoundFileMagic("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);

// The format a file is read as: the content decides; the name only for a
// file whose content says nothing (an .xlsx that is not a zip is read as
// XLSX, so that the refusal says what is wrong with it).
absl::StatusOr<ImportFormat> DecideFormat(ImportStore& store, const ImportFileInfo& file,
                                          std::optional<ImportFormat> asked) {
  std::string head;  // chunks may be a few bytes each
  while (head.size() < kCompoundFileMagic.size() && static_cast<int64_t>(head.size()) < file.size) {
    ASSIGN_OR_RETURN(std::string piece,
                     store.ReadPiece(file.file_id, static_cast<int64_t>(head.size())));
    if (piece.empty()) break;
    head += piece;
  }
  const bool zip = absl::StartsWith(head, kZipMagic);
  const bool compound = absl::StartsWith(head, kCompoundFileMagic);
  if (asked == ImportFormat::kCsv) {
    if (zip) {
      return InvalidField("format", "the file is a zip archive (an XLSX workbook?), not CSV");
    }
    return ImportFormat::kCsv;
  }
  if (asked == ImportFormat::kXlsx) {
    if (!zip && !compound) {
      return InvalidField("format", "the file is not an XLSX workbook: it is not a zip archive");
    }
    return ImportFormat::kXlsx;
  }
  if (zip || compound || absl::EndsWithIgnoreCase(file.file_name, ".xlsx")) {
    return ImportFormat::kXlsx;
  }
  return ImportFormat::kCsv;
}

void ToProto(const ImportFileInfo& file, v1::ImportFile& out) {
  out.set_file_id(file.file_id);
  out.set_file_name(file.file_name);
  out.set_size_bytes(file.size);
  rpc::SetTimestamp(file.create_time, out.mutable_create_time());
}

absl::Status CheckRequestId(const std::string& request_id) {
  if (request_id.empty()) return InvalidField("request_id", "required");
  if (request_id.size() > operations::kMaxRequestIdLength) {
    return InvalidField("request_id",
                        absl::StrCat("at most ", operations::kMaxRequestIdLength, " characters"));
  }
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------- file rows

struct StoredFileRows::State {
  State(char delimiter, int64_t offset, int64_t line) : reader(delimiter, offset, line) {}
  csv::Reader reader;
  int64_t read_to = 0;  // file offset fed so far
  bool finished = false;
};

StoredFileRows::StoredFileRows(ImportStore& store, std::string file_id, char delimiter,
                               int64_t offset, int64_t line, std::optional<int64_t> limit)
    : store_(store),
      file_id_(std::move(file_id)),
      state_(std::make_unique<State>(delimiter, offset, line)),
      remaining_(limit) {
  state_->read_to = offset;
}

StoredFileRows::~StoredFileRows() = default;

int64_t StoredFileRows::line() const { return state_->reader.line(); }

absl::StatusOr<std::optional<ImportRow>> StoredFileRows::Next() {
  if (remaining_ && *remaining_ <= 0) return std::nullopt;
  while (true) {
    ASSIGN_OR_RETURN(std::optional<csv::Record> record, state_->reader.Next());
    if (record) {
      if (remaining_) --*remaining_;
      return ImportRow{.line = record->line, .cells = std::move(record->cells)};
    }
    if (state_->finished) return std::nullopt;
    ASSIGN_OR_RETURN(std::string piece, store_.ReadPiece(file_id_, state_->read_to));
    if (piece.empty()) {
      state_->finished = true;
      state_->reader.Finish();
    } else {
      state_->read_to += static_cast<int64_t>(piece.size());
      state_->reader.Feed(piece);
    }
  }
}

absl::StatusOr<ImportFileScan> ScanImportFile(ImportStore& store, const ImportFileInfo& file,
                                              std::optional<char> delimiter, int64_t batch_rows) {
  ImportFileScan scan;
  Sha256 digest;
  int64_t offset = 0;
  std::optional<csv::Reader> reader;
  std::string head;  // the file's start, until the header row is whole
  bool finished = false;
  while (true) {
    if (reader) {
      absl::StatusOr<std::optional<csv::Record>> record = reader->Next();
      if (!record.ok()) return BadFile(record.status().message());
      if (record->has_value()) {
        csv::Record& row = **record;
        if (scan.header.empty()) {
          scan.header = std::move(row.cells);
          scan.data_offset = reader->offset();
          scan.data_line = reader->line();
          continue;
        }
        if (scan.total_rows % batch_rows == 0) {
          scan.batches.push_back({.first_line = row.line, .offset = row.offset, .rows = 0});
        }
        ++scan.batches.back().rows;
        ++scan.total_rows;
        continue;
      }
      if (finished) break;
    }
    ASSIGN_OR_RETURN(std::string piece, store.ReadPiece(file.file_id, offset));
    if (!reader) {
      // The separator is decided by the header row: gather pieces until it
      // is whole (a piece may be a few bytes).
      head += piece;
      if (!piece.empty() && head.find('\n') == std::string::npos &&
          head.size() <= csv::kMaxRecordBytes) {
        offset += static_cast<int64_t>(piece.size());
        digest.Add(piece);
        continue;
      }
      absl::string_view header_text = head;
      absl::ConsumePrefix(&header_text, csv::kUtf8Bom);
      scan.delimiter = delimiter.value_or(csv::DetectDelimiter(header_text));
      reader.emplace(scan.delimiter);
      reader->Feed(head.substr(0, head.size() - piece.size()));
      head.clear();
    }
    if (piece.empty()) {
      finished = true;
      reader->Finish();
      continue;
    }
    offset += static_cast<int64_t>(piece.size());
    digest.Add(piece);
    reader->Feed(piece);
  }
  if (offset != file.size) return absl::AbortedError("the file changed while it was read");
  if (scan.header.empty()) return BadFile("the file has no header row");
  scan.sha256 = digest.HexDigest();
  return scan;
}

absl::StatusOr<ImportFileScan> ScanXlsxImportFile(ImportStore& store, const ImportFileInfo& file,
                                                  const std::string& temp_path,
                                                  int64_t batch_rows) {
  // The reader's refusals are about the file: name it.
  auto about_file = [](const absl::Status& status) {
    return status.code() == absl::StatusCode::kInvalidArgument ? BadFile(status.message()) : status;
  };
  ImportFileScan scan;
  Sha256 digest;
  absl::StatusOr<std::unique_ptr<XlsxFileRows>> rows =
      XlsxFileRows::Open(store, file.file_id, temp_path, /*first_line=*/1, std::nullopt,
                         [&digest](absl::string_view piece) { digest.Add(piece); });
  if (!rows.ok()) return about_file(rows.status());
  if ((*rows)->size() != file.size) return absl::AbortedError("the file changed while it was read");
  bool have_header = false;
  while (true) {
    absl::StatusOr<std::optional<ImportRow>> row = (*rows)->Next();
    if (!row.ok()) return about_file(row.status());
    if (!row->has_value()) break;
    if (!have_header) {
      have_header = true;
      scan.header = std::move((*row)->cells);
      scan.data_line = (*row)->line + 1;
      continue;
    }
    if (scan.total_rows % batch_rows == 0) {
      scan.batches.push_back({.first_line = (*row)->line, .offset = 0, .rows = 0});
    }
    ++scan.batches.back().rows;
    ++scan.total_rows;
  }
  if (!have_header) return BadFile("the sheet has no header row: its first worksheet is empty");
  scan.sha256 = digest.HexDigest();
  return scan;
}

absl::StatusOr<operations::Operation> StartImport(
    ImportStore& imports, operations::OperationStore& operation_store,
    absl::Span<const Attribute> schema, const std::string& program_id, const AuditActor& actor,
    const ImportRequest& request, const std::string& temp_dir) {
  RETURN_IF_ERROR(CheckRequestId(request.request_id));
  ImportOptions options{
      .dedupe_keys = request.dedupe_keys, .mode = request.mode, .on_new = request.on_new};
  if (request.file_id.empty()) return InvalidField("file_id", "required");
  ASSIGN_OR_RETURN(ImportFileInfo file, imports.GetFile(program_id, request.file_id));
  if (file.size == 0) return BadFile("the file is empty: upload its content first");
  RETURN_IF_ERROR(imports.SealFile(file.file_id));
  ASSIGN_OR_RETURN(file, imports.GetFile(program_id, request.file_id));
  ASSIGN_OR_RETURN(options.format, DecideFormat(imports, file, request.format));
  ImportFileScan scan;
  if (options.format == ImportFormat::kXlsx) {
    // Named by file and request: concurrent starts of one file do not
    // write over each other's copy, and a retry overwrites its own.
    Sha256 request_digest;
    request_digest.Add(request.request_id);
    const std::string name =
        absl::StrCat("start-", file.file_id, "-", request_digest.HexDigest().substr(0, 16));
    ASSIGN_OR_RETURN(scan, ScanXlsxImportFile(imports, file, ImportTempPath(temp_dir, name)));
  } else {
    ASSIGN_OR_RETURN(scan, ScanImportFile(imports, file, request.delimiter));
    options.delimiter = scan.delimiter;
  }
  ASSIGN_OR_RETURN(options.columns,
                   ResolveColumns(scan.header, request.columns, options.dedupe_keys, schema));
  options.data_offset = scan.data_offset;
  options.data_line = scan.data_line;

  // The same content imported the same way: the options without the
  // file id, which a second upload of the same bytes changes.
  ImportOptions how = options;
  how.file_id.clear();
  Sha256 key;
  key.Add(scan.sha256);
  key.Add("\n");
  key.Add(EncodeImportOptions(how));
  const std::string content_key = key.HexDigest();
  ASSIGN_OR_RETURN(std::optional<std::string> earlier,
                   imports.FindImportByContent(program_id, content_key));
  if (earlier) {
    ASSIGN_OR_RETURN(operations::Operation first, operation_store.Get(program_id, *earlier));
    return first;
  }

  options.file_id = file.file_id;
  options.started_by = actor;
  operations::NewOperation operation{.request_id = request.request_id,
                                     .kind = kClientImportKind,
                                     .params = EncodeImportOptions(options),
                                     .created_by = actor.principal_id};
  for (const ImportBatch& batch : scan.batches) {
    operation.item_keys.push_back(BatchItemKey(batch));
  }
  operation.item_keys.emplace_back(kApplyItemKey);
  RETURN_IF_ERROR(operations::ValidateNewOperation(operation, "items"));
  ASSIGN_OR_RETURN(operations::Operation started, operation_store.Create(program_id, operation));
  RETURN_IF_ERROR(
      imports.RecordImport(program_id, ClientImportInfo{.operation_id = started.id,
                                                        .file_id = file.file_id,
                                                        .file_sha256 = scan.sha256,
                                                        .content_key = content_key,
                                                        .total_rows = scan.total_rows}));
  return started;
}

// ---------------------------------------------------------------- handler

operations::ItemOutcome ClientImportHandler::Apply(const operations::OperationRun& run,
                                                   const operations::PendingItem& item) {
  absl::StatusOr<ImportOptions> options = DecodeImportOptions(run.params);
  if (!options.ok()) {
    return {operations::ItemOutcome::Action::kFailOperation, options.status()};
  }
  absl::Status status;
  if (std::optional<ImportBatch> batch = ParseBatchItemKey(item.key)) {
    status = ValidateBatch(run, *options, *batch);
  } else if (item.key == kApplyItemKey) {
    status = ApplyFile(run, *options);
  } else {
    status = absl::InternalError(absl::StrCat("not an item of a client import: ", item.key));
  }
  if (status.ok() || pg::IsTransient(status)) return operations::OutcomeOf(status);
  // Whatever else stops an item (a file that cannot be read, a program
  // gone) stops the import before anything is applied.
  return {operations::ItemOutcome::Action::kFailOperation, status};
}

absl::Status ClientImportHandler::ValidateBatch(const operations::OperationRun& run,
                                                const ImportOptions& options,
                                                const ImportBatch& batch) {
  ASSIGN_OR_RETURN(Program program, deps_.identity.GetProgram(run.program_id));
  const absl::CivilDay today = absl::ToCivilDay(deps_.clock(), absl::UTCTimeZone());
  ASSIGN_OR_RETURN(std::vector<Attribute> schema, deps_.attributes.ListAll(run.program_id));
  std::unique_ptr<ImportRowSource> rows;
  std::function<int64_t()> next_line;  // the line after the batch's last row
  if (options.format == ImportFormat::kXlsx) {
    ASSIGN_OR_RETURN(std::unique_ptr<XlsxFileRows> sheet,
                     XlsxFileRows::Open(deps_.imports, options.file_id, TempPath(run),
                                        batch.first_line, batch.rows));
    next_line = [&reader = *sheet] { return reader.line(); };
    rows = std::move(sheet);
  } else {
    auto text = std::make_unique<StoredFileRows>(deps_.imports, options.file_id, options.delimiter,
                                                 batch.offset, batch.first_line, batch.rows);
    next_line = [&reader = *text] { return reader.line(); };
    rows = std::move(text);
  }
  std::vector<ImportRowError> errors;
  while (true) {
    ASSIGN_OR_RETURN(std::optional<ImportRow> row, rows->Next());
    if (!row) break;
    absl::StatusOr<ImportedRow> imported =
        ParseImportRow(options.columns, row->cells, program.default_country_code, today, schema);
    if (!imported.ok()) {
      errors.push_back(RowErrorOf(options.columns, row->line, imported.status()));
    }
  }
  // Lines up to the next batch's first: a batch run again replaces its own.
  return deps_.imports.ReplaceErrors(run.operation_id, batch.first_line, next_line() - 1, errors);
}

std::string ClientImportHandler::TempPath(const operations::OperationRun& run) const {
  return ImportTempPath(deps_.temp_dir, absl::StrCat("operation-", run.operation_id));
}

absl::Status ClientImportHandler::ApplyFile(const operations::OperationRun& run,
                                            const ImportOptions& options) {
  ASSIGN_OR_RETURN(Program program, deps_.identity.GetProgram(run.program_id));
  const absl::CivilDay today = absl::ToCivilDay(deps_.clock(), absl::UTCTimeZone());
  RETURN_IF_ERROR(
      deps_.imports
          .Apply(run.program_id, run.operation_id, options, program.default_country_code, today,
                 [&]() -> absl::StatusOr<std::unique_ptr<ImportRowSource>> {
                   if (options.format == ImportFormat::kXlsx) {
                     return XlsxFileRows::Open(deps_.imports, options.file_id, TempPath(run),
                                               options.data_line);
                   }
                   return std::make_unique<StoredFileRows>(deps_.imports, options.file_id,
                                                           options.delimiter, options.data_offset,
                                                           options.data_line);
                 })
          .status());
  return WriteErrorReport(run);
}

absl::Status ClientImportHandler::WriteErrorReport(const operations::OperationRun& run) {
  ASSIGN_OR_RETURN(std::unique_ptr<operations::FileWriter> writer,
                   deps_.files.Begin(run.program_id, run.operation_id, "import-errors.csv",
                                     "text/csv; charset=utf-8"));
  std::string header = std::string(csv::kUtf8Bom);
  header += csv::Row().Text("line").Text("column").Text("field").Text("message").Finish();
  RETURN_IF_ERROR(writer->Append(header));
  int64_t after = 0;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<ImportRowError> errors,
                     deps_.imports.ListErrors(run.operation_id, after, kErrorReportPage));
    if (errors.empty()) break;
    std::string page;
    for (const ImportRowError& error : errors) {
      page += csv::Row()
                  .Integer(error.line)
                  .Text(error.column)
                  .Text(error.field)
                  .Text(error.message)
                  .Finish();
    }
    after = errors.back().line;
    if (absl::Status status = writer->Append(page); !status.ok()) {
      (void)writer->Discard();
      return status;
    }
  }
  return writer->Finish().status();
}

// ---------------------------------------------------------------- API

grpc::Status ImportApi::CreateImportFile(grpc::ServerContext* context,
                                         const v1::CreateImportFileRequest* request,
                                         v1::ImportFile* response) {
  return rpc::HandleProgramCall(
      context, "CreateImportFile", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(CheckRequestId(request->request_id()));
        if (request->file_name().size() > kMaxFileNameBytes) {
          return InvalidField("file_name", absl::StrCat("at most ", kMaxFileNameBytes, " bytes"));
        }
        ASSIGN_OR_RETURN(
            ImportFileInfo file,
            imports_.CreateFile(call.program_id, request->request_id(), request->file_name()));
        ToProto(file, *response);
        return absl::OkStatus();
      });
}

grpc::Status ImportApi::AppendImportFileChunk(grpc::ServerContext* context,
                                              const v1::AppendImportFileChunkRequest* request,
                                              v1::ImportFile* response) {
  return rpc::HandleProgramCall(
      context, "AppendImportFileChunk", [&](const rpc::CallContext& call) -> absl::Status {
        if (request->data().empty() || request->data().size() > kMaxImportChunkBytes) {
          return InvalidField("data", absl::StrCat("1 to ", kMaxImportChunkBytes, " bytes"));
        }
        if (request->offset() < 0) return InvalidField("offset", "must not be negative");
        ASSIGN_OR_RETURN(ImportFileInfo file,
                         imports_.AppendChunk(call.program_id, request->file_id(),
                                              request->offset(), request->data()));
        ToProto(file, *response);
        return absl::OkStatus();
      });
}

grpc::Status ImportApi::StartClientImport(grpc::ServerContext* context,
                                          const v1::StartClientImportRequest* request,
                                          operations::v1::Operation* response) {
  return rpc::HandleProgramCall(
      context, "StartClientImport", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(CheckRequestId(request->request_id()));
        std::optional<ImportFormat> format;
        switch (request->format()) {
          case v1::IMPORT_FORMAT_UNSPECIFIED:
            break;
          case v1::IMPORT_FORMAT_CSV:
            format = ImportFormat::kCsv;
            break;
          case v1::IMPORT_FORMAT_XLSX:
            format = ImportFormat::kXlsx;
            break;
          default:
            return InvalidField("format", "CSV or XLSX (or not given, to detect it)");
        }
        std::optional<char> delimiter;
        if (request->delimiter() == "," || request->delimiter() == ";") {
          delimiter = request->delimiter()[0];
        } else if (!request->delimiter().empty()) {
          return InvalidField("delimiter", "',' or ';' (or empty to detect it)");
        }
        ImportRequest checked{.request_id = request->request_id(),
                              .file_id = request->file_id(),
                              .format = format,
                              .delimiter = delimiter};
        checked.dedupe_keys.assign(request->dedupe_keys().begin(), request->dedupe_keys().end());
        switch (request->on_new_client()) {
          case v1::NEW_CLIENT_MODE_UNSPECIFIED:
          case v1::NEW_CLIENT_MODE_CREATE:
            break;
          case v1::NEW_CLIENT_MODE_SKIP:
            if (checked.dedupe_keys.empty()) {
              return InvalidField("on_new_client", "SKIP needs dedupe_keys to find clients by");
            }
            checked.on_new = NewClientMode::kSkip;
            break;
          default:
            return InvalidField("on_new_client", "CREATE or SKIP");
        }
        switch (request->on_duplicate()) {
          case v1::DUPLICATE_MODE_UPDATE:
            checked.mode = DuplicateMode::kUpdate;
            break;
          case v1::DUPLICATE_MODE_SKIP:
            checked.mode = DuplicateMode::kSkip;
            break;
          default:
            if (!checked.dedupe_keys.empty()) {
              return InvalidField("on_duplicate", "UPDATE or SKIP (required with dedupe_keys)");
            }
        }
        for (const v1::ImportColumn& column : request->columns()) {
          checked.columns.push_back({.column = column.column(), .field = column.field()});
        }
        ASSIGN_OR_RETURN(std::vector<Attribute> schema, attributes_.ListAll(call.program_id));
        ASSIGN_OR_RETURN(operations::Operation started,
                         StartImport(imports_, operations_, schema, call.program_id,
                                     AuditActorOf(call), checked, temp_dir_));
        operations::ToProto(started, *response);
        return absl::OkStatus();
      });
}

grpc::Status ImportApi::GetClientImport(grpc::ServerContext* context,
                                        const v1::GetClientImportRequest* request,
                                        v1::ClientImport* response) {
  return rpc::HandleProgramCall(
      context, "GetClientImport", [&](const rpc::CallContext& call) -> absl::Status {
        if (request->operation_id().empty()) return InvalidField("operation_id", "required");
        ASSIGN_OR_RETURN(ClientImportInfo info,
                         imports_.GetImport(call.program_id, request->operation_id()));
        response->set_operation_id(info.operation_id);
        response->set_file_id(info.file_id);
        response->set_file_sha256(info.file_sha256);
        response->set_total_rows(info.total_rows);
        response->set_applied(info.applied);
        response->set_created(info.counts.created);
        response->set_updated(info.counts.updated);
        response->set_skipped(info.counts.skipped);
        response->set_failed(info.counts.failed);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::identity
