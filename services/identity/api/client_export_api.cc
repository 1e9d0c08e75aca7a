#include "services/identity/api/client_export_api.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/operations/operations_api.h"
#include "libs/operations/table_file.h"
#include "libs/pg/pool.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "libs/xlsx/xlsx.h"

namespace loyalty::identity {
namespace {

using operations::ItemOutcome;

ItemOutcome FailOperation(absl::Status status) {
  return {.action = ItemOutcome::Action::kFailOperation, .status = std::move(status)};
}

}  // namespace

absl::StatusOr<ClientExport> ClientExportFromProto(const v1::ExportClientsRequest& request) {
  ClientExport result;
  switch (request.format()) {
    case operations::v1::EXPORT_FORMAT_UNSPECIFIED:
    case operations::v1::EXPORT_FORMAT_CSV:
      result.format = ClientExportFormat::kCsv;
      break;
    case operations::v1::EXPORT_FORMAT_XLSX:
      result.format = ClientExportFormat::kXlsx;
      break;
    default:
      return InvalidField("format", "not a known export format");
  }
  ASSIGN_OR_RETURN(result.columns, ParseClientColumns({request.columns().begin(),
                                                      request.columns().end()}));
  ClientSelection& selection = result.selection;
  selection.client_ids.assign(request.client_ids().begin(), request.client_ids().end());
  if (request.has_filter()) {
    const v1::ClientExportFilter& filter = request.filter();
    selection.filter.tag_id = filter.tag_id();
    selection.filter.registration_store_id = filter.registration_store_id();
    if (filter.has_create_start_time()) {
      ASSIGN_OR_RETURN(selection.filter.create_start_time,
                       rpc::TimeFromProto(filter.create_start_time(), "filter.create_start_time"));
    }
    if (filter.has_create_end_time()) {
      ASSIGN_OR_RETURN(selection.filter.create_end_time,
                       rpc::TimeFromProto(filter.create_end_time(), "filter.create_end_time"));
    }
  }
  RETURN_IF_ERROR(NormalizeSelection(selection));
  return result;
}

grpc::Status ClientExportApi::ExportClients(grpc::ServerContext* context,
                                            const v1::ExportClientsRequest* request,
                                            operations::v1::Operation* response) {
  return rpc::HandleProgramCall(
      context, "ExportClients", [&](const rpc::CallContext& call) -> absl::Status {
        if (request->request_id().empty()) return InvalidField("request_id", "required");
        ASSIGN_OR_RETURN(ClientExport export_request, ClientExportFromProto(*request));
        const std::string& tag_id = export_request.selection.filter.tag_id;
        if (!tag_id.empty()) {
          // An unknown tag is refused now rather than exporting nobody.
          RETURN_IF_ERROR(RenameViolatedField(tags_.Get(call.program_id, tag_id).status(),
                                              "tag_id", "filter.tag_id"));
        }
        operations::NewOperation op{.request_id = request->request_id(),
                                    .kind = kClientExportKind,
                                    .params = EncodeClientExport(export_request),
                                    .item_keys = {kClientExportItem},
                                    .created_by = call.principal_id};
        RETURN_IF_ERROR(operations::ValidateNewOperation(op, "items"));
        ASSIGN_OR_RETURN(operations::Operation started, operations_.Create(call.program_id, op));
        operations::ToProto(started, *response);
        return absl::OkStatus();
      });
}

ItemOutcome ClientExportHandler::Apply(const operations::OperationRun& run,
                                       const operations::PendingItem& /*item*/) {
  absl::StatusOr<ClientExport> export_request = DecodeClientExport(run.params);
  if (!export_request.ok()) return FailOperation(export_request.status());
  absl::StatusOr<std::unique_ptr<operations::FileWriter>> writer = deps_.files.Begin(
      run.program_id, run.operation_id,
      ClientExportFileName(run.operation_id, export_request->format),
      ClientExportContentType(export_request->format));
  if (!writer.ok()) return operations::OutcomeOf(writer.status());
  absl::Status written = Write(run, *export_request, **writer);
  if (written.ok()) return operations::OutcomeOf(absl::OkStatus());
  if (pg::IsTransient(written)) return operations::OutcomeOf(written);
  // The file will not be finished: give its space back now (best effort).
  (*writer)->Discard().IgnoreError();
  if (written.code() == absl::StatusCode::kResourceExhausted) {
    const int64_t cap = deps_.files.limits().max_bytes;
    return FailOperation(absl::FailedPreconditionError(absl::StrCat(
        "the export is larger than one file may be (", cap >> 20, " MiB) or than an XLSX sheet (",
        xlsx::kMaxRows, " rows): export fewer clients (a narrower filter) or fewer columns")));
  }
  return FailOperation(written);
}

absl::Status ClientExportHandler::Write(const operations::OperationRun& run,
                                        const ClientExport& export_request,
                                        operations::FileWriter& writer) {
  ASSIGN_OR_RETURN(std::unique_ptr<operations::TableFile> table,
                   operations::StartTableFile(export_request.format == ClientExportFormat::kXlsx
                                                  ? operations::TableFormat::kXlsx
                                                  : operations::TableFormat::kCsv,
                                              writer, "Clients", deps_.temp_dir));
  std::vector<ExportCell> header;
  for (ClientColumn column : export_request.columns) {
    header.push_back({.kind = ExportCell::Kind::kText, .text = std::string(ColumnLabel(column))});
  }
  RETURN_IF_ERROR(table->Row(header));
  std::optional<ExportCursor> cursor;
  do {
    ASSIGN_OR_RETURN(ExportPage page, deps_.reader.ReadPage(run.program_id,
                                                            export_request.selection, cursor,
                                                            deps_.page_size));
    for (const Client& client : page.clients) {
      RETURN_IF_ERROR(table->Row(ClientRowCells(client, export_request.columns)));
    }
    cursor = std::move(page.next);
  } while (cursor);
  return table->Finish();
}

}  // namespace loyalty::identity
