#pragma once

// XLSX (Office Open XML) workbooks of one sheet, written row by row, for
// exports people open in a spreadsheet. Generic: any export that has rows
// of text, numbers and dates can use it (identity's client export does).
//
// - Bounded memory: libxlsxwriter's constant_memory mode flushes each row
//   to a temporary file, so a sheet of a million rows needs no more memory
//   than one row; the finished workbook is a temporary file too, handed to
//   the caller in pieces (Finish) and deleted.
// - Formula injection: text is always written as a string cell (t="inlineStr"),
//   never as a formula cell, so `=HYPERLINK(...)` in a member's name is
//   shown as the text it is and never runs. Unlike CSV (libs/csv), where the
//   type of a cell is guessed from its text and a leading apostrophe is the
//   only guard, the value is kept exactly: an E.164 phone stays
//   "+79161234567", not "'+79161234567".
// - Dates are date cells (yyyy-mm-dd), times date-time cells in UTC
//   (yyyy-mm-dd hh:mm:ss), so that the spreadsheet sorts and filters them.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace loyalty::xlsx {

inline constexpr absl::string_view kContentType =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// A sheet holds at most this many rows (the format's limit).
inline constexpr int64_t kMaxRows = 1048576;

// One workbook with one sheet. Cells go into the current row, left to
// right; EndRow() starts the next one. Not thread-safe.
class SheetWriter final {
 public:
  // A workbook in a temporary file under `temp_dir` (TMPDIR or /tmp when
  // empty) with one sheet named `sheet_name` (at most 31 characters, no
  // []:*?/\).
  static absl::StatusOr<std::unique_ptr<SheetWriter>> Create(absl::string_view sheet_name,
                                                             std::string temp_dir = "");
  ~SheetWriter();
  SheetWriter(const SheetWriter&) = delete;
  SheetWriter& operator=(const SheetWriter&) = delete;

  // A text cell, guarded against formulas.
  SheetWriter& Text(absl::string_view text);
  // A number cell. Spreadsheets keep 15 significant digits: beyond
  // +-2^53, write the number as Text.
  SheetWriter& Integer(int64_t value);
  // A date cell.
  SheetWriter& Date(absl::CivilDay day);
  // A date-time cell in UTC, to the second.
  SheetWriter& Time(absl::Time time);
  // An empty cell.
  SheetWriter& Blank();
  // Ends the current row. RESOURCE_EXHAUSTED past kMaxRows rows.
  absl::Status EndRow();

  // Completes the workbook and passes its bytes to `sink` in pieces of at
  // most `piece_bytes`, stopping at the first error. The first error of
  // any earlier call is returned here too. The writer is done after it.
  absl::Status Finish(absl::FunctionRef<absl::Status(absl::string_view)> sink,
                      size_t piece_bytes = size_t{1} << 20);

 private:
  struct Workbook;  // libxlsxwriter's objects, kept out of this header
  explicit SheetWriter(std::unique_ptr<Workbook> workbook);
  void Check(int error);

  std::unique_ptr<Workbook> workbook_;
  absl::Status status_;
  int64_t row_ = 0;
  int column_ = 0;
};

}  // namespace loyalty::xlsx
