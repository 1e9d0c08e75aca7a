#include "services/gateway/auth.h"

#include <optional>

#include "google/api/http.pb.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "loyalty/api/v1/auth.pb.h"
#include "loyalty/identity/v1/access_service.pb.h"
#include "services/gateway/backend.h"
#include "services/gateway/route_table.h"

namespace loyalty::gateway {
namespace {

using loyalty::api::v1::ROLE_ANALYST;
using loyalty::api::v1::ROLE_POS;
using loyalty::api::v1::ROLE_UNSPECIFIED;

// Answers synchronously from a fixed table and counts calls.
class CountingAuthenticator final : public Authenticator {
 public:
  void Authenticate(const AuthRequest& request, Done done) override {
    ++calls;
    if (request.api_key == "good") {
      Principal p;
      p.program_id = "p1";
      p.role = ROLE_POS;
      done(p);
    } else if (request.api_key == "lt1.token") {
      Principal p;
      p.program_id = "p1";
      p.role = ROLE_ANALYST;
      p.operator_id = "op-1";
      p.expire_time = token_expiry;
      done(p);
    } else if (request.api_key == "flaky") {
      done(absl::UnavailableError("identity down"));
    } else {
      done(absl::UnauthenticatedError("invalid API key"));
    }
  }
  int calls = 0;
  absl::Time token_expiry = absl::InfiniteFuture();
};

absl::StatusOr<Principal> AuthenticateNow(Authenticator& auth, const std::string& key) {
  std::optional<absl::StatusOr<Principal>> result;
  auth.Authenticate(AuthRequest{key, "", ""},
                    [&result](absl::StatusOr<Principal> r) { result = std::move(r); });
  EXPECT_TRUE(result.has_value()) << "fakes answer synchronously";
  return result.value_or(absl::InternalError("no answer"));
}

class CachingAuthenticatorTest : public ::testing::Test {
 protected:
  CachingAuthenticator MakeCache(absl::Duration ttl) {
    return CachingAuthenticator(
        inner_, ttl, [this] { return now_; }, [this](bool hit) { (hit ? hits_ : misses_)++; });
  }
  CountingAuthenticator inner_;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  int hits_ = 0;
  int misses_ = 0;
};

TEST_F(CachingAuthenticatorTest, CachesPositiveAnswersForTtl) {
  CachingAuthenticator cache = MakeCache(absl::Seconds(30));
  ASSERT_EQ(AuthenticateNow(cache, "good")->program_id, "p1");
  ASSERT_EQ(AuthenticateNow(cache, "good")->program_id, "p1");
  EXPECT_EQ(inner_.calls, 1);
  EXPECT_EQ(hits_, 1);
  EXPECT_EQ(misses_, 1);
  now_ += absl::Seconds(31);
  ASSERT_TRUE(AuthenticateNow(cache, "good").ok());
  EXPECT_EQ(inner_.calls, 2) << "expired";
}

TEST_F(CachingAuthenticatorTest, NeverCachesPastTheCredentialsExpiry) {
  inner_.token_expiry = now_ + absl::Seconds(5);
  CachingAuthenticator cache = MakeCache(absl::Seconds(30));
  ASSERT_EQ(AuthenticateNow(cache, "lt1.token")->operator_id, "op-1");
  now_ += absl::Seconds(4);
  ASSERT_TRUE(AuthenticateNow(cache, "lt1.token").ok());
  EXPECT_EQ(inner_.calls, 1);
  now_ += absl::Seconds(1);
  ASSERT_TRUE(AuthenticateNow(cache, "lt1.token").ok());
  EXPECT_EQ(inner_.calls, 2) << "the token expired, so identity is asked again";
}

TEST_F(CachingAuthenticatorTest, DoesNotCacheFailures) {
  CachingAuthenticator cache = MakeCache(absl::Seconds(30));
  EXPECT_EQ(AuthenticateNow(cache, "bad").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(AuthenticateNow(cache, "bad").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(AuthenticateNow(cache, "flaky").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(inner_.calls, 3);
  EXPECT_EQ(hits_, 0);
}

TEST_F(CachingAuthenticatorTest, ZeroTtlDisablesCache) {
  CachingAuthenticator cache = MakeCache(absl::ZeroDuration());
  EXPECT_TRUE(AuthenticateNow(cache, "good").ok());
  EXPECT_TRUE(AuthenticateNow(cache, "good").ok());
  EXPECT_EQ(inner_.calls, 2);
}

TEST(ApiKeyFingerprint, IsSha256Hex) {
  EXPECT_EQ(ApiKeyFingerprint("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_NE(ApiKeyFingerprint("abd"), ApiKeyFingerprint("abc"));
}

// Records the call and answers with a fixed status and response.
class FakeBackend final : public Backend {
 public:
  void Call(BackendCall call, Done done) override {
    last = std::move(call);
    done(status, response);
  }
  BackendCall last;
  grpc::Status status;
  std::string response;
};

TEST(IdentityAuthenticator, AsksAccessServiceAndMapsPrincipal) {
  FakeBackend backend;
  loyalty::identity::v1::Principal principal;
  principal.set_program_id("prog");
  principal.set_role(ROLE_POS);
  principal.set_store_id("s1");
  principal.set_partner_id("pa");
  principal.set_api_key_id("k1");
  backend.response = principal.SerializeAsString();
  IdentityAuthenticator auth(backend, absl::Seconds(3));
  std::optional<absl::StatusOr<Principal>> result;
  auth.Authenticate(
      AuthRequest{"secret-1", "req-1", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
      [&](absl::StatusOr<Principal> r) { result = std::move(r); });
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok()) << result->status();
  EXPECT_EQ((*result)->program_id, "prog");
  EXPECT_EQ((*result)->role, ROLE_POS);
  EXPECT_EQ((*result)->store_id, "s1");
  EXPECT_EQ((*result)->partner_id, "pa");
  EXPECT_EQ((*result)->api_key_id, "k1");

  EXPECT_EQ(backend.last.backend, "identity");
  EXPECT_EQ(backend.last.method, "/loyalty.identity.v1.AccessService/AuthenticateApiKey");
  EXPECT_EQ(backend.last.timeout, absl::Seconds(3));
  loyalty::identity::v1::AuthenticateApiKeyRequest sent;
  ASSERT_TRUE(sent.ParseFromString(backend.last.request));
  EXPECT_EQ(sent.secret(), "secret-1");
  bool has_request_id = false;
  for (const auto& [key, value] : backend.last.metadata) {
    if (key == "x-request-id") has_request_id = value == "req-1";
  }
  EXPECT_TRUE(has_request_id);
}

TEST(IdentityAuthenticator, SendsAccessTokensToAuthenticateToken) {
  FakeBackend backend;
  loyalty::identity::v1::Principal principal;
  principal.set_program_id("prog");
  principal.set_role(ROLE_ANALYST);
  principal.set_operator_id("op-7");
  principal.mutable_expire_time()->set_seconds(1800000000);
  backend.response = principal.SerializeAsString();
  IdentityAuthenticator auth(backend, absl::Seconds(3));
  absl::StatusOr<Principal> result = AuthenticateNow(auth, "lt1.abc.def");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->operator_id, "op-7");
  EXPECT_EQ(result->api_key_id, "");
  EXPECT_EQ(result->expire_time, absl::FromUnixSeconds(1800000000));
  EXPECT_EQ(backend.last.method, "/loyalty.identity.v1.AccessService/AuthenticateToken");
  loyalty::identity::v1::AuthenticateTokenRequest sent;
  ASSERT_TRUE(sent.ParseFromString(backend.last.request));
  EXPECT_EQ(sent.token(), "lt1.abc.def");

  backend.status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "expired");
  absl::Status expired = AuthenticateNow(auth, "lt1.abc.def").status();
  EXPECT_EQ(expired.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(expired.message(), "invalid or expired access token");
}

TEST(IdentityAuthenticator, MapsFailures) {
  FakeBackend backend;
  IdentityAuthenticator auth(backend, absl::Seconds(1));
  backend.status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "unknown key");
  EXPECT_EQ(AuthenticateNow(auth, "x").status().code(), absl::StatusCode::kUnauthenticated);
  backend.status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
  EXPECT_EQ(AuthenticateNow(auth, "x").status().code(), absl::StatusCode::kUnavailable);
  backend.status = grpc::Status::OK;
  backend.response = "";  // no program
  EXPECT_EQ(AuthenticateNow(auth, "x").status().code(), absl::StatusCode::kUnavailable);
}

Route RouteFor(absl::string_view method_name) {
  const auto* method = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
      std::string(method_name));
  EXPECT_NE(method, nullptr);
  google::api::HttpRule rule;
  rule.set_get("/x");
  return MakeRoute(method, rule, "x").value();
}

TEST(Authorize, RolesFromTheAccessOption) {
  Route get_card = RouteFor("loyalty.cards.v1.CardsService.GetCard");
  Principal principal;
  principal.role = ROLE_POS;
  EXPECT_TRUE(Authorize(get_card, principal).ok());
  principal.role = ROLE_ANALYST;
  absl::Status denied = Authorize(get_card, principal);
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(),
            "role ROLE_ANALYST may not call loyalty.cards.v1.CardsService.GetCard");
  principal.role = ROLE_UNSPECIFIED;
  EXPECT_FALSE(Authorize(get_card, principal).ok());
}

TEST(Authorize, DeniesMethodsWithoutAccessOption) {
  Route internal = RouteFor("loyalty.identity.v1.AccessService.GetProgram");
  Principal principal;
  principal.role = loyalty::api::v1::ROLE_ADMIN;
  EXPECT_EQ(Authorize(internal, principal).code(), absl::StatusCode::kPermissionDenied);
}

TEST(Authorize, LoginIsTheAnonymousRoute) {
  Route login = RouteFor("loyalty.identity.v1.OperatorsService.Login");
  EXPECT_TRUE(login.allow_anonymous);
  EXPECT_TRUE(login.allowed_roles.empty());
  EXPECT_FALSE(RouteFor("loyalty.identity.v1.OperatorsService.CreateOperator").allow_anonymous);
}

TEST(RoleName, EnumNames) {
  EXPECT_EQ(RoleName(ROLE_POS), "ROLE_POS");
  EXPECT_EQ(RoleName(99), "99");
}

}  // namespace
}  // namespace loyalty::gateway
