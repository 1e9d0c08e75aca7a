#include "services/cards/api/history_export.h"

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/csv/csv.h"
#include "libs/pg/pool.h"
#include "libs/rpc/proto_convert.h"
#include "services/cards/domain/ledger.h"

namespace loyalty::cards {
namespace {

using operations::ItemOutcome;

ItemOutcome FailOperation(absl::Status status) {
  return {.action = ItemOutcome::Action::kFailOperation, .status = std::move(status)};
}

std::string Rfc3339Utc(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", time, absl::UTCTimeZone());
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
    default:
      return InvalidField("format", "not supported; CSV is");
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

std::string HistoryCsvHeader() {
  return csv::Row()
      .Text("time")
      .Text("kind")
      .Text("points")
      .Text("balance_after")
      .Text("transfer_id")
      .Text("reference")
      .Text("reason")
      .Text("actor")
      .Text("hold_id")
      .Finish();
}

std::string HistoryCsvRow(const CardOperation& operation) {
  return csv::Row()
      .Text(Rfc3339Utc(operation.create_time))
      .Text(TransferKindName(operation.kind))
      .Integer(operation.amount)
      .Integer(operation.balance_after)
      .Text(operation.transfer_id)
      .Text(operation.reference)
      .Text(operation.reason)
      .Text(operation.actor)
      .Text(operation.hold_id)
      .Finish();
}

ItemOutcome HistoryExportHandler::Apply(const operations::OperationRun& run,
                                        const operations::PendingItem& item) {
  absl::StatusOr<HistoryExport> history = DecodeHistoryExport(run.params);
  if (!history.ok()) return FailOperation(history.status());
  absl::StatusOr<std::unique_ptr<operations::FileWriter>> writer =
      deps_.files.Begin(run.program_id, run.operation_id, HistoryExportFileName(item.key, *history),
                        HistoryExportContentType(history->format));
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
                     "may be (", cap, " bytes, ", cap >> 20,
                     " MiB): export a shorter period (narrow start_time..end_time)")));
  }
  return FailOperation(written);
}

absl::Status HistoryExportHandler::Write(const operations::OperationRun& run,
                                         const operations::PendingItem& item,
                                         const HistoryExport& history,
                                         operations::FileWriter& writer) {
  RETURN_IF_ERROR(writer.Append(csv::kUtf8Bom));
  RETURN_IF_ERROR(writer.Append(HistoryCsvHeader()));
  OperationsQuery query{
      .start_time = history.start_time, .end_time = history.end_time, .page_size = deps_.page_size};
  do {
    ASSIGN_OR_RETURN(OperationsPage page,
                     deps_.reader.ListOperations(run.program_id, item.key, query));
    std::string rows;
    for (const CardOperation& operation : page.operations) {
      absl::StrAppend(&rows, HistoryCsvRow(operation));
    }
    RETURN_IF_ERROR(writer.Append(rows));
    query.page_token = std::move(page.next_page_token);
  } while (!query.page_token.empty());
  return writer.Finish().status();
}

}  // namespace loyalty::cards
