#pragma once

// Reading the first worksheet of an XLSX workbook row by row, for imports
// of files people saved from a spreadsheet (identity's client import).
//
// - Streaming: the sheet's XML is inflated and parsed a piece at a time, and
//   Next() stops the parser at the end of each row, so memory holds one row
//   plus the shared-strings table whatever the number of rows.
// - Values are the text people saw: shared and inline strings, the cached
//   result of a formula (never evaluated), booleans as "true"/"false",
//   errors as "#N/A" etc., whole numbers without exponent ("79161234567"),
//   and numbers with a date format as ISO dates ("1990-05-17", or
//   "2024-03-01T10:15:30" with a time of day).
// - Limits: members larger than the caps below, more than 16384 columns,
//   encrypted workbooks, DTDs and XML that is not well-formed are refused
//   with INVALID_ARGUMENT naming the problem.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace loyalty::xlsx {

// Caps on what a workbook may inflate to (its declared sizes and what
// actually comes out), so that a small file cannot exhaust memory or disk.
struct ReaderLimits {
  // xl/sharedStrings.xml, held in memory as a table.
  uint64_t max_shared_strings_bytes = uint64_t{256} << 20;
  // The sheet, streamed.
  uint64_t max_sheet_bytes = uint64_t{4} << 30;
  // Any other part read whole (workbook, relationships, styles).
  uint64_t max_part_bytes = uint64_t{64} << 20;
  // One cell's text as stored, escapes included: Excel holds at most 32767
  // characters, well within it, so a longer cell is a made-up file.
  uint64_t max_cell_bytes = uint64_t{256} << 10;
};

// A row of the sheet.
struct Row {
  // 1-based, as the spreadsheet numbers it (for "line N" in reports).
  int64_t number = 0;
  // By column: cells[0] is A. Columns without a value between two that have
  // one are ""; the row ends at its last cell with a value.
  std::vector<std::string> cells;
};

class SheetReader final {
 public:
  // The first worksheet (in the workbook's order, whatever its part is
  // called) of the XLSX file at `path`. The file must stay in place while
  // the reader lives. INVALID_ARGUMENT when it is not an XLSX workbook or
  // breaks a limit, NOT_FOUND when there is no such file.
  static absl::StatusOr<std::unique_ptr<SheetReader>> Open(const std::string& path,
                                                           const ReaderLimits& limits = {});
  ~SheetReader();
  SheetReader(const SheetReader&) = delete;
  SheetReader& operator=(const SheetReader&) = delete;

  // The next row that the sheet has (rows it leaves out are skipped) into
  // `row`; false at the end. After an error the reader is done.
  absl::StatusOr<bool> Next(Row* row);

 private:
  struct State;
  explicit SheetReader(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace loyalty::xlsx
