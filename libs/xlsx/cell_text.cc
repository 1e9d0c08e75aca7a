#include "libs/xlsx/cell_text.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace loyalty::xlsx {

absl::optional<int> ColumnOfReference(absl::string_view reference) {
  int column = 0;
  size_t letters = 0;
  for (char c : reference) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) break;
    column = column * 26 + (absl::ascii_toupper(static_cast<unsigned char>(c)) - 'A' + 1);
    if (column > kMaxColumns) return absl::nullopt;
    ++letters;
  }
  if (letters == 0) return absl::nullopt;
  return column - 1;
}

std::string NumberText(absl::string_view value) {
  // Beyond 2^53 not every whole number is a double: the text is all we
  // know for sure.
  constexpr double kExactLimit = 9007199254740992.0;
  double number = 0;
  if (!absl::SimpleAtod(value, &number) || !std::isfinite(number) ||
      number != std::trunc(number) || std::fabs(number) > kExactLimit) {
    return std::string(value);
  }
  return absl::StrCat(static_cast<int64_t>(number));
}

bool IsDateFormat(int format_id, absl::string_view format_code) {
  if (format_code.empty()) return (format_id >= 14 && format_id <= 22) ||
                                  (format_id >= 45 && format_id <= 47);
  for (size_t i = 0; i < format_code.size(); ++i) {
    const char c = format_code[i];
    if (c == '"') {  // literal text
      const size_t close = format_code.find('"', i + 1);
      if (close == absl::string_view::npos) return false;
      i = close;
    } else if (c == '[') {  // colour, condition, locale or elapsed time
      const size_t close = format_code.find(']', i + 1);
      if (close == absl::string_view::npos) return false;
      i = close;
    } else if (c == '\\' || c == '_' || c == '*') {  // the next character is literal
      ++i;
    } else {
      const char lower = absl::ascii_tolower(static_cast<unsigned char>(c));
      if (lower == 'd' || lower == 'm' || lower == 'y') return true;
    }
  }
  return false;
}

absl::optional<std::string> DateText(absl::string_view value, bool date1904) {
  constexpr double kLastSerial = 2958465;  // 9999-12-31 in the 1900 system
  constexpr int64_t kSecondsPerDay = 86400;
  double serial = 0;
  if (!absl::SimpleAtod(value, &serial) || !std::isfinite(serial) || serial < 0 ||
      serial >= kLastSerial + 1) {
    return absl::nullopt;
  }
  const int64_t seconds = std::llround(serial * kSecondsPerDay);
  const int64_t days = seconds / kSecondsPerDay;
  const int64_t second_of_day = seconds % kSecondsPerDay;
  std::string text;
  if (date1904) {
    const absl::CivilDay day = absl::CivilDay(1904, 1, 1) + days;
    text = absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
  } else if (days == 60) {
    text = "1900-02-29";  // what the spreadsheet shows, though no such day was
  } else {
    const absl::CivilDay day =
        (days < 60 ? absl::CivilDay(1899, 12, 31) : absl::CivilDay(1899, 12, 30)) + days;
    text = absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
  }
  if (second_of_day != 0) {
    absl::StrAppendFormat(&text, "T%02d:%02d:%02d", second_of_day / 3600,
                          second_of_day / 60 % 60, second_of_day % 60);
  }
  return text;
}

namespace {

// Four hex digits, nothing else.
bool HexUnit(absl::string_view digits, uint32_t* code) {
  *code = 0;
  for (char c : digits) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
    const int digit = absl::ascii_isdigit(static_cast<unsigned char>(c))
                          ? c - '0'
                          : absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    *code = *code * 16 + static_cast<uint32_t>(digit);
  }
  return true;
}

}  // namespace

std::string UnescapeOoxml(absl::string_view text) {
  if (text.find("_x") == absl::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    uint32_t code = 0;
    if (text[i] == '_' && i + 6 < text.size() && text[i + 1] == 'x' && text[i + 6] == '_' &&
        HexUnit(text.substr(i + 2, 4), &code)) {
      // UTF-8 of one UTF-16 unit; surrogates do not come escaped.
      if (code < 0x80) {
        out.push_back(static_cast<char>(code));
      } else if (code < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (code >> 6)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xE0 | (code >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
      }
      i += 6;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace loyalty::xlsx
