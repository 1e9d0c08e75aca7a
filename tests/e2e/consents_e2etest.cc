// Consents (CLI-3) and contact verification (CLI-5) through the real
// gateway over HTTP: recording and reading consents with their history
// order, registration's record and the Client.marketing_consent projection,
// idempotent retries, bad input (400 naming the field, nothing stored),
// another program's client (404); a verification code read from the
// notifications provider's pickup directory (never from identity), a wrong
// code, expiry (the stack runs identity with an 8 s code lifetime) and the
// resend limit (429).

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "libs/rpc/channel.h"
#include "loyalty/identity/v1/access_service.grpc.pb.h"
#include "loyalty/identity/v1/consents_service.pb.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::loyalty::identity::v1;

class ConsentsTest : public SharedStackTest {
 protected:
  static v1::Client NewClient(const std::string& phone, bool marketing) {
    http::Response client = Admin(
        "POST", "/v1/clients",
        absl::StrCat(R"({"phone": ")", phone, R"(", "marketingConsent": )",
                     marketing ? "true" : "false", "}"));
    EXPECT_EQ(client.status, 200) << client.body;
    return Parse<v1::Client>(client.body);
  }

  // A key of the demo program in `role`, made through identity directly.
  static std::string NewKey(api::v1::Role role) {
    auto access = v1::AccessService::NewStub(rpc::DialService(stack_->GrpcAddress("identity")));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::CreateApiKeyRequest request;
    request.set_program_id(stack_->demo().program_id);
    request.set_display_name("consents e2e");
    request.set_role(role);
    v1::CreateApiKeyResponse response;
    grpc::Status status = access->CreateApiKey(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.secret();
  }

  static std::string NewPhone() { return absl::StrCat("+7916", UniqueDigits(7)); }

  static std::string ConsentsPath(const std::string& client_id) {
    return absl::StrCat("/v1/clients/", client_id, "/consents");
  }

  // The code in the message the provider got for `recipient`, polled for
  // up to 10 s; empty when none arrived.
  static std::string ReceivedCode(const std::string& recipient) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      for (const auto& entry : std::filesystem::directory_iterator(stack_->pickup_dir())) {
        if (entry.path().extension() != ".msg") continue;
        std::ifstream in(entry.path());
        std::stringstream content;
        content << in.rdbuf();
        const std::string text = content.str();
        if (text.find(absl::StrCat("to: ", recipient, "\n")) == std::string::npos) continue;
        // "code: " and six digits (std::regex trips GCC 12's
        // maybe-uninitialized warning under the sanitizers).
        const size_t at = text.find("code: ");
        if (at == std::string::npos) continue;
        const std::string code = text.substr(at + 6, 6);
        if (code.size() == 6 && std::all_of(code.begin(), code.end(), absl::ascii_isdigit)) {
          return code;
        }
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return "";
  }

  static http::Response StartVerification(const std::string& client_id,
                                          const std::string& channel) {
    return Admin("POST", absl::StrCat("/v1/clients/", client_id, "/verifications"),
                 absl::StrCat(R"({"channel": ")", channel, R"("})"));
  }

  static http::Response Confirm(const v1::Verification& verification, const std::string& code) {
    return Admin("POST",
                 absl::StrCat("/v1/clients/", verification.client_id(), "/verifications/",
                              verification.verification_id(), ":confirm"),
                 absl::StrCat(R"({"code": ")", code, R"("})"));
  }
};

TEST_F(ConsentsTest, RegistrationRecordsMarketingConsent) {
  const v1::Client client = NewClient(NewPhone(), true);
  EXPECT_TRUE(client.marketing_consent());
  http::Response read = Admin("GET", ConsentsPath(client.client_id()));
  ASSERT_EQ(read.status, 200) << read.body;
  const auto consents = Parse<v1::ClientConsents>(read.body);
  ASSERT_EQ(consents.history_size(), 1);
  EXPECT_EQ(consents.history(0).kind(), v1::CONSENT_KIND_MARKETING);
  EXPECT_TRUE(consents.history(0).given());
  EXPECT_EQ(consents.history(0).source(), v1::CONSENT_SOURCE_REGISTRATION);
  EXPECT_EQ(consents.history(0).recorded_by_role(), "ROLE_ADMIN");
  EXPECT_FALSE(consents.history(0).recorded_by_principal_id().empty());
  ASSERT_EQ(consents.current_size(), 1);
}

TEST_F(ConsentsTest, RecordReadHistoryAndProjection) {
  const v1::Client client = NewClient(NewPhone(), false);
  const std::string path = ConsentsPath(client.client_id());
  const std::string give = absl::StrCat(R"({"requestId": "c-)", UniqueDigits(10), R"(",
      "changes": [
      {"kind": "CONSENT_KIND_MARKETING", "given": true, "source": "CONSENT_SOURCE_POS",
       "textVersion": "offer-2026-01"},
      {"kind": "CONSENT_KIND_SMS_SUBSCRIPTION", "given": true, "source": "CONSENT_SOURCE_POS",
       "textVersion": "sms-1"}]})");
  // At the till: the POS key records.
  http::Response given = Pos("POST", path, give);
  ASSERT_EQ(given.status, 200) << given.body;
  const auto written = Parse<v1::ClientConsents>(given.body);
  ASSERT_EQ(written.history_size(), 2);
  EXPECT_EQ(written.history(0).recorded_by_role(), "ROLE_POS");
  EXPECT_EQ(written.current_size(), 2);
  // A retry writes nothing more.
  http::Response retry = Pos("POST", path, give);
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(Parse<v1::ClientConsents>(retry.body).history(0).record_id(),
            written.history(0).record_id());

