#pragma once

// How the XLSX reader turns what a cell stores into the text people saw in
// the spreadsheet: column letters, numbers, date serials, date formats and
// the _xHHHH_ escapes of OOXML strings. Pure functions.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace loyalty::xlsx {

// A sheet has at most this many columns (A..XFD).
inline constexpr int kMaxColumns = 16384;

// The 0-based column of a cell reference ("A1" -> 0, "AA7" -> 26, "B" ->
// 1); nullopt when it does not start with letters or lies beyond XFD.
absl::optional<int> ColumnOfReference(absl::string_view reference);

// The number as written in a cell's <v>, except that a whole number that a
// double holds exactly loses its exponent and fraction ("1.5E+10" ->
// "15000000000", "42.0" -> "42"): phone numbers and ids typed into
// spreadsheets come back as the digits people typed.
std::string NumberText(absl::string_view value);

// Whether a number format shows a date: the built-in ids 14..22 and 45..47,
// or a custom format code with d, m or y outside quotes, brackets and
// escapes. `format_code` is the custom code for `format_id` ("" if none).
bool IsDateFormat(int format_id, absl::string_view format_code);

// The date serial `value` as "YYYY-MM-DD", or "YYYY-MM-DDTHH:MM:SS" when
// it has a time of day (rounded to the second). In the 1900 system serial
// 60 is the 29 February 1900 that Lotus 1-2-3 invented and Excel kept, and
// earlier serials are one day later than the arithmetic says; the 1904
// system counts from 1904-01-01. nullopt when `value` is no number or
// outside 0..9999-12-31.
absl::optional<std::string> DateText(absl::string_view value, bool date1904);

// `text` with the OOXML escapes _xHHHH_ replaced by the character they
// stand for (Excel writes a line break as _x000D_ or _x000A_, and an
// underscore that would look like one as _x005F_).
std::string UnescapeOoxml(absl::string_view text);

}  // namespace loyalty::xlsx
