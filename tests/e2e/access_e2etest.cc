// Operators and API keys (CLI-15) through the real gateway over HTTP: an
// operator logs in and calls with `Authorization: Bearer`; wrong password,
// unknown login and disabled operator are the same 401; failed logins are
// throttled; a disabled operator's token and a revoked key stop working;
// only admins manage keys; a POS key needs a store; another program's key
// is 404; operators change their own password with the old one.

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/identity/v1/api_keys_service.pb.h"
#include "loyalty/identity/v1/operators_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace v1 = ::loyalty::identity::v1;

constexpr char kPassword[] = "Correct-Horse-7";

class AccessTest : public SharedStackTest {
 protected:
  static std::string NewLogin(const std::string& stem) {
    return absl::StrCat(stem, ".", UniqueDigits(8), "@shop.example");
  }

  static v1::Operator NewOperator(const std::string& login, const std::string& role) {
    http::Response created = Admin(
        "POST", "/v1/operators",
        absl::StrCat(R"({"operator": {"login": ")", login, R"(", "displayName": "Op", "role": ")",
                     role, R"("}, "password": ")", kPassword, R"("})"));
    EXPECT_EQ(created.status, 200) << created.body;
    return Parse<v1::Operator>(created.body);
  }

  static http::Response Login(const std::string& login, const std::string& password,
                              const std::string& program_id = "") {
    return Send("POST", "/v1/auth:login",
                absl::StrCat(R"({"programId": ")",
                             program_id.empty() ? stack_->demo().program_id : program_id,
                             R"(", "login": ")", login, R"(", "password": ")", password, R"("})"),
                "");
  }

  static std::string TokenOf(const std::string& login) {
    http::Response response = Login(login, kPassword);
    EXPECT_EQ(response.status, 200) << response.body;
    return Parse<v1::LoginResponse>(response.body).access_token();
  }

  // Polls until `call` answers 401, for up to 15 s (the stack's credential
  // cache TTL is 1 s); returns the last status.
  template <typename Call>
  static int StatusOnceRefused(Call call) {
    const absl::Time deadline = absl::Now() + absl::Seconds(15);
    int status = 0;
    while (absl::Now() < deadline) {
      status = call().status;
      if (status == 401) break;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return status;
  }
};

TEST_F(AccessTest, OperatorLogsInAndCallsWithBearerWithinTheirRole) {
  const std::string admin_login = NewLogin("Admin");
  const v1::Operator admin = NewOperator(admin_login, "ROLE_ADMIN");
  EXPECT_EQ(admin.login(), absl::AsciiStrToLower(admin_login));

  // Logins ignore case.
  http::Response login = Login(admin_login, kPassword);
  ASSERT_EQ(login.status, 200) << login.body;
  const v1::LoginResponse session = Parse<v1::LoginResponse>(login.body);
  EXPECT_EQ(session.operator_().operator_id(), admin.operator_id());
  EXPECT_EQ(session.access_token().rfind("lt1.", 0), 0u);
  const int64_t lifetime = session.expire_time().seconds() - absl::ToUnixSeconds(absl::Now());
  EXPECT_GT(lifetime, 14 * 60);
  EXPECT_LE(lifetime, 15 * 60);

  http::Response listed = Bearer("GET", "/v1/operators?pageSize=500", "", session.access_token());
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_THAT(listed.body, HasSubstr(admin.operator_id()));
  EXPECT_THAT(listed.body, Not(HasSubstr("argon2")));

  const std::string marketer_login = NewLogin("marketer");
  NewOperator(marketer_login, "ROLE_MARKETER");
  const std::string marketer = TokenOf(marketer_login);
  EXPECT_EQ(Bearer("GET", "/v1/tags", "", marketer).status, 200);
  EXPECT_EQ(Bearer("GET", "/v1/operators", "", marketer).status, 403);
  EXPECT_EQ(Bearer("GET", "/v1/tags", "", marketer + "x").status, 401);
}

TEST_F(AccessTest, FailedLoginsLookAlikeAndDisabledOperatorsAreLockedOut) {
  const std::string login = NewLogin("vera");
  const v1::Operator vera = NewOperator(login, "ROLE_OPERATOR");
  const std::string token = TokenOf(login);
  ASSERT_EQ(Bearer("GET", "/v1/tags", "", token).status, 200);

  http::Response wrong_password = Login(login, "Wrong-Horse-7");
  http::Response unknown_login = Login(NewLogin("nobody"), kPassword);
  http::Response other_program = Login(login, kPassword, "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(wrong_password.status, 401) << wrong_password.body;
  EXPECT_EQ(unknown_login.status, 401) << unknown_login.body;
  EXPECT_EQ(other_program.status, 401) << other_program.body;
  EXPECT_EQ(wrong_password.body, unknown_login.body) << "no hint which logins exist";

  http::Response disabled = Admin("PATCH",
                                  absl::StrCat("/v1/operators/", vera.operator_id(),
                                               "?updateMask=disabled"),
                                  R"({"disabled": true, "role": "ROLE_ADMIN"})");
  ASSERT_EQ(disabled.status, 200) << disabled.body;
  EXPECT_TRUE(Parse<v1::Operator>(disabled.body).disabled());
  EXPECT_EQ(Parse<v1::Operator>(disabled.body).role(), loyalty::api::v1::ROLE_OPERATOR)
      << "only masked fields change";
  http::Response refused = Login(login, kPassword);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.body, wrong_password.body);
  EXPECT_EQ(StatusOnceRefused([&] { return Bearer("GET", "/v1/tags", "", token); }), 401)
      << "the token issued before the operator was disabled";
}

