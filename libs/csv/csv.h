#pragma once

// CSV rows (RFC 4180) for files people open in a spreadsheet.
//
// - Cells are separated by commas and rows end with CRLF. A cell holding a
//   comma, a double quote, CR or LF is quoted, quotes doubled.
// - A file starts with the UTF-8 byte order mark (kUtf8Bom), without which
//   Excel reads UTF-8 as the local code page.
// - Formula injection: a spreadsheet runs a cell that starts with
//   = + - @ (and, in some, tab or CR) as a formula, so a member's name or a
//   correction's reason could become `=HYPERLINK(...)`. Text cells starting
//   with one of those get a leading apostrophe, which spreadsheets show as
//   text and do not display. Integer cells are written as they are: they
//   come from numbers, never from user text, so a negative amount stays a
//   number the spreadsheet can add up. Hence the two cell kinds; anything
//   a person typed must go through Text().

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace loyalty::csv {

inline constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

// True when a spreadsheet could read `text` as a formula (it is guarded).
bool LooksLikeFormula(absl::string_view text);

// One row, cell by cell:
//   std::string line = csv::Row().Text(name).Integer(points).Finish();
class Row final {
 public:
  // A text cell: guarded against formulas, quoted when needed.
  Row& Text(absl::string_view text);
  // A number cell, as digits with an optional minus sign.
  Row& Integer(int64_t value);
  // The row with its CRLF; the builder is empty afterwards.
  std::string Finish();

 private:
  void Separate();

  std::string line_;
  bool empty_ = true;
};

}  // namespace loyalty::csv
