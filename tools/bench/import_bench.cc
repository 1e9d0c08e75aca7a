// loyalty_import_bench: writes a CSV of N clients, uploads it to identity
// over gRPC in 2 MiB chunks, imports it (ImportService) and waits for the
// operation, printing the times. `tools/loyalty bench import` starts a
// throwaway platform for it, reads identity's peak RSS and runs COPY of the
// same file into a bare table of the same PostgreSQL for comparison.

#include <fstream>
#include <iostream>
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
#include "loyalty/identity/v1/access_service.grpc.pb.h"
#include "loyalty/identity/v1/import_service.grpc.pb.h"
#include "loyalty/operations/v1/operations.grpc.pb.h"

ABSL_FLAG(std::string, identity, "127.0.0.1:7101", "identity's gRPC address");
ABSL_FLAG(int, rows, 1000000, "clients in the file");
ABSL_FLAG(std::string, csv, "", "where to write the file (required; COPY reads it too)");

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

absl::Status Run() {
  const std::string csv = absl::GetFlag(FLAGS_csv);
  if (csv.empty()) return absl::InvalidArgumentError("--csv is required");
  const int rows = absl::GetFlag(FLAGS_rows);
  if (absl::Status status = WriteCsv(csv, rows); !status.ok()) return status;

  auto channel = rpc::DialService(absl::GetFlag(FLAGS_identity));
  auto access = identity_v1::AccessService::NewStub(channel);
  auto imports = identity_v1::ImportService::NewStub(channel);
  auto operations = ops_v1::OperationsService::NewStub(channel);

  identity_v1::CreateProgramRequest program_request;
  program_request.mutable_program()->set_name(
      absl::StrCat("Import benchmark ", absl::FormatTime(absl::Now())));
  program_request.mutable_program()->set_time_zone("UTC");
  program_request.mutable_program()->set_default_country_code("7");
  identity_v1::Program program;
  grpc::ClientContext program_context;
  program_context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  absl::Status status =
      rpc::FromGrpcStatus(access->CreateProgram(&program_context, program_request, &program));
  if (!status.ok()) return status;
  const std::string& program_id = program.program_id();

  const absl::Time upload_start = absl::Now();
  identity_v1::CreateImportFileRequest create;
  create.set_request_id("bench-upload");
  create.set_file_name("bench.csv");
  identity_v1::ImportFile file;
  grpc::ClientContext create_context;
  Prepare(create_context, program_id);
  status = rpc::FromGrpcStatus(imports->CreateImportFile(&create_context, create, &file));
  if (!status.ok()) return status;
  std::ifstream in(csv, std::ios::binary);
  std::string buffer(kChunkBytes, '\0');
  int64_t offset = 0;
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    identity_v1::AppendImportFileChunkRequest append;
    append.set_file_id(file.file_id());
    append.set_offset(offset);
    append.set_data(buffer.data(), static_cast<size_t>(in.gcount()));
    grpc::ClientContext append_context;
    Prepare(append_context, program_id);
    status = rpc::FromGrpcStatus(imports->AppendImportFileChunk(&append_context, append, &file));
    if (!status.ok()) return status;
    offset += in.gcount();
  }
  const absl::Duration upload = absl::Now() - upload_start;

  const absl::Time import_start = absl::Now();
  identity_v1::StartClientImportRequest start;
  start.set_request_id("bench-import");
  start.set_file_id(file.file_id());
  for (const char* field :
       {"phone", "email", "last_name", "first_name", "city", "external_id"}) {
    identity_v1::ImportColumn* column = start.add_columns();
    column->set_column(field);
    column->set_field(field);
  }
  start.add_dedupe_keys("phone");
  start.set_on_duplicate(identity_v1::DUPLICATE_MODE_UPDATE);
  ops_v1::Operation operation;
  grpc::ClientContext start_context;
  Prepare(start_context, program_id);
  status = rpc::FromGrpcStatus(imports->StartClientImport(&start_context, start, &operation));
  if (!status.ok()) return status;
  const absl::Duration started = absl::Now() - import_start;
  while (!operation.done()) {
    absl::SleepFor(absl::Milliseconds(200));
    ops_v1::GetOperationRequest get;
    get.set_id(operation.id());
    grpc::ClientContext get_context;
    Prepare(get_context, program_id);
    status = rpc::FromGrpcStatus(operations->GetOperation(&get_context, get, &operation));
    if (!status.ok()) return status;
  }
  const absl::Duration imported = absl::Now() - import_start;
  identity_v1::GetClientImportRequest get_import;
  get_import.set_operation_id(operation.id());
  identity_v1::ClientImport counts;
  grpc::ClientContext counts_context;
  Prepare(counts_context, program_id);
  status = rpc::FromGrpcStatus(imports->GetClientImport(&counts_context, get_import, &counts));
  if (!status.ok()) return status;
  std::cout << absl::StrFormat(
                   "RESULT rows=%d bytes=%d upload_s=%.2f start_s=%.2f import_s=%.2f "
                   "created=%d failed=%d state=%s",
                   rows, offset, absl::ToDoubleSeconds(upload), absl::ToDoubleSeconds(started),
                   absl::ToDoubleSeconds(imported), counts.created(), counts.failed(),
                   ops_v1::OperationState_Name(operation.state()))
            << std::endl;
  return absl::OkStatus();
}

}  // namespace
}  // namespace loyalty::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Imports a generated CSV of clients through identity");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = loyalty::bench::Run();
  if (!status.ok()) {
    std::cerr << status << std::endl;
    return 1;
  }
  return 0;
}
