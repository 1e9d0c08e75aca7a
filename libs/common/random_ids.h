#pragma once

#include "absl/strings/string_view.h"
#include <string>

namespace loyalty {

// Random UUID version 4, lower-case canonical text form.
std::string NewUuid();

// `bytes` random bytes as lower-case hex (2 x bytes characters).
std::string RandomHex(int bytes);

// True for a canonical lower- or upper-case UUID text.
bool IsUuid(absl::string_view text);

}  // namespace loyalty
