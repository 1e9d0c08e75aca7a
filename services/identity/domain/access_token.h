#pragma once

// Operator access tokens: short-lived, HMAC-SHA256-signed statements of who
// an operator is, issued at login and checked on every call.
//
// Format: "lt1." base64url(payload) "." base64url(HMAC-SHA256(key, the part
// before the second dot)), where the payload is
// "key_id|program_id|operator_id|role|issued_unix|expires_unix". The key id
// selects the verifying key, so keys can be rotated: a new key signs, the
// old ones keep verifying until the tokens they signed have expired.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::identity {

inline constexpr absl::string_view kAccessTokenPrefix = "lt1.";

struct SigningKey {
  std::string key_id;  // 1..32 of [a-z0-9_-]
  std::string secret;  // at least 32 bytes
};

// "id:secret,id:secret": the first key signs, every key verifies. Secrets
// are taken as given (e.g. `openssl rand -hex 32`). INVALID_ARGUMENT naming
// what is wrong, never echoing a secret.
absl::StatusOr<std::vector<SigningKey>> ParseSigningKeys(absl::string_view text);

struct TokenClaims {
  std::string program_id;
  std::string operator_id;
  std::string role;  // loyalty.api.v1.Role value name, e.g. ROLE_ADMIN
  absl::Time issue_time;
  absl::Time expire_time;
  std::string key_id;
  // The operator's credentials version at login: a password change bumps
  // it, and tokens of an older version are refused.
  int64_t credentials_version = 0;
};

class TokenSigner final {
 public:
  using Clock = std::function<absl::Time()>;
  // `keys` must not be empty; `clock` defaults to absl::Now.
  TokenSigner(std::vector<SigningKey> keys, absl::Duration lifetime, Clock clock = nullptr);

  // A token for the operator valid from now for the lifetime, signed with
  // the first key. Fills issue/expire time and key id of `claims`.
  std::string Sign(TokenClaims& claims) const;

  // The claims of a token signed by one of the keys and not expired;
  // UNAUTHENTICATED otherwise (the same message for every cause).
  absl::StatusOr<TokenClaims> Verify(absl::string_view token) const;

  absl::Duration lifetime() const { return lifetime_; }

 private:
  std::vector<SigningKey> keys_;
  absl::Duration lifetime_;
  Clock clock_;
};

}  // namespace loyalty::identity
