#pragma once

// API key secrets: generated here, shown once, stored only as a hash.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include <string>
#include <string_view>

namespace loyalty::identity {

// A new secret: "lk_" followed by 40 random hex digits (160 bits).
std::string NewApiKeySecret();

// SHA-256 of the secret, hex. Keys carry enough entropy that a fast hash is
// safe here (unlike passwords); it lets the gateway's lookup be an index hit.
std::string HashApiKeySecret(absl::string_view secret);

// What a key may be issued with: a role (loyalty.api.v1.Role value name,
// not ROLE_UNSPECIFIED), a display name of at most 200 bytes, store and
// partner ids of at most 128 bytes; a ROLE_POS key must be bound to a store
// and a ROLE_PARTNER key to a partner, since what they may do is scoped by
// it. INVALID_ARGUMENT naming `prefix` + the field otherwise.
absl::Status ValidateApiKeyBinding(absl::string_view role, absl::string_view display_name,
                                   absl::string_view store_id, absl::string_view partner_id,
                                   absl::string_view prefix);

}  // namespace loyalty::identity
