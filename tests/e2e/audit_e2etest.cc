// The audit log (CLI-13) through the real gateway over HTTP: an operator
// (Bearer token from POST /v1/auth:login) and an API key change a client,
// and the client's log shows who did what, newest first, with the changed
// fields before and after; a retried registration is one entry; the
// program's log filters by actor; who may read which log; bad filters are
// 400 naming the field; another program's client is 404.

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "loyalty/identity/v1/api_keys_service.pb.h"
#include "loyalty/identity/v1/audit_service.pb.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "loyalty/identity/v1/operators_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::loyalty::identity::v1;

constexpr char kPassword[] = "Correct-Horse-7";

class AuditTest : public SharedStackTest {
 protected:
  // A new operator of the demo program with `role`, and their access token.
  static std::pair<v1::Operator, std::string> SignedInOperator(const std::string& role) {
    const std::string login = absl::StrCat("audit.", UniqueDigits(8), "@shop.example");
    http::Response created = Admin(
        "POST", "/v1/operators",
        absl::StrCat(R"({"operator": {"login": ")", login, R"(", "displayName": "Olga", "role": ")",
                     role, R"("}, "password": ")", kPassword, R"("})"));
    EXPECT_EQ(created.status, 200) << created.body;
    http::Response login_response =
        Send("POST", "/v1/auth:login",
             absl::StrCat(R"({"programId": ")", stack_->demo().program_id, R"(", "login": ")",
                          login, R"(", "password": ")", kPassword, R"("})"),
             "");
    EXPECT_EQ(login_response.status, 200) << login_response.body;
    return {Parse<v1::Operator>(created.body),
            Parse<v1::LoginResponse>(login_response.body).access_token()};
  }

  // An entry's before or after, parsed.
  static google::protobuf::Struct Fields(const std::string& json) {
    return Parse<google::protobuf::Struct>(json);
  }

  static std::string Text(const google::protobuf::Struct& fields, const std::string& name) {
    auto it = fields.fields().find(name);
    return it == fields.fields().end() ? "<absent>" : it->second.string_value();
  }
};

TEST_F(AuditTest, AClientsLogShowsWhoChangedWhatBeforeAndAfter) {
  const auto [op, token] = SignedInOperator("ROLE_OPERATOR");
  // An API key of our own, so that its id is known.
  http::Response key_response =
      Admin("POST", "/v1/apiKeys", R"({"displayName": "crm sync", "role": "ROLE_OPERATOR"})");
  ASSERT_EQ(key_response.status, 200) << key_response.body;
  const auto key = Parse<v1::CreateProgramApiKeyResponse>(key_response.body);

  // Registered with the key, retried with the same request id.
  const std::string phone = absl::StrCat("+7916", UniqueDigits(7));
  const std::string registration =
      absl::StrCat(R"({"firstName": "Anna", "phone": ")", phone, R"(", "city": "Omsk"})");
  const std::string clients = absl::StrCat("/v1/clients?requestId=audit-", UniqueDigits(8));
  http::Response registered = Send("POST", clients, registration, key.secret());
  ASSERT_EQ(registered.status, 200) << registered.body;
  http::Response retried = Send("POST", clients, registration, key.secret());
  ASSERT_EQ(retried.status, 200) << retried.body;
  const auto client = Parse<v1::Client>(registered.body);
  ASSERT_EQ(Parse<v1::Client>(retried.body).client_id(), client.client_id());

  // The operator moves the client to Tomsk, the key renames them.
  http::Response moved =
      Bearer("PATCH", absl::StrCat("/v1/clients/", client.client_id(), "?updateMask=city"),
             R"({"city": "Tomsk"})", token);
  ASSERT_EQ(moved.status, 200) << moved.body;
  http::Response renamed =
      Send("PATCH", absl::StrCat("/v1/clients/", client.client_id(), "?updateMask=lastName"),
           R"({"lastName": "Petrova"})", key.secret());
  ASSERT_EQ(renamed.status, 200) << renamed.body;

  // The operator reads the client's log: newest first.
  http::Response log =
      Bearer("GET", absl::StrCat("/v1/clients/", client.client_id(), "/auditEntries"), "", token);
  ASSERT_EQ(log.status, 200) << log.body;
  const auto entries = Parse<v1::ListAuditEntriesResponse>(log.body);
  ASSERT_EQ(entries.entries_size(), 3) << log.body;

  const v1::AuditEntry& rename = entries.entries(0);
  EXPECT_EQ(rename.action(), "client.update");
  EXPECT_EQ(rename.actor().kind(), v1::ACTOR_KIND_API_KEY);
  EXPECT_EQ(rename.actor().principal_id(), key.api_key().api_key_id());
  EXPECT_EQ(rename.actor().role(), api::v1::ROLE_OPERATOR);
  EXPECT_EQ(Text(Fields(rename.before()), "last_name"), "");
  EXPECT_EQ(Text(Fields(rename.after()), "last_name"), "Petrova");
  EXPECT_EQ(Fields(rename.after()).fields_size(), 1);
  EXPECT_EQ(rename.request_id(), renamed.headers["x-request-id"]);

  const v1::AuditEntry& move = entries.entries(1);
  EXPECT_EQ(move.action(), "client.update");
  EXPECT_EQ(move.actor().kind(), v1::ACTOR_KIND_OPERATOR);
  EXPECT_EQ(move.actor().principal_id(), op.operator_id());
  EXPECT_EQ(move.actor().role(), api::v1::ROLE_OPERATOR);
  EXPECT_EQ(Text(Fields(move.before()), "city"), "Omsk");
  EXPECT_EQ(Text(Fields(move.after()), "city"), "Tomsk");
  EXPECT_EQ(move.object_type(), "client");
  EXPECT_EQ(move.object_id(), client.client_id());
  EXPECT_EQ(move.trace_id().size(), 32u);

  const v1::AuditEntry& create = entries.entries(2);
  EXPECT_EQ(create.action(), "client.create");
  EXPECT_EQ(create.actor().principal_id(), key.api_key().api_key_id());
  EXPECT_EQ(create.before(), "");
  EXPECT_EQ(Text(Fields(create.after()), "phone"), phone);
  EXPECT_LE(create.record_time().seconds(), move.record_time().seconds());

  // Filtered by action and paged.
  http::Response updates = Bearer("GET",
                                  absl::StrCat("/v1/clients/", client.client_id(),
                                               "/auditEntries?action=client.update&pageSize=1"),
                                  "", token);
  ASSERT_EQ(updates.status, 200) << updates.body;
  const auto first_page = Parse<v1::ListAuditEntriesResponse>(updates.body);
  ASSERT_EQ(first_page.entries_size(), 1);
  EXPECT_EQ(first_page.entries(0).entry_id(), rename.entry_id());
  http::Response next = Bearer(
      "GET",
      absl::StrCat(
          "/v1/clients/", client.client_id(),
          "/auditEntries?action=client.update&pageSize=1&pageToken=", first_page.next_page_token()),
      "", token);
  ASSERT_EQ(next.status, 200) << next.body;
  const auto second_page = Parse<v1::ListAuditEntriesResponse>(next.body);
  ASSERT_EQ(second_page.entries_size(), 1);
  EXPECT_EQ(second_page.entries(0).entry_id(), move.entry_id());
  EXPECT_EQ(second_page.next_page_token(), "");

  // The program's log, filtered by actor, for the admin.
  http::Response by_operator =
      Admin("GET", absl::StrCat("/v1/auditEntries?actorId=", op.operator_id()));
  ASSERT_EQ(by_operator.status, 200) << by_operator.body;
  const auto operator_entries = Parse<v1::ListAuditEntriesResponse>(by_operator.body);
  ASSERT_EQ(operator_entries.entries_size(), 1) << by_operator.body;
  EXPECT_EQ(operator_entries.entries(0).entry_id(), move.entry_id());

  // The admin key's own change: the key it made.
  http::Response key_entries =
      Admin("GET", absl::StrCat("/v1/auditEntries?objectType=api_key&action=api_key.create"));
  ASSERT_EQ(key_entries.status, 200) << key_entries.body;
  const auto made = Parse<v1::ListAuditEntriesResponse>(key_entries.body);
  ASSERT_GE(made.entries_size(), 1);
  EXPECT_EQ(made.entries(0).object_id(), key.api_key().api_key_id());
  EXPECT_THAT(made.entries(0).after(), HasSubstr("crm sync"));
  EXPECT_THAT(made.entries(0).after(), ::testing::Not(HasSubstr(key.secret())));
}

