#pragma once

#include "absl/strings/string_view.h"
#include <string>
#include <string_view>

namespace loyalty {

// Appends `value` as a JSON string literal (quotes included) to `out`.
// Invalid UTF-8 is passed through byte by byte; control characters are
// escaped.
void AppendJsonString(std::string& out, absl::string_view value);

}  // namespace loyalty