TEST_F(AccessTest, RepeatedFailuresAreThrottledPerLogin) {
  const std::string login = NewLogin("guessme");
  NewOperator(login, "ROLE_ANALYST");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Login(login, "Wrong-Horse-7").status, 401) << i;
  http::Response throttled = Login(login, kPassword);
  EXPECT_EQ(throttled.status, 429) << throttled.body;
  // Another login is not affected.
  const std::string other = NewLogin("other");
  NewOperator(other, "ROLE_ANALYST");
  EXPECT_EQ(Login(other, kPassword).status, 200);
}

TEST_F(AccessTest, OperatorsChangeTheirOwnPasswordWithTheOldOne) {
  const std::string login = NewLogin("olga");
  const v1::Operator olga = NewOperator(login, "ROLE_MARKETER");
  const v1::Operator peer = NewOperator(NewLogin("peer"), "ROLE_MARKETER");
  const std::string token = TokenOf(login);
  const std::string self = absl::StrCat("/v1/operators/", olga.operator_id(), ":setPassword");

  EXPECT_EQ(Bearer("POST", self, R"({"newPassword": "Brand-New-Pass-1"})", token).status, 400)
      << "the old password is required";
  EXPECT_EQ(Bearer("POST", self,
                   R"({"newPassword": "Brand-New-Pass-1", "oldPassword": "Wrong-Horse-7"})", token)
                .status,
            401);
  http::Response weak = Bearer(
      "POST", self, absl::StrCat(R"({"newPassword": "short", "oldPassword": ")", kPassword, "\"}"),
      token);
  EXPECT_EQ(weak.status, 400);
  EXPECT_THAT(weak.body, HasSubstr("new_password"));
  EXPECT_EQ(Bearer("POST", absl::StrCat("/v1/operators/", peer.operator_id(), ":setPassword"),
                   absl::StrCat(R"({"newPassword": "Brand-New-Pass-1", "oldPassword": ")",
                                kPassword, "\"}"),
                   token)
                .status,
            404)
      << "a marketer cannot touch another operator's password";
  http::Response changed = Bearer(
      "POST", self,
      absl::StrCat(R"({"newPassword": "Brand-New-Pass-1", "oldPassword": ")", kPassword, "\"}"),
      token);
  EXPECT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(Login(login, kPassword).status, 401);
  http::Response fresh = Login(login, "Brand-New-Pass-1");
  EXPECT_EQ(fresh.status, 200);
  // The change ends the sessions of the old password (also this one).
  EXPECT_EQ(StatusOnceRefused([&] { return Bearer("GET", "/v1/tags", "", token); }), 401)
      << "a token issued before the password change";
  EXPECT_EQ(Bearer("GET", "/v1/tags", "", Parse<v1::LoginResponse>(fresh.body).access_token())
                .status,
            200);

  // An admin sets anyone's password without the old one.
  EXPECT_EQ(Admin("POST", absl::StrCat("/v1/operators/", peer.operator_id(), ":setPassword"),
                  R"({"newPassword": "Admin-Set-Pass-2"})")
                .status,
            200);
}

TEST_F(AccessTest, OperatorInputIsCheckedFieldByField) {
  const std::string login = NewLogin("dup");
  NewOperator(login, "ROLE_ANALYST");
  http::Response clash = Admin(
      "POST", "/v1/operators",
      absl::StrCat(R"({"operator": {"login": ")", absl::AsciiStrToUpper(login),
                   R"(", "displayName": "X", "role": "ROLE_ANALYST"}, "password": ")", kPassword,
                   R"("})"));
  EXPECT_EQ(clash.status, 409) << clash.body;
  EXPECT_THAT(clash.body, HasSubstr("operator.login"));
  http::Response pos_operator = Admin(
      "POST", "/v1/operators",
      absl::StrCat(R"({"operator": {"login": ")", NewLogin("till"),
                   R"(", "displayName": "X", "role": "ROLE_POS"}, "password": ")", kPassword,
                   R"("})"));
  EXPECT_EQ(pos_operator.status, 400);
  EXPECT_THAT(pos_operator.body, HasSubstr("operator.role"));
  http::Response weak = Admin(
      "POST", "/v1/operators",
      absl::StrCat(R"({"operator": {"login": ")", NewLogin("weak"),
                   R"(", "displayName": "X", "role": "ROLE_ANALYST"}, "password": "12345"})"));
  EXPECT_EQ(weak.status, 400);
  EXPECT_THAT(weak.body, HasSubstr(R"("password")"));
}