  http::Response profile = Admin("GET", absl::StrCat("/v1/clients/", client.client_id()));
  ASSERT_EQ(profile.status, 200) << profile.body;
  EXPECT_TRUE(Parse<v1::Client>(profile.body).marketing_consent());

  http::Response withdrawn = Admin("POST", ConsentsPath(client.client_id()), R"({"changes": [
      {"kind": "CONSENT_KIND_MARKETING", "given": false, "source": "CONSENT_SOURCE_OPERATOR"}]})");
  ASSERT_EQ(withdrawn.status, 200) << withdrawn.body;
  profile = Admin("GET", absl::StrCat("/v1/clients/", client.client_id()));
  EXPECT_FALSE(Parse<v1::Client>(profile.body).marketing_consent());

  http::Response read = Admin("GET", ConsentsPath(client.client_id()) + "?pageSize=2");
  ASSERT_EQ(read.status, 200) << read.body;
  const auto page = Parse<v1::ClientConsents>(read.body);
  // Newest first: the withdrawal, then the till's second change.
  ASSERT_EQ(page.history_size(), 2);
  EXPECT_EQ(page.history(0).kind(), v1::CONSENT_KIND_MARKETING);
  EXPECT_FALSE(page.history(0).given());
  EXPECT_EQ(page.history(0).source(), v1::CONSENT_SOURCE_OPERATOR);
  EXPECT_EQ(page.history(1).record_id(), written.history(1).record_id());
  ASSERT_FALSE(page.next_page_token().empty());
  http::Response rest = Admin("GET", ConsentsPath(client.client_id()) +
                                         "?pageSize=2&pageToken=" + page.next_page_token());
  ASSERT_EQ(rest.status, 200) << rest.body;
  ASSERT_EQ(Parse<v1::ClientConsents>(rest.body).history_size(), 1);
  EXPECT_EQ(Parse<v1::ClientConsents>(rest.body).history(0).record_id(),
            written.history(0).record_id());
  int given_now = 0;
  for (const auto& record : page.current()) given_now += record.given() ? 1 : 0;
  EXPECT_EQ(page.current_size(), 2);
  EXPECT_EQ(given_now, 1);  // SMS subscription only
}

TEST_F(ConsentsTest, MarketersAndAnalystsOnlyRead) {
  const v1::Client client = NewClient(NewPhone(), true);
  const std::string path = ConsentsPath(client.client_id());
  const std::string withdraw = R"({"changes": [
      {"kind": "CONSENT_KIND_MARKETING", "given": false, "source": "CONSENT_SOURCE_API"}]})";
  for (api::v1::Role role : {api::v1::ROLE_MARKETER, api::v1::ROLE_ANALYST}) {
    const std::string key = NewKey(role);
    EXPECT_EQ(Send("GET", path, "", key).status, 200) << api::v1::Role_Name(role);
    EXPECT_EQ(Send("POST", path, withdraw, key).status, 403) << api::v1::Role_Name(role);
  }
  http::Response profile = Admin("GET", absl::StrCat("/v1/clients/", client.client_id()));
  EXPECT_TRUE(Parse<v1::Client>(profile.body).marketing_consent());
}

