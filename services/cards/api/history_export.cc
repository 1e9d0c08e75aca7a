#include "services/cards/api/history_export.h"

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/operations/table_file.h"
#include "libs/pg/pool.h"
#include "libs/rpc/proto_convert.h"
#include "libs/xlsx/xlsx.h"
#include "services/cards/domain/ledger.h"

namespace loyalty::cards {
namespace {

using operations::ItemOutcome;

ItemOutcome FailOperation(absl::Status status) {
  return {.action = ItemOutcome::Action::kFailOperation, .status = std::move(status)};
}

operations::TableCell TextCell(std::string text) {
  return {.kind = operations::TableCell::Kind::kText, .text = std::move(text)};
}

operations::TableCell IntegerCell(int64_t value) {
  return {.kind = operations::TableCell::Kind::kInteger, .integer = value};
}

operations::TableFormat TableFormatOf(ExportFormat format) {
  return format == ExportFormat::kXlsx ? operations::TableFormat::kXlsx
                                       : operations::TableFormat::kCsv;
}

}  // namespace

absl::StatusOr<operations::NewOperation> HistoryExportOperation(
    const v1::ExportCardOperationsRequest& request, absl::string_view principal_id) {
  if (request.card_number().empty()) return InvalidField("card_number", "required");
  std::optional<absl::Time> start, end;
  if (request.has_start_time()) {
    ASSIGN_OR_RETURN(start, rpc::TimeFromProto(request.start_time(), "start_time"));
  }
  if (request.has_end_time()) {
    ASSIGN_OR_RETURN(end, rpc::TimeFromProto(request.end_time(), "end_time"));
  }
  ExportFormat format = ExportFormat::kCsv;
  switch (request.format()) {
    case operations::v1::EXPORT_FORMAT_UNSPECIFIED:
    case operations::v1::EXPORT_FORMAT_CSV:
      format = ExportFormat::kCsv;
      break;
    case operations::v1::EXPORT_FORMAT_XLSX:
      format = ExportFormat::kXlsx;
      break;
    default:
      return InvalidField("format", "not a known export format (CSV or XLSX)");
  }
  ASSIGN_OR_RETURN(HistoryExport history, NewHistoryExport(start, end, format));
  operations::NewOperation op{.request_id = request.request_id(),
                              .kind = kHistoryExportKind,
                              .params = EncodeHistoryExport(history),
                              .item_keys = {request.card_number()},
                              .created_by = std::string(principal_id)};
  if (op.request_id.empty()) return InvalidField("request_id", "required");
  // The card is the operation's one item; name it as the request does.
  RETURN_IF_ERROR(RenameViolatedField(operations::ValidateNewOperation(op, "card_number"),
                                      "card_number[0]", "card_number"));
  return op;
}

std::vector<operations::TableCell> HistoryHeaderCells() {
  std::vector<operations::TableCell> cells;
  for (const char* name : {"time", "kind", "points", "balance_after", "transfer_id", "reference",
                           "reason", "actor", "hold_id"}) {
    cells.push_back(TextCell(name));
  }
  return cells;
}

std::vector<operations::TableCell> HistoryRowCells(const CardOperation& operation) {
  return {{.kind = operations::TableCell::Kind::kTime, .time = operation.create_time},
          TextCell(std::string(TransferKindName(operation.kind))),
          IntegerCell(operation.amount),
          IntegerCell(operation.balance_after),
          TextCell(operation.transfer_id),
          TextCell(operation.reference),
          TextCell(operation.reason),
          TextCell(operation.actor),
          TextCell(operation.hold_id)};
}

ItemOutcome HistoryExportHandler::Apply(const operations::OperationRun& run,
                                        const operations::PendingItem& item) {
  absl::StatusOr<HistoryExport> history = DecodeHistoryExport(run.params);
  if (!history.ok()) return FailOperation(history.status());
  absl::StatusOr<std::unique_ptr<operations::FileWriter>> writer =
      deps_.files.Begin(run.program_id, run.operation_id, HistoryExportFileName(item.key, *history),
                        operations::TableContentType(TableFormatOf(history->format)));
  if (!writer.ok()) return operations::OutcomeOf(writer.status());
  absl::Status written = Write(run, item, *history, **writer);
  if (written.ok()) return operations::OutcomeOf(absl::OkStatus());
  if (pg::IsTransient(written)) return operations::OutcomeOf(written);
  // The file will not be finished: give its space back now (best effort;
  // a later attempt would drop it anyway).
  (*writer)->Discard().IgnoreError();
  if (written.code() == absl::StatusCode::kResourceExhausted) {
    const int64_t cap = deps_.files.limits().max_bytes;
    return FailOperation(absl::FailedPreconditionError(
        absl::StrCat("the history of card ", item.key, " for this period is larger than one file ",
                     "may be (", cap, " bytes, ", cap >> 20, " MiB, or ", xlsx::kMaxRows,
                     " rows of an XLSX sheet): export a shorter period (narrow "
                     "start_time..end_time)")));
  }
  return FailOperation(written);
}

absl::Status HistoryExportHandler::Write(const operations::OperationRun& run,
                                         const operations::PendingItem& item,
                                         const HistoryExport& history,
                                         operations::FileWriter& writer) {
  ASSIGN_OR_RETURN(std::unique_ptr<operations::TableFile> table,
                   operations::StartTableFile(TableFormatOf(history.format), writer, "Operations",
                                              deps_.temp_dir));
  RETURN_IF_ERROR(table->Row(HistoryHeaderCells()));
  OperationsQuery query{
      .start_time = history.start_time, .end_time = history.end_time, .page_size = deps_.page_size};
  do {
    ASSIGN_OR_RETURN(OperationsPage page,
                     deps_.reader.ListOperations(run.program_id, item.key, query));
    for (const CardOperation& operation : page.operations) {
      RETURN_IF_ERROR(table->Row(HistoryRowCells(operation)));
    }
    query.page_token = std::move(page.next_page_token);
  } while (!query.page_token.empty());
  return table->Finish();
}

}  // namespace loyalty::cards
