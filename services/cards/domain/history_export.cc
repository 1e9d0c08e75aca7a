#include "services/cards/domain/history_export.h"

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/status_macros.h"
#include "services/cards/domain/partner_settlement.h"

namespace loyalty::cards {
namespace {

std::string Stamp(absl::Time time) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", time, absl::UTCTimeZone());
}

absl::string_view FormatName(ExportFormat format) {
  return format == ExportFormat::kXlsx ? "xlsx" : "csv";
}

}  // namespace

absl::StatusOr<HistoryExport> NewHistoryExport(const std::optional<absl::Time>& start_time,
                                               const std::optional<absl::Time>& end_time,
                                               ExportFormat format) {
  RETURN_IF_ERROR(ValidateSettlementPeriod(start_time, end_time));
  return HistoryExport{.start_time = *start_time, .end_time = *end_time, .format = format};
}

std::string EncodeHistoryExport(const HistoryExport& history) {
  return absl::StrCat(FormatName(history.format), " ", absl::ToUnixMicros(history.start_time), " ",
                      absl::ToUnixMicros(history.end_time));
}

absl::StatusOr<HistoryExport> DecodeHistoryExport(absl::string_view params) {
  std::vector<absl::string_view> parts = absl::StrSplit(params, ' ');
  int64_t start = 0, end = 0;
  if (parts.size() != 3 || (parts[0] != "csv" && parts[0] != "xlsx") ||
      !absl::SimpleAtoi(parts[1], &start) || !absl::SimpleAtoi(parts[2], &end)) {
    return absl::InternalError(absl::StrCat("stored export parameters do not decode: ", params));
  }
  return HistoryExport{.start_time = absl::FromUnixMicros(start),
                       .end_time = absl::FromUnixMicros(end),
                       .format = parts[0] == "xlsx" ? ExportFormat::kXlsx : ExportFormat::kCsv};
}

std::string HistoryExportFileName(absl::string_view card_number, const HistoryExport& history) {
  std::string number(card_number);
  for (char& c : number) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  }
  return absl::StrCat("card-", number, "-operations-", Stamp(history.start_time), "-",
                      Stamp(history.end_time), ".", FormatName(history.format));
}

}  // namespace loyalty::cards
