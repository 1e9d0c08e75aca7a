#pragma once

// CRD-7 export of a card's operations history for a period to a file, as
// a background operation (libs/operations) with one item, the card. What
// the operation stores as its parameters and the file it makes; the rows
// are written by the handler (api/history_export.h).

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::cards {

inline constexpr char kHistoryExportKind[] = "cards.history_export";

enum class ExportFormat { kCsv, kXlsx };

struct HistoryExport {
  absl::Time start_time;  // inclusive
  absl::Time end_time;    // exclusive
  ExportFormat format = ExportFormat::kCsv;
};

// The period as the partner settlement report takes it: both ends given,
// end after start, at most 366 days; errors name `start_time` / `end_time`.
absl::StatusOr<HistoryExport> NewHistoryExport(const std::optional<absl::Time>& start_time,
                                               const std::optional<absl::Time>& end_time,
                                               ExportFormat format);

// The operation's parameters: "<csv|xlsx> <start unix micros> <end unix
// micros>". Part of the idempotency digest, so it must stay stable.
std::string EncodeHistoryExport(const HistoryExport& history);
absl::StatusOr<HistoryExport> DecodeHistoryExport(absl::string_view params);

// "card-<number>-operations-<start>-<end>.csv" (or .xlsx), the ends as
// UTC YYYYMMDDTHHMMSSZ; characters other than letters, digits, '-' and '_'
// in the number become '_'.
std::string HistoryExportFileName(absl::string_view card_number, const HistoryExport& history);

}  // namespace loyalty::cards