TEST_F(AuditTest, WhoMayReadWhichLog) {
  const auto [op, token] = SignedInOperator("ROLE_OPERATOR");
  const auto [marketer, marketer_token] = SignedInOperator("ROLE_MARKETER");
  http::Response registered =
      Admin("POST", "/v1/clients",
            absl::StrCat(R"({"phone": "+7916)", UniqueDigits(7), R"("})"));
  ASSERT_EQ(registered.status, 200) << registered.body;
  const std::string path =
      absl::StrCat("/v1/clients/", Parse<v1::Client>(registered.body).client_id(), "/auditEntries");

  EXPECT_EQ(Admin("GET", path).status, 200);
  EXPECT_EQ(Bearer("GET", path, "", token).status, 200);
  EXPECT_EQ(Bearer("GET", path, "", marketer_token).status, 403);
  EXPECT_EQ(Pos("GET", path).status, 403);
  EXPECT_EQ(Admin("GET", "/v1/auditEntries").status, 200);
  EXPECT_EQ(Bearer("GET", "/v1/auditEntries", "", token).status, 403);
  EXPECT_EQ(Pos("GET", "/v1/auditEntries").status, 403);
  // The log has no route that changes it.
  EXPECT_EQ(Admin("DELETE", "/v1/auditEntries").status, 405);
}

TEST_F(AuditTest, BadFiltersAre400NamingTheFieldAndStrangersAre404) {
  http::Response malformed = Admin("GET", "/v1/clients/not-a-uuid/auditEntries");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_THAT(malformed.body, HasSubstr("client_id"));
  http::Response page = Admin("GET", "/v1/auditEntries?pageSize=100000");
  EXPECT_EQ(page.status, 400);
  EXPECT_THAT(page.body, HasSubstr("page_size"));
  http::Response token = Admin("GET", "/v1/auditEntries?pageToken=nonsense");
  EXPECT_EQ(token.status, 400);
  EXPECT_THAT(token.body, HasSubstr("page_token"));
  http::Response range =
      Admin("GET", "/v1/auditEntries?startTime=2026-01-02T00:00:00Z&endTime=2026-01-01T00:00:00Z");
  EXPECT_EQ(range.status, 400);
  EXPECT_THAT(range.body, HasSubstr("end_time"));
  // A well-formed id of no client of this program.
  http::Response stranger =
      Admin("GET", "/v1/clients/9b2f3c1e-5a4d-4e6f-8a7b-0c1d2e3f4a5b/auditEntries");
  EXPECT_EQ(stranger.status, 404);
}

}  // namespace
}  // namespace loyalty::e2e