TEST_F(AccessTest, AdminsIssueListAndRevokeKeys) {
  http::Response created =
      Admin("POST", "/v1/apiKeys", R"({"displayName": "BI export", "role": "ROLE_ANALYST"})");
  ASSERT_EQ(created.status, 200) << created.body;
  const auto key = Parse<v1::CreateProgramApiKeyResponse>(created.body);
  EXPECT_EQ(key.secret().rfind("lk_", 0), 0u);
  EXPECT_EQ(Send("GET", "/v1/tags", "", key.secret()).status, 200);
  EXPECT_EQ(Send("GET", "/v1/apiKeys", "", key.secret()).status, 403);

  http::Response listed = Admin("GET", "/v1/apiKeys?pageSize=500");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_THAT(listed.body, HasSubstr(key.api_key().api_key_id()));
  EXPECT_THAT(listed.body, Not(HasSubstr("lk_"))) << "secrets are shown once";

  // Another program's admin cannot see or revoke it.
  absl::StatusOr<admin::DemoProgram> other =
      stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/other-", UniqueDigits(6)));
  ASSERT_TRUE(other.ok()) << other.status();
  const std::string revoke = absl::StrCat("/v1/apiKeys/", key.api_key().api_key_id(), ":revoke");
  EXPECT_EQ(Send("POST", revoke, "{}", other->api_key).status, 404);
  EXPECT_THAT(Send("GET", "/v1/apiKeys?pageSize=500", "", other->api_key).body,
              Not(HasSubstr(key.api_key().api_key_id())));

  http::Response revoked = Admin("POST", revoke, "{}");
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  const v1::ApiKey first = Parse<v1::ApiKey>(revoked.body);
  ASSERT_TRUE(first.has_revoke_time());
  http::Response again = Admin("POST", revoke, "{}");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Parse<v1::ApiKey>(again.body).revoke_time().seconds(), first.revoke_time().seconds());
  EXPECT_EQ(StatusOnceRefused([&] { return Send("GET", "/v1/tags", "", key.secret()); }), 401);
}

TEST_F(AccessTest, KeysAreBoundAndOnlyAdminsIssueThem) {
  http::Response unbound_pos =
      Admin("POST", "/v1/apiKeys", R"({"displayName": "till", "role": "ROLE_POS"})");
  EXPECT_EQ(unbound_pos.status, 400) << unbound_pos.body;
  EXPECT_THAT(unbound_pos.body, HasSubstr("api_key.store_id"));
  http::Response unbound_partner =
      Admin("POST", "/v1/apiKeys", R"({"displayName": "p", "role": "ROLE_PARTNER"})");
  EXPECT_EQ(unbound_partner.status, 400);
  EXPECT_THAT(unbound_partner.body, HasSubstr("api_key.partner_id"));
  http::Response no_role = Admin("POST", "/v1/apiKeys", R"({"displayName": "p"})");
  EXPECT_EQ(no_role.status, 400);
  EXPECT_THAT(no_role.body, HasSubstr("api_key.role"));

  const std::string body = R"({"displayName": "mine", "role": "ROLE_ADMIN"})";
  EXPECT_EQ(Pos("POST", "/v1/apiKeys", body).status, 403);
  const std::string login = NewLogin("mark");
  NewOperator(login, "ROLE_MARKETER");
  EXPECT_EQ(Bearer("POST", "/v1/apiKeys", body, TokenOf(login)).status, 403);
  EXPECT_EQ(Send("POST", "/v1/apiKeys", body, "").status, 401);

  http::Response bound = Admin(
      "POST", "/v1/apiKeys",
      absl::StrCat(R"({"displayName": "till", "role": "ROLE_POS", "storeId": ")",
                   stack_->demo().store_id, R"("})"));
  ASSERT_EQ(bound.status, 200) << bound.body;
  EXPECT_EQ(Parse<v1::CreateProgramApiKeyResponse>(bound.body).api_key().store_id(),
            stack_->demo().store_id);
}

TEST_F(AccessTest, RetriedKeyCreateMakesOneKey) {
  const std::string path = absl::StrCat("/v1/apiKeys?requestId=key-", UniqueDigits(10));
  const std::string body = R"({"displayName": "retry", "role": "ROLE_ANALYST"})";
  http::Response first = Admin("POST", path, body);
  ASSERT_EQ(first.status, 200) << first.body;
  const auto created = Parse<v1::CreateProgramApiKeyResponse>(first.body);
  http::Response retry = Admin("POST", path, body);
  ASSERT_EQ(retry.status, 200) << retry.body;
  const auto replayed = Parse<v1::CreateProgramApiKeyResponse>(retry.body);
  EXPECT_EQ(replayed.api_key().api_key_id(), created.api_key().api_key_id());
  EXPECT_EQ(replayed.secret(), "") << "the secret is shown once";
  EXPECT_EQ(Send("GET", "/v1/tags", "", created.secret()).status, 200);
  http::Response reused =
      Admin("POST", path, R"({"displayName": "retry", "role": "ROLE_MARKETER"})");
  EXPECT_EQ(reused.status, 409) << reused.body;
  EXPECT_THAT(reused.body, HasSubstr("request_id"));
}

}  // namespace
}  // namespace loyalty::e2e
