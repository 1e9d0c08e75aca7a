#pragma once

// CRD-7 export of a card's operations history as an operation of
// libs/operations: the request -> operation mapping ExportCardOperations
// uses, and the handler the runner calls for the one item (the card),
// which pages through PointsReader::ListOperations (the query
// ListCardOperations serves) and writes the rows as CSV or XLSX
// (libs/operations/table_file.h) into the operation's result file.
//
// Columns, one row per operation, newest first as in the list:
//   time            CSV: RFC 3339 UTC, e.g. 2024-03-01T10:15:00.25Z;
//                   XLSX: a date-time cell in UTC, to the second
//   kind            ACCRUAL, REDEMPTION, CORRECTION_CREDIT, ...
//   points          signed integer: + into the card, - out of it
//   balance_after   integer, the card's balance right after
//   transfer_id     the ledger transfer (receipt id, correction request id)
//   reference       business reference (e.g. the receipt)
//   reason          why (corrections, merges)
//   actor           API key or operator who asked; empty for jobs
//   hold_id         the hold a redemption posted
// Every text column is text in both formats, never a formula (CSV guards
// it with an apostrophe, XLSX stores a string cell); points and
// balance_after are numbers and stay numbers.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/operations/file_store.h"
#include "libs/operations/operation.h"
#include "libs/operations/runner.h"
#include "libs/operations/table_cell.h"
#include "loyalty/cards/v1/points_service.pb.h"
#include "services/cards/domain/history_export.h"
#include "services/cards/storage/points_reader.h"

namespace loyalty::cards {

// The operation a checked request starts: kind kHistoryExportKind, the
// period as parameters, the card as the only item. INVALID_ARGUMENT naming
// the field (card_number, start_time, end_time, format, request_id).
absl::StatusOr<operations::NewOperation> HistoryExportOperation(
    const v1::ExportCardOperationsRequest& request, absl::string_view principal_id);

// The header row and one operation's row (exposed for tests).
std::vector<operations::TableCell> HistoryHeaderCells();
std::vector<operations::TableCell> HistoryRowCells(const CardOperation& operation);

class HistoryExportHandler final : public operations::OperationHandler {
 public:
  struct Deps {
    PointsReader& reader;
    operations::OperationFileStore& files;
    int page_size = 500;
    std::string temp_dir;  // XLSX scratch files; empty: TMPDIR or /tmp
  };
  explicit HistoryExportHandler(Deps deps) : deps_(std::move(deps)) {}

  // Writes the whole file, from scratch on every attempt (a crash or a
  // retry leaves no duplicated rows). Trouble with the database retries;
  // a file over the size cap (or an XLSX sheet over its row limit), or a
  // card gone since the start, fails the operation with the reason.
  operations::ItemOutcome Apply(const operations::OperationRun& run,
                                const operations::PendingItem& item) override;

 private:
  absl::Status Write(const operations::OperationRun& run, const operations::PendingItem& item,
                     const HistoryExport& history, operations::FileWriter& writer);

  Deps deps_;
};

}  // namespace loyalty::cards
