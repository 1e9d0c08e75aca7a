#pragma once

// Result files that are tables (exports people open in a spreadsheet): rows
// of TableCells written as CSV or XLSX into an operation's FileWriter, with
// the same rules for every export.
//
// - CSV (libs/csv): UTF-8 with a BOM, CRLF rows, text guarded against
//   formula injection by a leading apostrophe; dates "YYYY-MM-DD", times
//   RFC 3339 UTC ("2024-03-01T10:15:00.25Z").
// - XLSX (libs/xlsx): one sheet, text as string cells (never formulas, no
//   apostrophe, empty text a blank cell), integers as numbers, dates and
//   times as date cells (times in UTC, to the second). The workbook is
//   built in a temporary file and appended to the FileWriter at Finish().

#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/operations/file_store.h"
#include "libs/operations/table_cell.h"

namespace loyalty::operations {

enum class TableFormat { kCsv, kXlsx };

class TableFile {
 public:
  virtual ~TableFile() = default;
  // Appends one row. RESOURCE_EXHAUSTED when the file would pass the
  // result file cap, or an XLSX sheet its row limit (xlsx::kMaxRows).
  virtual absl::Status Row(std::span<const TableCell> cells) = 0;
  // Completes the file and finishes the FileWriter.
  virtual absl::Status Finish() = 0;
};

// A table in `format` written into `file` (which must outlive it). An XLSX
// sheet is named `sheet_name` and built under `temp_dir` (TMPDIR or /tmp
// when empty).
absl::StatusOr<std::unique_ptr<TableFile>> StartTableFile(TableFormat format, FileWriter& file,
                                                          absl::string_view sheet_name,
                                                          const std::string& temp_dir = "");

// "text/csv; charset=utf-8" or the XLSX media type.
absl::string_view TableContentType(TableFormat format);
// "csv" or "xlsx", for file names.
absl::string_view TableFileExtension(TableFormat format);

}  // namespace loyalty::operations
