// The client profile (CLI-1) and identification (CLI-4) through the real
// gateway over HTTP: register with every field, change some by update
// mask, a stale etag is 409 and changes nothing, taken unique keys are 409
// naming the field, bad input is 400 naming the field and changes nothing;
// identify by phone, e-mail, external id and card number, never across
// programs.

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::loyalty::identity::v1;

class ClientProfileTest : public SharedStackTest {
 protected:
  static v1::Client Register(const std::string& body) {
    http::Response created = Admin("POST", "/v1/clients", body);
    EXPECT_EQ(created.status, 200) << created.body;
    return Parse<v1::Client>(created.body);
  }

  static v1::Client Get(const std::string& client_id) {
    http::Response got = Admin("GET", absl::StrCat("/v1/clients/", client_id));
    EXPECT_EQ(got.status, 200) << got.body;
    return Parse<v1::Client>(got.body);
  }

  static http::Response Patch(const std::string& client_id, const std::string& mask,
                              const std::string& body) {
    return Admin("PATCH", absl::StrCat("/v1/clients/", client_id, "?updateMask=", mask), body);
  }
};

TEST_F(ClientProfileTest, RegisterEveryFieldThenChangeSome) {
  const std::string digits = UniqueDigits(7);
  const v1::Client referrer = Register(absl::StrCat(R"({"phone": "+7904)", digits, R"("})"));
  const v1::Client client = Register(absl::StrCat(
      R"({"lastName": "Petrova", "firstName": "Anna", "phone": "8 (905) )", digits,
      R"(", "email": "Anna.)", digits, R"(@Example.ru", "birthDate": {"year": 1990, "month": 5,)",
      R"( "day": 17}, "gender": "GENDER_FEMALE", "marketingConsent": true, "city": " Kazan ",)",
      R"( "carNumber": "A123BC77", "extraKey1": "k1", "extraKey6": "k6", "externalId": "crm-)",
      digits, R"(", "referralCode": "anna)", digits, R"(", "referrerClientId": ")",
      referrer.client_id(),
      R"(", "utmSource": "google", "utmMedium": "cpc", "utmCampaign": "spring",)",
      R"( "utmContent": "banner", "utmTerm": "coffee", "device": "DEVICE_ANDROID",)",
      R"( "issuanceForm": "Website", "registrationStoreId": "store-7",)",
      R"( "socialProfiles": [{"network": "VK", "url": "https://vk.com/anna"}]})"));
  EXPECT_EQ(client.phone(), absl::StrCat("+7905", digits));
  EXPECT_EQ(client.email(), absl::StrCat("anna.", digits, "@example.ru"));
  EXPECT_EQ(client.city(), "Kazan");
  EXPECT_EQ(client.extra_key6(), "k6");
  EXPECT_EQ(client.external_id(), absl::StrCat("crm-", digits));
  EXPECT_EQ(client.referral_code(), absl::StrCat("ANNA", digits));
  EXPECT_EQ(client.referrer_client_id(), referrer.client_id());
  EXPECT_EQ(client.utm_term(), "coffee");
  EXPECT_EQ(client.device(), v1::DEVICE_ANDROID);
  EXPECT_EQ(client.issuance_form(), "website");
  EXPECT_EQ(client.registration_store_id(), "store-7");
  ASSERT_EQ(client.social_profiles_size(), 1);
  EXPECT_EQ(client.social_profiles(0).network(), "vk");
  EXPECT_FALSE(client.phone_verified());
  EXPECT_FALSE(client.etag().empty());
  EXPECT_EQ(Get(client.client_id()).DebugString(), client.DebugString());

  // Only the masked fields change, whatever else the body says.
  http::Response patched =
      Patch(client.client_id(), "city,extraKey1,utmSource",
            absl::StrCat(R"({"city": "Tver", "extraKey1": "", "utmSource": "yandex",)",
                         R"( "firstName": "Ignored", "etag": ")", client.etag(), R"("})"));
  ASSERT_EQ(patched.status, 200) << patched.body;
  const v1::Client changed = Parse<v1::Client>(patched.body);
  EXPECT_EQ(changed.city(), "Tver");
  EXPECT_EQ(changed.extra_key1(), "");
  EXPECT_EQ(changed.utm_source(), "yandex");
  EXPECT_EQ(changed.first_name(), "Anna");
  EXPECT_EQ(changed.extra_key6(), "k6");
  EXPECT_NE(changed.etag(), client.etag());

  // Someone else's change in between: the stale etag is refused, nothing
  // changes.
  http::Response stale = Patch(client.client_id(), "city",
                               absl::StrCat(R"({"city": "Omsk", "etag": ")", client.etag(), R"("})"));
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_THAT(stale.body, HasSubstr("client.etag"));
  EXPECT_EQ(Get(client.client_id()).city(), "Tver");

  // Without an etag the last writer wins.
  http::Response blind = Patch(client.client_id(), "city", R"({"city": "Omsk"})");
  ASSERT_EQ(blind.status, 200) << blind.body;
  EXPECT_EQ(Parse<v1::Client>(blind.body).city(), "Omsk");
}

