#pragma once

// Text that people type into a client's profile or a tag's name.

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace loyalty::identity {

// Trims `text`; INVALID_ARGUMENT naming `field` unless it is UTF-8 of at
// most `max_characters` without control characters (they break exports
// and receipts, and nobody types them on purpose). Empty text is fine.
absl::Status NormalizeFreeText(absl::string_view field, size_t max_characters,
                               std::string& text);

}  // namespace loyalty::identity
