// loyalty_import_bench: writes a CSV of N clients, uploads it to identity
// over gRPC in 2 MiB chunks, imports it (ImportService) and waits for the
// operation, printing the times; with --xlsx, the same rows as an XLSX
// workbook into a second program. `tools/loyalty bench import` starts a
// throwaway platform for it, reads identity's peak RSS and runs COPY of the
// same file into a bare table of the same PostgreSQL for comparison.

#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "libs/rpc/call_context.h"
#include "libs/rpc/channel.h"
#include "libs/rpc/status.h"
#include "libs/xlsx/xlsx.h"
#include "loyalty/identity/v1/access_service.grpc.pb.h"
#include "loyalty/identity/v1/import_service.grpc.pb.h"
#include "loyalty/operations/v1/operations.grpc.pb.h"

ABSL_FLAG(std::string, identity, "127.0.0.1:7101", "identity's gRPC address");
ABSL_FLAG(int, rows, 1000000, "clients in the file");
ABSL_FLAG(std::string, csv, "", "where to write the file (required; COPY reads it too)");
ABSL_FLAG(std::string, xlsx, "",
          "where to write the same rows as an XLSX workbook, imported into another program"
          " after the CSV (none: CSV only)");

namespace loyalty::bench {
namespace {

namespace identity_v1 = ::loyalty::identity::v1;
namespace ops_v1 = ::loyalty::operations::v1;

constexpr size_t kChunkBytes = size_t{2} << 20;
constexpr char kHeader[] = "phone,email,last_name,first_name,city,external_id\n";

void Prepare(grpc::ClientContext& context, const std::string& program_id) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(5)));
  rpc::WriteCallContext({.program_id = program_id, .role = "ROLE_ADMIN"}, context);
}

