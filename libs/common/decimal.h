#pragma once

// Exact decimal quantities as integers of thousandths ("milli units").

#include "absl/strings/string_view.h"
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace loyalty {

// Parses "2", "0.455", "12.5" into thousandths (2000, 455, 12500). At most
// three fraction digits, no sign, no exponent. InvalidArgument otherwise.
absl::StatusOr<int64_t> ParseMilli(absl::string_view text);

// Formats thousandths back, without trailing zeros: 2000 -> "2", 455 ->
// "0.455".
std::string FormatMilli(int64_t milli);

// round_half_up(value * numerator / denominator) for non-negative inputs,
// computed in 128 bits so that money x quantity cannot overflow.
int64_t MulDivRoundHalfUp(int64_t value, int64_t numerator, int64_t denominator);

// floor(value * numerator / denominator) for non-negative inputs.
int64_t MulDivFloor(int64_t value, int64_t numerator, int64_t denominator);

// (value * numerator) mod denominator for non-negative inputs: what
// MulDivFloor dropped, used to hand out rounding leftovers fairly.
int64_t MulDivRemainder(int64_t value, int64_t numerator, int64_t denominator);

}  // namespace loyalty
