#pragma once

// Text that people type in (names, descriptions): UTF-8 checks shared by
// every service's domain rules.

#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"

namespace loyalty {

// The number of code points of valid UTF-8 text, or nullopt when `text` is
// not UTF-8 (bad or cut-short sequences, overlong forms, surrogates, values
// past U+10FFFF).
std::optional<size_t> Utf8Length(absl::string_view text);

}  // namespace loyalty