TEST_F(ClientProfileTest, BadInputIsRefusedNamingTheFieldAndChangesNothing) {
  const v1::Client client =
      Register(absl::StrCat(R"({"phone": "+7906)", UniqueDigits(7), R"(", "city": "Kazan"})"));
  struct Case {
    std::string mask;
    std::string body;
    std::string field;
  };
  const Case cases[] = {
      {"phoneVerified", R"({"phoneVerified": true})", "update_mask"},
      {"etag", R"({"city": "x"})", "update_mask"},
      {"nickname", R"({"city": "x"})", "update_mask"},
      {"socialProfiles", R"({"socialProfiles": [{"network": "vk", "url": "vk.com/anna"}]})",
       "client.social_profiles[0].url"},
      {"referrerClientId", absl::StrCat(R"({"referrerClientId": ")", client.client_id(), R"("})"),
       "client.referrer_client_id"},
      {"referralCode", R"({"referralCode": "a b"})", "client.referral_code"},
      {"phone,email", R"({"phone": "", "email": ""})", "client.phone"},
      {"city", R"({"city": "x", "etag": "not-an-etag"})", "client.etag"},
  };
  for (const Case& c : cases) {
    http::Response refused = Patch(client.client_id(), c.mask, c.body);
    EXPECT_EQ(refused.status, 400) << c.mask << ": " << refused.body;
    EXPECT_THAT(refused.body, HasSubstr(c.field)) << c.mask;
  }
  http::Response no_mask = Admin("PATCH", absl::StrCat("/v1/clients/", client.client_id()),
                                 R"({"city": "x"})");
  EXPECT_EQ(no_mask.status, 400) << no_mask.body;
  EXPECT_THAT(no_mask.body, HasSubstr("update_mask"));
  http::Response bad_register = Admin(
      "POST", "/v1/clients",
      absl::StrCat(R"({"phone": "+7906)", UniqueDigits(7), R"(", "extraKey2": ")",
                   std::string(256, 'x'), R"("})"));
  EXPECT_EQ(bad_register.status, 400) << bad_register.body;
  EXPECT_THAT(bad_register.body, HasSubstr("client.extra_key2"));
  const v1::Client after = Get(client.client_id());
  EXPECT_EQ(after.etag(), client.etag());
  EXPECT_EQ(after.city(), "Kazan");
}

TEST_F(ClientProfileTest, TakenKeysAreConflictsNamingTheField) {
  const std::string external = absl::StrCat("crm-", UniqueDigits(9));
  Register(absl::StrCat(R"({"phone": "+7907)", UniqueDigits(7), R"(", "externalId": ")", external,
                        R"("})"));
  const v1::Client other = Register(absl::StrCat(R"({"phone": "+7907)", UniqueDigits(7), R"("})"));
  http::Response taken =
      Patch(other.client_id(), "externalId", absl::StrCat(R"({"externalId": ")", external, R"("})"));
  EXPECT_EQ(taken.status, 409) << taken.body;
  EXPECT_THAT(taken.body, HasSubstr("client.external_id"));
  http::Response again = Admin(
      "POST", "/v1/clients",
      absl::StrCat(R"({"phone": "+7907)", UniqueDigits(7), R"(", "externalId": ")", external,
                   R"("})"));
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_THAT(again.body, HasSubstr("client.external_id"));
  EXPECT_EQ(Get(other.client_id()).external_id(), "");
}

TEST_F(ClientProfileTest, IdentifiesByEachKeyWithinTheProgram) {
  const std::string digits = UniqueDigits(7);
  const v1::Client client = Register(absl::StrCat(
      R"({"phone": "+7908)", digits, R"(", "email": "id.)", digits,
      R"(@example.ru", "externalId": "pos-)", digits, R"("})"));
  http::Response card =
      Admin("POST", "/v1/cards", absl::StrCat(R"({"clientId": ")", client.client_id(), R"("})"));
  ASSERT_EQ(card.status, 200) << card.body;
  const std::string number = Parse<cards::v1::Card>(card.body).number();

  const std::string queries[] = {
      absl::StrCat("phone=8%20(908)%20", digits),
      absl::StrCat("email=ID.", digits, "%40Example.RU"),
      absl::StrCat("externalId=pos-", digits),
      absl::StrCat("cardNumber=", number),
  };
  for (const std::string& query : queries) {
    http::Response found = Pos("GET", absl::StrCat("/v1/clients:identify?", query));
    ASSERT_EQ(found.status, 200) << query << ": " << found.body;
    EXPECT_EQ(Parse<v1::Client>(found.body).client_id(), client.client_id()) << query;
  }

  auto other = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/identify-other.env"));
  ASSERT_TRUE(other.ok()) << other.status();
  for (const std::string& query : queries) {
    http::Response foreign =
        Send("GET", absl::StrCat("/v1/clients:identify?", query), "", other->api_key);
    EXPECT_EQ(foreign.status, 404) << query << ": " << foreign.body;
  }

  http::Response none = Admin("GET", "/v1/clients:identify");
  EXPECT_EQ(none.status, 400) << none.body;
  http::Response two =
      Admin("GET", absl::StrCat("/v1/clients:identify?externalId=pos-", digits, "&email=a%40b.ru"));
  EXPECT_EQ(two.status, 400) << two.body;
  http::Response bad_phone = Admin("GET", "/v1/clients:identify?phone=call-me");
  EXPECT_EQ(bad_phone.status, 400) << bad_phone.body;
  EXPECT_THAT(bad_phone.body, HasSubstr("phone"));
  http::Response unknown =
      Admin("GET", absl::StrCat("/v1/clients:identify?externalId=nobody-", digits));
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  http::Response no_card = Admin("GET", "/v1/clients:identify?cardNumber=999999999999");
  EXPECT_EQ(no_card.status, 404) << no_card.body;
}

}  // namespace
}  // namespace loyalty::e2e
