#pragma once

// Operator passwords: the policy a new password must meet, and Argon2id
// hashing (libargon2) with a random salt per hash.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty::identity {

// Argon2id cost: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane),
// about 30-60 ms per hash on one core here. It bounds how fast a stolen
// table can be attacked while keeping a login cheap enough that a burst of
// logins (at most 5 failures per login per 15 minutes get through the
// throttle) cannot exhaust the service. The parameters are stored in each
// encoded hash, so raising them later leaves old hashes verifiable.
struct PasswordHashCost {
  uint32_t passes = 2;
  uint32_t memory_kib = 19 * 1024;
  uint32_t lanes = 1;
};

inline constexpr size_t kMinPasswordLength = 10;  // characters (UTF-8 code points)
inline constexpr size_t kMaxPasswordBytes = 128;  // bounds the hashing work per request

// INVALID_ARGUMENT naming `field` unless the password has 10..128 bytes of at
// least 10 characters, is not all letters or all digits, and does not
// contain the (lower-case) login.
absl::Status CheckPasswordPolicy(absl::string_view password, absl::string_view login,
                                 absl::string_view field);

// The PHC-format encoded Argon2id hash ("$argon2id$v=19$m=...,t=...,p=...$salt$hash")
// of `password` with a fresh 16-byte salt from the OS CSPRNG.
absl::StatusOr<std::string> HashPassword(absl::string_view password,
                                         const PasswordHashCost& cost = {});

// True when `password` matches `encoded`; false for any mismatch or a
// malformed hash.
bool VerifyPassword(absl::string_view encoded, absl::string_view password);

// A valid hash of no known password: checked against when a login is
// unknown, so that unknown logins take as long as wrong passwords.
const std::string& DecoyPasswordHash();

}  // namespace loyalty::identity
