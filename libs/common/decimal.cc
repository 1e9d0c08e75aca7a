#include "absl/strings/string_view.h"
#include "libs/common/decimal.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace loyalty {
namespace {
// GCC extension; __extension__ keeps -Wpedantic quiet about it.
__extension__ typedef __int128 Int128;
}  // namespace

absl::StatusOr<int64_t> ParseMilli(absl::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty quantity");
  int64_t whole = 0;
  int64_t fraction = 0;
  int fraction_digits = 0;
  bool seen_point = false;
  bool seen_digit = false;
  for (char c : text) {
    if (c == '.') {
      if (seen_point) return absl::InvalidArgumentError("two decimal points");
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError(
          absl::StrCat("'", text, "' is not a decimal number"));
    }
    seen_digit = true;
    if (seen_point) {
      if (++fraction_digits > 3) {
        return absl::InvalidArgumentError("at most 3 fraction digits");
      }
      fraction = fraction * 10 + (c - '0');
    } else {
      if (whole > (INT64_MAX / 1000 - 9) / 10) {
        return absl::InvalidArgumentError("number too large");
      }
      whole = whole * 10 + (c - '0');
    }
  }
  if (!seen_digit) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a decimal number"));
  }
  for (int i = fraction_digits; i < 3; ++i) fraction *= 10;
  return whole * 1000 + fraction;
}

std::string FormatMilli(int64_t milli) {
  std::string sign = milli < 0 ? "-" : "";
  uint64_t magnitude = milli < 0 ? -static_cast<uint64_t>(milli)
                                 : static_cast<uint64_t>(milli);
  uint64_t whole = magnitude / 1000;
  uint64_t fraction = magnitude % 1000;
  if (fraction == 0) return absl::StrCat(sign, whole);
  std::string digits = absl::StrFormat("%03d", fraction);
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return absl::StrCat(sign, whole, ".", digits);
}

int64_t MulDivRoundHalfUp(int64_t value, int64_t numerator, int64_t denominator) {
  Int128 product = static_cast<Int128>(value) * numerator;
  return static_cast<int64_t>((product * 2 + denominator) / (2 * denominator));
}

int64_t MulDivFloor(int64_t value, int64_t numerator, int64_t denominator) {
  Int128 product = static_cast<Int128>(value) * numerator;
  return static_cast<int64_t>(product / denominator);
}

int64_t MulDivRemainder(int64_t value, int64_t numerator, int64_t denominator) {
  Int128 product = static_cast<Int128>(value) * numerator;
  return static_cast<int64_t>(product % denominator);
}

}  // namespace loyalty
