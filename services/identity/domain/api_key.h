#pragma once

// API key secrets: generated here, shown once, stored only as a hash.

#include "absl/strings/string_view.h"
#include <string>
#include <string_view>

namespace loyalty::identity {

// A new secret: "lk_" followed by 40 random hex digits (160 bits).
std::string NewApiKeySecret();

// SHA-256 of the secret, hex. Keys carry enough entropy that a fast hash is
// safe here (unlike passwords); it lets the gateway's lookup be an index hit.
std::string HashApiKeySecret(absl::string_view secret);

}  // namespace loyalty::identity
