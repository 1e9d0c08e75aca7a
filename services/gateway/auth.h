#pragma once

// Who is calling (API key or operator access token -> principal, through
// identity's internal AccessService) and whether they may call a route (its
// (loyalty.api.v1.access) roles; deny by default).

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::gateway {

class Backend;
struct Route;

struct Principal {
  std::string program_id;
  int role = 0;  // loyalty.api.v1.Role
  std::string store_id;
  std::string partner_id;
  std::string api_key_id;   // set for API keys
  std::string operator_id;  // set for operator tokens
  // When the credentials lapse by themselves (token expiry); a cached
  // answer never outlives it.
  absl::Time expire_time = absl::InfiniteFuture();
};

// Operator access tokens start with this (identity's access_token.h);
// anything else presented is taken for an API key.
inline constexpr absl::string_view kAccessTokenPrefix = "lt1.";

struct AuthRequest {
  // An API key or an operator access token.
  std::string api_key;
  // Passed on to identity so that its logs join the request's.
  std::string request_id;
  std::string traceparent;
};

class Authenticator {
 public:
  // UNAUTHENTICATED for an unknown or revoked key or a bad, expired or
  // disabled operator's token, UNAVAILABLE when the credentials cannot be
  // checked now. Called once, on any thread.
  using Done = std::function<void(absl::StatusOr<Principal>)>;

  virtual ~Authenticator() = default;
  virtual void Authenticate(const AuthRequest& request, Done done) = 0;
};

// Asks identity (loyalty.identity.v1.AccessService/AuthenticateApiKey, or
// AuthenticateToken for operator tokens). Tokens are checked by identity
// rather than here: it alone holds the signing keys, and it also refuses
// tokens of operators disabled since login.
class IdentityAuthenticator final : public Authenticator {
 public:
  IdentityAuthenticator(Backend& backend, absl::Duration timeout);
  void Authenticate(const AuthRequest& request, Done done) override;

 private:
  Backend& backend_;
  absl::Duration timeout_;
};

// Remembers positive answers for `ttl` (never past the credentials' own
// expiry), keyed by a SHA-256 of the key so
// that no secret is kept in memory longer than a call. Negative answers are
// not cached: a key created a moment ago must work at once, and failures
// must not be amplified into lock-outs.
class CachingAuthenticator final : public Authenticator {
 public:
  using Clock = std::function<absl::Time()>;
  // Told about every lookup, for metrics: true on a hit.
  using LookupObserver = std::function<void(bool hit)>;

  CachingAuthenticator(Authenticator& inner, absl::Duration ttl, Clock clock = nullptr,
                       LookupObserver observer = nullptr);
  void Authenticate(const AuthRequest& request, Done done) override;

 private:
  struct Entry {
    Principal principal;
    absl::Time expires;
  };
  void Store(const std::string& fingerprint, const Principal& principal);

  Authenticator& inner_;
  absl::Duration ttl_;
  Clock clock_;
  LookupObserver observer_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

// Lower-case hex SHA-256 of the key.
std::string ApiKeyFingerprint(const std::string& api_key);

// PERMISSION_DENIED unless the principal's role is listed for the route.
// Not called for anonymous routes.
absl::Status Authorize(const Route& route, const Principal& principal);

// "ROLE_POS" for 5; the number as text for values the enum lacks.
std::string RoleName(int role);

}  // namespace loyalty::gateway
