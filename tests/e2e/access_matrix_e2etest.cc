// The role x route matrix through the real gateway: every HTTP route the
// gateway builds from the descriptors (not a hand-written list) is called
// with credentials of every role (operator tokens for admin, marketer,
// operator and analyst; store- and partner-bound API keys for pos and
// partner) and without any. A role the route's (loyalty.api.v1.access)
// option does not list gets 403; a listed role never gets 401 or 403
// (whatever else a harmless request with made-up ids earns); no credentials
// get 401, except on anonymous routes.

#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "loyalty/api/v1/auth.pb.h"
#include "loyalty/identity/v1/api_keys_service.pb.h"
#include "loyalty/identity/v1/operators_service.pb.h"
#include "services/gateway/route_table.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

namespace v1 = ::loyalty::identity::v1;
using loyalty::api::v1::Role;

// A well-formed id that names nothing, for every path variable.
constexpr char kNoSuchId[] = "00000000-0000-4000-8000-00000000abcd";
constexpr char kPassword[] = "Matrix-Pass-42";

// A concrete path for a route template: literals kept, variables filled.
std::string ConcretePath(const gateway::Route& route) {
  std::vector<std::string> segments;
  for (const gateway::PathTemplate::Segment& segment : route.path.segments()) {
    segments.push_back(segment.kind == gateway::PathTemplate::SegmentKind::kLiteral
                           ? segment.literal
                           : std::string(kNoSuchId));
  }
  std::string path = absl::StrCat("/", absl::StrJoin(segments, "/"));
  if (!route.path.verb().empty()) absl::StrAppend(&path, ":", route.path.verb());
  return path;
}

class AccessMatrixTest : public SharedStackTest {
 protected:
  struct Credential {
    std::string secret;
    bool bearer = false;  // operator token in Authorization, else x-api-key
  };

  static http::Response Call(const gateway::Route& route, const Credential* credential) {
    const bool has_body = !route.body.empty();
    http::Request request{.method = route.http_method,
                          .url = stack_->gateway_url() + ConcretePath(route),
                          .body = has_body ? "{}" : ""};
    if (credential != nullptr) {
      if (credential->bearer) {
        request.headers.emplace_back("authorization", absl::StrCat("Bearer ", credential->secret));
      } else {
        request.headers.emplace_back("x-api-key", credential->secret);
      }
    }
    absl::StatusOr<http::Response> response = http::Send(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::Response{};
  }

  static Credential OperatorToken(Role role) {
    const std::string login =
        absl::StrCat("matrix-", api::v1::Role_Name(role), "-", UniqueDigits(6));
    http::Response created = Admin(
        "POST", "/v1/operators",
        absl::StrCat(R"({"operator": {"login": ")", login, R"(", "displayName": "M", "role": ")",
                     api::v1::Role_Name(role), R"("}, "password": ")", kPassword, R"("})"));
    EXPECT_EQ(created.status, 200) << created.body;
    http::Response login_response =
        Send("POST", "/v1/auth:login",
             absl::StrCat(R"({"programId": ")", stack_->demo().program_id, R"(", "login": ")",
                          login, R"(", "password": ")", kPassword, R"("})"),
             "");
    EXPECT_EQ(login_response.status, 200) << login_response.body;
    return Credential{Parse<v1::LoginResponse>(login_response.body).access_token(), true};
  }

  static Credential BoundKey(Role role, const std::string& binding) {
    http::Response created =
        Admin("POST", "/v1/apiKeys",
              absl::StrCat(R"({"displayName": "matrix", "role": ")", api::v1::Role_Name(role),
                           R"(", ")", role == api::v1::ROLE_POS ? "storeId" : "partnerId",
                           R"(": ")", binding, R"("})"));
    EXPECT_EQ(created.status, 200) << created.body;
    return Credential{Parse<v1::CreateProgramApiKeyResponse>(created.body).secret(), false};
  }
};

TEST_F(AccessMatrixTest, EveryRouteAnswersEveryRoleAsItsAccessOptionSays) {
  absl::StatusOr<gateway::RouteTable> table =
      gateway::BuildRouteTable(gateway::LinkedLoyaltyServices());
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_GT(table->routes().size(), 50u) << "the descriptors are linked in";

  std::map<Role, Credential> credentials = {
      {api::v1::ROLE_ADMIN, OperatorToken(api::v1::ROLE_ADMIN)},
      {api::v1::ROLE_MARKETER, OperatorToken(api::v1::ROLE_MARKETER)},
      {api::v1::ROLE_OPERATOR, OperatorToken(api::v1::ROLE_OPERATOR)},
      {api::v1::ROLE_ANALYST, OperatorToken(api::v1::ROLE_ANALYST)},
      {api::v1::ROLE_POS, BoundKey(api::v1::ROLE_POS, stack_->demo().store_id)},
      {api::v1::ROLE_PARTNER, BoundKey(api::v1::ROLE_PARTNER, "matrix-partner")},
  };
  // Every role of the enum is covered, so a new role cannot be skipped.
  ASSERT_EQ(credentials.size(),
            static_cast<size_t>(api::v1::Role_descriptor()->value_count() - 1));

  int calls = 0;
  for (const gateway::Route& route : table->routes()) {
    const std::string label =
        absl::StrCat(route.http_method, " ", route.path.text(), " (", route.method->name(), ")");
    http::Response anonymous = Call(route, nullptr);
    ++calls;
    if (route.allow_anonymous) {
      EXPECT_NE(anonymous.status, 401) << label << ": " << anonymous.body;
      EXPECT_NE(anonymous.status, 403) << label << ": " << anonymous.body;
    } else {
      EXPECT_EQ(anonymous.status, 401) << label << ": " << anonymous.body;
    }
    for (const auto& [role, credential] : credentials) {
      const bool allowed = route.allow_anonymous ||
                           std::find(route.allowed_roles.begin(), route.allowed_roles.end(),
                                     role) != route.allowed_roles.end();
      http::Response response = Call(route, &credential);
      ++calls;
      const std::string who = absl::StrCat(label, " as ", api::v1::Role_Name(role), ": ");
      if (allowed) {
        EXPECT_NE(response.status, 401) << who << response.body;
        EXPECT_NE(response.status, 403) << who << response.body;
      } else {
        EXPECT_EQ(response.status, 403) << who << response.body;
      }
    }
  }
  EXPECT_EQ(calls, static_cast<int>(table->routes().size() * (credentials.size() + 1)));
}

}  // namespace
}  // namespace loyalty::e2e