TEST_F(ConsentsTest, BadInputIsRefusedAndNothingIsStored) {
  const v1::Client client = NewClient(NewPhone(), false);
  const std::string path = ConsentsPath(client.client_id());
  http::Response unversioned = Admin("POST", path, R"({"changes": [
      {"kind": "CONSENT_KIND_THIRD_PARTY_TRANSFER", "given": false, "source": "CONSENT_SOURCE_API"},
      {"kind": "CONSENT_KIND_MARKETING", "given": true, "source": "CONSENT_SOURCE_API"}]})");
  EXPECT_EQ(unversioned.status, 400) << unversioned.body;
  EXPECT_THAT(unversioned.body, HasSubstr("changes[1].text_version"));
  http::Response no_kind = Admin("POST", path, R"({"changes": [
      {"given": true, "source": "CONSENT_SOURCE_API", "textVersion": "v1"}]})");
  EXPECT_EQ(no_kind.status, 400) << no_kind.body;
  EXPECT_THAT(no_kind.body, HasSubstr("changes[0].kind"));
  http::Response registration = Admin("POST", path, R"({"changes": [
      {"kind": "CONSENT_KIND_MARKETING", "given": true, "source": "CONSENT_SOURCE_REGISTRATION",
       "textVersion": "v1"}]})");
  EXPECT_EQ(registration.status, 400) << registration.body;
  EXPECT_THAT(registration.body, HasSubstr("changes[0].source"));
  EXPECT_EQ(Admin("POST", path, R"({"changes": []})").status, 400);

  http::Response read = Admin("GET", path);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(Parse<v1::ClientConsents>(read.body).history_size(), 0);

  http::Response bad_channel = StartVerification(client.client_id(), "VERIFICATION_CHANNEL_UNSPECIFIED");
  EXPECT_EQ(bad_channel.status, 400) << bad_channel.body;
  EXPECT_THAT(bad_channel.body, HasSubstr("channel"));
  // The client has no e-mail.
  http::Response no_email = StartVerification(client.client_id(), "VERIFICATION_CHANNEL_EMAIL");
  EXPECT_EQ(no_email.status, 400) << no_email.body;
  EXPECT_THAT(no_email.body, HasSubstr("no e-mail"));
}

TEST_F(ConsentsTest, AnotherProgramsClientIsNotFound) {
  const v1::Client client = NewClient(NewPhone(), true);
  auto other = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/consents-other.env"));
  ASSERT_TRUE(other.ok()) << other.status();
  const std::string path = ConsentsPath(client.client_id());
  EXPECT_EQ(Send("GET", path, "", other->api_key).status, 404);
  EXPECT_EQ(Send("POST", path, R"({"changes": [
      {"kind": "CONSENT_KIND_MARKETING", "given": false, "source": "CONSENT_SOURCE_API"}]})",
                 other->api_key)
                .status,
            404);
  EXPECT_EQ(Send("POST", absl::StrCat("/v1/clients/", client.client_id(), "/verifications"),
                 R"({"channel": "VERIFICATION_CHANNEL_PHONE"})", other->api_key)
                .status,
            404);
  http::Response profile = Admin("GET", absl::StrCat("/v1/clients/", client.client_id()));
  EXPECT_TRUE(Parse<v1::Client>(profile.body).marketing_consent());
}

