#pragma once

// One cell of a row an export writes (libs/operations/table_file.h). Pure:
// domain code builds rows of these without knowing the file format.

#include <cstdint>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace loyalty::operations {

// What kind of value a cell holds decides how each format writes it: text
// is guarded against formulas, integers stay numbers a spreadsheet adds
// up, dates and times are date cells in XLSX and ISO 8601 text in CSV.
struct TableCell {
  enum class Kind { kText, kInteger, kDate, kTime };
  Kind kind = Kind::kText;
  std::string text;
  int64_t integer = 0;
  absl::CivilDay day;
  absl::Time time;
};

}  // namespace loyalty::operations
