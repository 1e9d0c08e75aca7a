#pragma once

// Page tokens of List calls: an opaque, URL-safe wrapping of the position
// after which the next page starts (a key, or several joined by the caller).
// Opaque so that clients pass them back instead of building their own, and
// so that the position's format can change without an API change.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty {

std::string EncodePageToken(absl::string_view position);

// The position a token wraps; InvalidField("page_token") for anything that
// is not a token from EncodePageToken.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token);

// For positions that are row ids: `if_empty` for an empty token (the first
// page), else the id a token wraps; InvalidField("page_token") otherwise.
absl::StatusOr<int64_t> DecodeIdPageToken(absl::string_view token, int64_t if_empty);

}  // namespace loyalty