TEST_F(ConsentsTest, VerifyPhoneWithTheCodeTheClientReceived) {
  const std::string phone = NewPhone();
  const v1::Client client = NewClient(phone, false);
  http::Response started = StartVerification(client.client_id(), "VERIFICATION_CHANNEL_PHONE");
  ASSERT_EQ(started.status, 200) << started.body;
  const auto verification = Parse<v1::Verification>(started.body);
  EXPECT_EQ(verification.state(), v1::VERIFICATION_STATE_PENDING);
  EXPECT_EQ(verification.contact(), phone);
  EXPECT_EQ(verification.attempts_left(), 5);
  EXPECT_THAT(started.body, ::testing::Not(HasSubstr("code")));
  const std::string code = ReceivedCode(phone);
  ASSERT_EQ(code.size(), 6u) << "no message for " << phone << " in " << stack_->pickup_dir();

  // A wrong code first: 400 naming the field, with the attempts left.
  const std::string wrong = code == "000000" ? "111111" : "000000";
  http::Response refused = Confirm(verification, wrong);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("4 attempts left"));

  http::Response confirmed = Confirm(verification, code);
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  const auto verified = Parse<v1::Verification>(confirmed.body);
  EXPECT_EQ(verified.state(), v1::VERIFICATION_STATE_VERIFIED);
  EXPECT_TRUE(verified.has_verify_time());
  EXPECT_EQ(verified.attempts_left(), 4);
  // The profile says so; a marketing consent cannot be edited around the
  // consent history.
  http::Response profile = Admin("GET", absl::StrCat("/v1/clients/", client.client_id()));
  ASSERT_EQ(profile.status, 200) << profile.body;
  const auto read = Parse<v1::Client>(profile.body);
  EXPECT_TRUE(read.phone_verified());
  EXPECT_FALSE(read.email_verified());
  http::Response edit = Admin(
      "PATCH", absl::StrCat("/v1/clients/", client.client_id(), "?updateMask=marketingConsent"),
      R"({"marketingConsent": true})");
  EXPECT_EQ(edit.status, 400) << edit.body;
  EXPECT_THAT(edit.body, HasSubstr("RecordConsents"));

  // Another code within the minute is throttled.
  http::Response throttled = StartVerification(client.client_id(), "VERIFICATION_CHANNEL_PHONE");
  EXPECT_EQ(throttled.status, 429) << throttled.body;
  EXPECT_THAT(throttled.body, HasSubstr("retry in"));
}

TEST_F(ConsentsTest, ARequestIdOfAnotherClientsVerificationShowsNothing) {
  const v1::Client anna = NewClient(NewPhone(), false);
  const v1::Client boris = NewClient(NewPhone(), false);
  const std::string body = absl::StrCat(R"({"channel": "VERIFICATION_CHANNEL_PHONE", "requestId": "v-)",
                                        UniqueDigits(10), R"("})");
  http::Response first =
      Admin("POST", absl::StrCat("/v1/clients/", anna.client_id(), "/verifications"), body);
  ASSERT_EQ(first.status, 200) << first.body;
  http::Response again =
      Admin("POST", absl::StrCat("/v1/clients/", anna.client_id(), "/verifications"), body);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Parse<v1::Verification>(again.body).verification_id(),
            Parse<v1::Verification>(first.body).verification_id());
  http::Response other =
      Admin("POST", absl::StrCat("/v1/clients/", boris.client_id(), "/verifications"), body);
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_THAT(other.body, HasSubstr(R"("field":"request_id")"));
  EXPECT_THAT(other.body, ::testing::Not(HasSubstr(anna.phone())));
}

TEST_F(ConsentsTest, AnExpiredCodeIsRefused) {
  const std::string phone = NewPhone();
  const v1::Client client = NewClient(phone, false);
  http::Response started = StartVerification(client.client_id(), "VERIFICATION_CHANNEL_PHONE");
  ASSERT_EQ(started.status, 200) << started.body;
  const auto verification = Parse<v1::Verification>(started.body);
  const std::string code = ReceivedCode(phone);
  ASSERT_EQ(code.size(), 6u);
  // The lifetime is a deadline the server set; wait for it to pass.
  const absl::Time expire = absl::FromUnixSeconds(verification.expire_time().seconds()) +
                            absl::Nanoseconds(verification.expire_time().nanos());
  ASSERT_LT(expire - absl::Now(), absl::Seconds(30)) << "stack not started with a short lifetime";
  absl::SleepFor(expire - absl::Now() + absl::Milliseconds(200));
  http::Response expired = Confirm(verification, code);
  EXPECT_EQ(expired.status, 400) << expired.body;
  EXPECT_THAT(expired.body, HasSubstr("expired"));
}

}  // namespace
}  // namespace loyalty::e2e
