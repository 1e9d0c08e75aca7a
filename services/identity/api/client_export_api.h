#pragma once

// CLI-9 export of clients (proto/loyalty/identity/v1/client_export_service.proto)
// as an operation of libs/operations: the RPC that starts it, and the
// handler the runner calls for its one item, which pages through the
// selection (ClientExportReader) and writes the chosen columns as CSV
// (libs/csv) or XLSX (libs/xlsx) into the operation's result file.
//
// The first row holds the columns' labels. Text is guarded against formula
// injection in both formats. In CSV dates are YYYY-MM-DD and times RFC 3339
// UTC; in XLSX they are date cells.

#include <string>

#include "absl/status/statusor.h"
#include "libs/operations/file_store.h"
#include "libs/operations/operation.h"
#include "libs/operations/operation_store.h"
#include "libs/operations/runner.h"
#include "loyalty/identity/v1/client_export_service.grpc.pb.h"
#include "services/identity/domain/client_export.h"
#include "services/identity/storage/client_export_reader.h"
#include "services/identity/storage/tag_store.h"

namespace loyalty::identity {

// The export a request asks for, checked: INVALID_ARGUMENT naming the
// field (columns[i], client_ids[i], filter..., format).
absl::StatusOr<ClientExport> ClientExportFromProto(const v1::ExportClientsRequest& request);

class ClientExportApi final : public v1::ClientExportService::Service {
 public:
  ClientExportApi(operations::OperationStore& operations, TagStore& tags)
      : operations_(operations), tags_(tags) {}

  grpc::Status ExportClients(grpc::ServerContext* context,
                             const v1::ExportClientsRequest* request,
                             operations::v1::Operation* response) override;

 private:
  operations::OperationStore& operations_;
  TagStore& tags_;
};

class ClientExportHandler final : public operations::OperationHandler {
 public:
  struct Deps {
    ClientExportReader& reader;
    operations::OperationFileStore& files;
    int page_size = 500;
    std::string temp_dir;  // XLSX scratch files; empty: TMPDIR or /tmp
  };
  explicit ClientExportHandler(Deps deps) : deps_(std::move(deps)) {}

  // Writes the whole file, from scratch on every attempt. Trouble with the
  // database retries; a file over the size cap fails the operation asking
  // for a narrower selection.
  operations::ItemOutcome Apply(const operations::OperationRun& run,
                                const operations::PendingItem& item) override;

 private:
  absl::Status Write(const operations::OperationRun& run, const ClientExport& export_request,
                     operations::FileWriter& writer);

  Deps deps_;
};

}  // namespace loyalty::identity
