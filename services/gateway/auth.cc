#include "services/gateway/auth.h"

#include <algorithm>
#include <openssl/evp.h>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "libs/rpc/call_context.h"
#include "loyalty/api/v1/auth.pb.h"
#include "loyalty/identity/v1/access_service.pb.h"
#include "services/gateway/backend.h"
#include "services/gateway/route_table.h"

namespace loyalty::gateway {
namespace {

// Bounds memory when many distinct keys are presented (e.g. a scan with
// random keys only reaches here after a positive answer, but be safe).
constexpr size_t kMaxCacheEntries = 100000;

constexpr char kAuthenticateKeyMethod[] =
    "/loyalty.identity.v1.AccessService/AuthenticateApiKey";
constexpr char kAuthenticateTokenMethod[] =
    "/loyalty.identity.v1.AccessService/AuthenticateToken";

}  // namespace

IdentityAuthenticator::IdentityAuthenticator(Backend& backend, absl::Duration timeout)
    : backend_(backend), timeout_(timeout) {}

void IdentityAuthenticator::Authenticate(const AuthRequest& request, Done done) {
  const bool token = absl::StartsWith(request.api_key, kAccessTokenPrefix);
  BackendCall call;
  call.backend = "identity";
  if (token) {
    loyalty::identity::v1::AuthenticateTokenRequest message;
    message.set_token(request.api_key);
    call.method = kAuthenticateTokenMethod;
    call.request = message.SerializeAsString();
  } else {
    loyalty::identity::v1::AuthenticateApiKeyRequest message;
    message.set_secret(request.api_key);
    call.method = kAuthenticateKeyMethod;
    call.request = message.SerializeAsString();
  }
  call.timeout = timeout_;
  if (!request.request_id.empty()) {
    call.metadata.emplace_back(std::string(loyalty::rpc::kRequestIdKey), request.request_id);
  }
  if (!request.traceparent.empty()) {
    call.metadata.emplace_back(std::string(loyalty::rpc::kTraceParentKey), request.traceparent);
  }
  backend_.Call(std::move(call),
                [token, done = std::move(done)](const grpc::Status& status,
                                                const std::string& response) {
                  switch (status.error_code()) {
                    case grpc::StatusCode::OK:
                      break;
                    case grpc::StatusCode::UNAUTHENTICATED:
                    case grpc::StatusCode::NOT_FOUND:
                    case grpc::StatusCode::PERMISSION_DENIED:
                    case grpc::StatusCode::INVALID_ARGUMENT:
                      done(absl::UnauthenticatedError(token ? "invalid or expired access token"
                                                            : "invalid API key"));
                      return;
                    default:
                      done(absl::UnavailableError(absl::StrCat(
                          "credentials cannot be checked now: identity answered ",
                          static_cast<int>(status.error_code()), " ", status.error_message())));
                      return;
                  }
                  loyalty::identity::v1::Principal parsed;
                  if (!parsed.ParseFromString(response) || parsed.program_id().empty()) {
                    done(absl::UnavailableError("identity returned an unusable principal"));
                    return;
                  }
                  Principal principal;
                  principal.program_id = parsed.program_id();
                  principal.role = parsed.role();
                  principal.store_id = parsed.store_id();
                  principal.partner_id = parsed.partner_id();
                  principal.api_key_id = parsed.api_key_id();
                  principal.operator_id = parsed.operator_id();
                  if (parsed.has_expire_time()) {
                    principal.expire_time = absl::FromUnixSeconds(parsed.expire_time().seconds()) +
                                            absl::Nanoseconds(parsed.expire_time().nanos());
                  }
                  done(std::move(principal));
                });
}

CachingAuthenticator::CachingAuthenticator(Authenticator& inner, absl::Duration ttl, Clock clock,
                                           LookupObserver observer)
    : inner_(inner),
      ttl_(ttl),
      clock_(clock ? std::move(clock) : Clock([] { return absl::Now(); })),
      observer_(std::move(observer)) {}

void CachingAuthenticator::Authenticate(const AuthRequest& request, Done done) {
  std::string fingerprint = ApiKeyFingerprint(request.api_key);
  if (ttl_ > absl::ZeroDuration()) {
    std::optional<Principal> cached;
    absl::Time now = clock_();
    {
      absl::MutexLock lock(&mu_);
      auto it = entries_.find(fingerprint);
      if (it != entries_.end() && it->second.expires > now) cached = it->second.principal;
    }
    if (cached) {
      if (observer_) observer_(true);
      done(*std::move(cached));
      return;
    }
  }
  if (observer_) observer_(false);
  inner_.Authenticate(request, [this, fingerprint = std::move(fingerprint),
                                done = std::move(done)](absl::StatusOr<Principal> result) {
    if (result.ok() && ttl_ > absl::ZeroDuration()) Store(fingerprint, *result);
    done(std::move(result));
  });
}

void CachingAuthenticator::Store(const std::string& fingerprint, const Principal& principal) {
  absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  if (entries_.size() >= kMaxCacheEntries) {
    absl::erase_if(entries_, [now](const auto& entry) { return entry.second.expires <= now; });
    if (entries_.size() >= kMaxCacheEntries) entries_.clear();
  }
  entries_[fingerprint] = Entry{principal, std::min(now + ttl_, principal.expire_time)};
}

std::string ApiKeyFingerprint(const std::string& api_key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(api_key.data(), api_key.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(static_cast<size_t>(size) * 2);
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

absl::Status Authorize(const Route& route, const Principal& principal) {
  bool allowed = principal.role != loyalty::api::v1::ROLE_UNSPECIFIED &&
                 std::find(route.allowed_roles.begin(), route.allowed_roles.end(),
                           principal.role) != route.allowed_roles.end();
  if (allowed) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("role ", RoleName(principal.role), " may not call ", route.method->full_name()));
}

std::string RoleName(int role) {
  const google::protobuf::EnumValueDescriptor* value =
      loyalty::api::v1::Role_descriptor()->FindValueByNumber(role);
  return value != nullptr ? value->name() : absl::StrCat(role);
}

}  // namespace loyalty::gateway
