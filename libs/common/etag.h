#pragma once

// Etags of versioned resources (AIP-154): the client sends back the etag it
// read, and a change based on a stale read is refused instead of silently
// overwriting someone else's.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty {

// The etag of a stored version: its decimal form. Opaque to clients.
std::string EtagOf(int64_t version);

// The version an etag from a client names; nullopt for an empty etag (no
// check wanted). INVALID_ARGUMENT naming `field` for anything we never
// handed out.
absl::StatusOr<std::optional<int64_t>> ParseEtag(absl::string_view field, absl::string_view etag);

// ABORTED naming `field` when the client's version is not the stored one:
// someone changed the resource since the client read it.
absl::Status CheckVersion(absl::string_view field, std::optional<int64_t> expected, int64_t stored);

}  // namespace loyalty