absl::Status WriteCsv(const std::string& path, int rows) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << kHeader;
  for (int i = 0; i < rows; ++i) {
    out << "+7900" << (1000000 + i) << ",client" << i << "@example.com,Benchmark,Client " << i
        << ",Moscow,ext-" << i << "\n";
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// The same rows as WriteCsv, as an XLSX workbook (libxlsxwriter's
// constant-memory mode, streamed to `path`).
absl::Status WriteXlsx(const std::string& path, int rows) {
  absl::StatusOr<std::unique_ptr<xlsx::SheetWriter>> writer = xlsx::SheetWriter::Create("Clients");
  if (!writer.ok()) return writer.status();
  for (const char* name : {"phone", "email", "last_name", "first_name", "city", "external_id"}) {
    (*writer)->Text(name);
  }
  if (absl::Status status = (*writer)->EndRow(); !status.ok()) return status;
  for (int i = 0; i < rows; ++i) {
    (*writer)
        ->Text(absl::StrCat("+7900", 1000000 + i))
        .Text(absl::StrCat("client", i, "@example.com"))
        .Text("Benchmark")
        .Text(absl::StrCat("Client ", i))
        .Text("Moscow")
        .Text(absl::StrCat("ext-", i));
    if (absl::Status status = (*writer)->EndRow(); !status.ok()) return status;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  absl::Status status = (*writer)->Finish([&](absl::string_view piece) {
    out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    return out ? absl::OkStatus() : absl::InternalError(absl::StrCat("cannot write ", path));
  });
  if (!status.ok()) return status;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

struct Stubs {
  std::unique_ptr<identity_v1::AccessService::Stub> access;
  std::unique_ptr<identity_v1::ImportService::Stub> imports;
  std::unique_ptr<ops_v1::OperationsService::Stub> operations;
};

absl::StatusOr<std::string> CreateProgram(Stubs& stubs, absl::string_view label) {
  identity_v1::CreateProgramRequest request;
  request.mutable_program()->set_name(
      absl::StrCat("Import benchmark (", label, ") ", absl::FormatTime(absl::Now())));
  request.mutable_program()->set_time_zone("UTC");
  request.mutable_program()->set_default_country_code("7");
  identity_v1::Program program;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  absl::Status status =
      rpc::FromGrpcStatus(stubs.access->CreateProgram(&context, request, &program));
  if (!status.ok()) return status;
  return program.program_id();
}

struct ImportRun {
  int64_t bytes = 0;
  absl::Duration upload, start, import;
  identity_v1::ClientImport counts;
  ops_v1::OperationState state = ops_v1::OPERATION_STATE_UNSPECIFIED;
};

// Uploads `path` into a new program, imports it and waits for the end.
absl::StatusOr<ImportRun> ImportFile(Stubs& stubs, const std::string& path,
                                     identity_v1::ImportFormat format) {
  const bool xlsx = format == identity_v1::IMPORT_FORMAT_XLSX;
  absl::StatusOr<std::string> program_id = CreateProgram(stubs, xlsx ? "XLSX" : "CSV");
  if (!program_id.ok()) return program_id.status();
  ImportRun run;

  const absl::Time upload_start = absl::Now();
  identity_v1::CreateImportFileRequest create;
  create.set_request_id("bench-upload");
  create.set_file_name(xlsx ? "bench.xlsx" : "bench.csv");
  identity_v1::ImportFile file;
  grpc::ClientContext create_context;
  Prepare(create_context, *program_id);
  absl::Status status =
      rpc::FromGrpcStatus(stubs.imports->CreateImportFile(&create_context, create, &file));
  if (!status.ok()) return status;
  std::ifstream in(path, std::ios::binary);
  std::string buffer(kChunkBytes, '\0');
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    identity_v1::AppendImportFileChunkRequest append;
    append.set_file_id(file.file_id());
    append.set_offset(run.bytes);
    append.set_data(buffer.data(), static_cast<size_t>(in.gcount()));
    grpc::ClientContext append_context;
    Prepare(append_context, *program_id);
    status =
        rpc::FromGrpcStatus(stubs.imports->AppendImportFileChunk(&append_context, append, &file));
    if (!status.ok()) return status;
    run.bytes += in.gcount();
  }
  run.upload = absl::Now() - upload_start;

  const absl::Time import_start = absl::Now();
  identity_v1::StartClientImportRequest start;
  start.set_request_id("bench-import");
  start.set_file_id(file.file_id());
  start.set_format(format);
  for (const char* field : {"phone", "email", "last_name", "first_name", "city", "external_id"}) {
    identity_v1::ImportColumn* column = start.add_columns();
    column->set_column(field);
    column->set_field(field);
  }
  start.add_dedupe_keys("phone");
  start.set_on_duplicate(identity_v1::DUPLICATE_MODE_UPDATE);
  ops_v1::Operation operation;
  grpc::ClientContext start_context;
  Prepare(start_context, *program_id);
  status =
      rpc::FromGrpcStatus(stubs.imports->StartClientImport(&start_context, start, &operation));
  if (!status.ok()) return status;
  run.start = absl::Now() - import_start;
  while (!operation.done()) {
    absl::SleepFor(absl::Milliseconds(200));
    ops_v1::GetOperationRequest get;
    get.set_id(operation.id());
    grpc::ClientContext get_context;
    Prepare(get_context, *program_id);
    status = rpc::FromGrpcStatus(stubs.operations->GetOperation(&get_context, get, &operation));
    if (!status.ok()) return status;
  }
  run.import = absl::Now() - import_start;
  run.state = operation.state();
  identity_v1::GetClientImportRequest get_import;
  get_import.set_operation_id(operation.id());
  grpc::ClientContext counts_context;
  Prepare(counts_context, *program_id);
  status = rpc::FromGrpcStatus(
      stubs.imports->GetClientImport(&counts_context, get_import, &run.counts));
  if (!status.ok()) return status;
  return run;
}

absl::Status Run() {
  const std::string csv = absl::GetFlag(FLAGS_csv);
  if (csv.empty()) return absl::InvalidArgumentError("--csv is required");
  const int rows = absl::GetFlag(FLAGS_rows);
  if (absl::Status status = WriteCsv(csv, rows); !status.ok()) return status;

  auto channel = rpc::DialService(absl::GetFlag(FLAGS_identity));
  Stubs stubs{.access = identity_v1::AccessService::NewStub(channel),
              .imports = identity_v1::ImportService::NewStub(channel),
              .operations = ops_v1::OperationsService::NewStub(channel)};
  absl::StatusOr<ImportRun> run = ImportFile(stubs, csv, identity_v1::IMPORT_FORMAT_CSV);
  if (!run.ok()) return run.status();
  std::string result = absl::StrFormat(
      "rows=%d bytes=%d upload_s=%.2f start_s=%.2f import_s=%.2f created=%d failed=%d state=%s",
      rows, run->bytes, absl::ToDoubleSeconds(run->upload), absl::ToDoubleSeconds(run->start),
      absl::ToDoubleSeconds(run->import), run->counts.created(), run->counts.failed(),
      ops_v1::OperationState_Name(run->state));

  const std::string xlsx = absl::GetFlag(FLAGS_xlsx);
  if (!xlsx.empty()) {
    const absl::Time write_start = absl::Now();
    if (absl::Status status = WriteXlsx(xlsx, rows); !status.ok()) return status;
    const absl::Duration written = absl::Now() - write_start;
    absl::StatusOr<ImportRun> xlsx_run = ImportFile(stubs, xlsx, identity_v1::IMPORT_FORMAT_XLSX);
    if (!xlsx_run.ok()) return xlsx_run.status();
    absl::StrAppendFormat(
        &result,
        " xlsx_bytes=%d xlsx_write_s=%.2f xlsx_upload_s=%.2f xlsx_start_s=%.2f xlsx_import_s=%.2f"
        " xlsx_created=%d xlsx_failed=%d xlsx_state=%s",
        xlsx_run->bytes, absl::ToDoubleSeconds(written), absl::ToDoubleSeconds(xlsx_run->upload),
        absl::ToDoubleSeconds(xlsx_run->start), absl::ToDoubleSeconds(xlsx_run->import),
        xlsx_run->counts.created(), xlsx_run->counts.failed(),
        ops_v1::OperationState_Name(xlsx_run->state));
  }
  std::cout << "RESULT " << result << std::endl;
  return absl::OkStatus();
}

}  // namespace
}  // namespace loyalty::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Imports a generated CSV (and XLSX) of clients through identity");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = loyalty::bench::Run();
  if (!status.ok()) {
    std::cerr << status << std::endl;
    return 1;
  }
  return 0;
}
