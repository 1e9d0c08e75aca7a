#include "services/identity/domain/client_fields.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::identity {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

ClientProfile Reachable() {
  ClientProfile profile;
  profile.phone = "+79161234567";
  return profile;
}

absl::Status Normalize(ClientProfile& profile) {
  return NormalizeProfile(profile, "7", absl::CivilDay(2026, 1, 1), "client.");
}

TEST(NormalizeProfileExtrasTest, TrimsAndCaseFoldsCodes) {
  ClientProfile profile = Reachable();
  profile.city = "  Москва ";
  profile.referral_code = " anna-2024 ";
  profile.issuance_form = "WebSite";
  profile.referrer_client_id = "9B2F8C1E-0000-4000-8000-000000000000";
  profile.social_profiles = {{" VK ", " HTTPS://vk.com/anna "}};
  ASSERT_TRUE(Normalize(profile).ok());
  EXPECT_EQ(profile.city, "Москва");
  EXPECT_EQ(profile.referral_code, "ANNA-2024");
  EXPECT_EQ(profile.issuance_form, "website");
  EXPECT_EQ(profile.referrer_client_id, "9b2f8c1e-0000-4000-8000-000000000000");
  EXPECT_THAT(profile.social_profiles, ElementsAre(SocialProfile{"vk", "https://vk.com/anna"}));
}

TEST(NormalizeProfileExtrasTest, LengthsCountCharactersNotBytes) {
  ClientProfile profile = Reachable();
  // 20 Cyrillic letters are 40 bytes, still 20 characters.
  profile.car_number = "";
  for (int i = 0; i < 20; ++i) profile.car_number += "А";
  EXPECT_TRUE(Normalize(profile).ok());
  profile.car_number += "1";
  absl::Status status = Normalize(profile);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ViolatedField(status), Optional(std::string("client.car_number")));
}

TEST(NormalizeProfileExtrasTest, NamesTheBadField) {
  struct Case {
    void (*spoil)(ClientProfile&);
    std::string field;
  };
  const Case cases[] = {
      {[](ClientProfile& p) { p.city = std::string(101, 'x'); }, "client.city"},
      {[](ClientProfile& p) { p.extra_key4 = std::string(256, 'x'); }, "client.extra_key4"},
      {[](ClientProfile& p) { p.extra_key6 = "a\tb"; }, "client.extra_key6"},
      {[](ClientProfile& p) { p.external_id = std::string(129, '1'); }, "client.external_id"},
      {[](ClientProfile& p) { p.utm_term = "\xff"; }, "client.utm_term"},
      {[](ClientProfile& p) { p.registration_store_id = std::string(65, 's'); },
       "client.registration_store_id"},
      {[](ClientProfile& p) { p.referral_code = "ab"; }, "client.referral_code"},
      {[](ClientProfile& p) { p.referral_code = "with space"; }, "client.referral_code"},
      {[](ClientProfile& p) { p.referrer_client_id = "anna"; }, "client.referrer_client_id"},
      {[](ClientProfile& p) { p.issuance_form = "web form"; }, "client.issuance_form"},
      {[](ClientProfile& p) { p.social_profiles = {{"vk", "vk.com/anna"}}; },
       "client.social_profiles[0].url"},
      {[](ClientProfile& p) {
         p.social_profiles = {{"vk", "https://vk.com/a"}, {"tg", "ftp://t.me/anna"}};
       },
       "client.social_profiles[1].url"},
      {[](ClientProfile& p) { p.social_profiles = {{"vk", "https:///path"}}; },
       "client.social_profiles[0].url"},
      {[](ClientProfile& p) { p.social_profiles = {{"vk", "https://vk.com/a b"}}; },
       "client.social_profiles[0].url"},
      {[](ClientProfile& p) { p.social_profiles = {{"", "https://vk.com/a"}}; },
       "client.social_profiles[0].network"},
      {[](ClientProfile& p) {
         p.social_profiles.assign(kMaxSocialProfiles + 1, SocialProfile{"vk", "https://vk.com"});
       },
       "client.social_profiles"},
  };
  for (const Case& c : cases) {
    ClientProfile profile = Reachable();
    c.spoil(profile);
    absl::Status status = Normalize(profile);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(ViolatedField(status), Optional(c.field)) << status;
  }
}

TEST(ApplyClientMaskTest, ChangesOnlyMaskedFields) {
  ClientProfile stored = Reachable();
  stored.city = "Tver";
  stored.first_name = "Anna";
  ClientProfile input;
  input.city = "Kazan";
  input.first_name = "ignored";
  input.extra_key3 = "k3";
  ASSERT_TRUE(ApplyClientMask({"city", "extra_key3"}, input, stored).ok());
  EXPECT_EQ(stored.city, "Kazan");
  EXPECT_EQ(stored.extra_key3, "k3");
  EXPECT_EQ(stored.first_name, "Anna");
  EXPECT_EQ(stored.phone, "+79161234567");
}

TEST(ApplyClientMaskTest, RefusesEmptyUnknownAndOutputOnlyPaths) {
  ClientProfile stored = Reachable();
  const ClientProfile before = stored;
  for (const std::vector<std::string>& paths :
       std::vector<std::vector<std::string>>{{},
                                             {"nickname"},
                                             {"birth_date.year"},
                                             {"city", "phone_verified"},
                                             {"email_verified"},
                                             {"etag"},
                                             {"client_id"},
                                             {"update_time"}}) {
    absl::Status status = ApplyClientMask(paths, ClientProfile{}, stored);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(ViolatedField(status), Optional(std::string("update_mask"))) << status;
  }
  EXPECT_THAT(ApplyClientMask({"phone_verified"}, ClientProfile{}, stored).message(),
              HasSubstr("output only"));
  // Consents change through their own history.
  absl::Status consent = ApplyClientMask({"marketing_consent"}, ClientProfile{}, stored);
  EXPECT_THAT(ViolatedField(consent), Optional(std::string("update_mask"))) << consent;
  EXPECT_THAT(consent.message(), HasSubstr("RecordConsents"));
}

TEST(ChangedClientFieldsTest, ListsChangedPathsInFieldOrder) {
  ClientProfile before = Reachable();
  ClientProfile after = before;
  EXPECT_TRUE(ChangedClientFields(before, after).empty());
  after.social_profiles = {{"vk", "https://vk.com/a"}};
  after.phone = "+79160000000";
  after.device = Device::kIos;
  after.birth_date = BirthDate{1990, 1, 2};
  EXPECT_THAT(ChangedClientFields(before, after),
              ElementsAre("phone", "birth_date", "device", "social_profiles"));
}

TEST(EtagTest, RoundTripsAndRejectsForeignStrings) {
  EXPECT_EQ(*VersionOfEtag(EtagOfVersion(42), "client.etag"), 42);
  for (absl::string_view bad : {"42", "v", "vx", "v-1", "v0", "W/\"v1\""}) {
    absl::StatusOr<int64_t> version = VersionOfEtag(bad, "client.etag");
    EXPECT_EQ(version.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(ViolatedField(version.status()), Optional(std::string("client.etag")));
  }
}

TEST(EtagTest, StaleVersionIsAborted) {
  EXPECT_TRUE(CheckVersion(0, 7, "client.etag").ok());
  EXPECT_TRUE(CheckVersion(7, 7, "client.etag").ok());
  absl::Status stale = CheckVersion(6, 7, "client.etag");
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(ViolatedField(stale), Optional(std::string("client.etag")));
}

TEST(CheckReferrerTest, NotSelf) {
  ClientProfile profile = Reachable();
  profile.referrer_client_id = "9b2f8c1e-0000-4000-8000-000000000000";
  EXPECT_TRUE(CheckReferrer("9b2f8c1e-0000-4000-8000-000000000001", profile, "client.").ok());
  absl::Status self = CheckReferrer("9b2f8c1e-0000-4000-8000-000000000000", profile, "client.");
  EXPECT_THAT(ViolatedField(self), Optional(std::string("client.referrer_client_id")));
}

TEST(ChooseIdentifyKeyTest, NormalisesTheOneKey) {
  absl::StatusOr<IdentifyKey> phone = ChooseIdentifyKey({.phone = "8 916 123-45-67"}, "7");
  ASSERT_TRUE(phone.ok()) << phone.status();
  EXPECT_EQ(phone->kind, IdentifyKind::kPhone);
  EXPECT_EQ(phone->value, "+79161234567");
  absl::StatusOr<IdentifyKey> email = ChooseIdentifyKey({.email = " Anna@Example.RU"}, "7");
  ASSERT_TRUE(email.ok()) << email.status();
  EXPECT_EQ(email->kind, IdentifyKind::kEmail);
  EXPECT_EQ(email->value, "anna@example.ru");
  absl::StatusOr<IdentifyKey> card = ChooseIdentifyKey({.card_number = " 4600000000017 "}, "7");
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_EQ(card->kind, IdentifyKind::kCardNumber);
  EXPECT_EQ(card->value, "4600000000017");
  absl::StatusOr<IdentifyKey> external = ChooseIdentifyKey({.external_id = "crm-1"}, "7");
  ASSERT_TRUE(external.ok()) << external.status();
  EXPECT_EQ(external->kind, IdentifyKind::kExternalId);
}

TEST(ChooseIdentifyKeyTest, ExactlyOneUsableKey) {
  absl::StatusOr<IdentifyKey> none = ChooseIdentifyKey({}, "7");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<IdentifyKey> two =
      ChooseIdentifyKey({.phone = "+79161234567", .email = "a@example.ru"}, "7");
  EXPECT_EQ(two.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ViolatedField(two.status()), Optional(std::string("email")));
  absl::StatusOr<IdentifyKey> bad_phone = ChooseIdentifyKey({.phone = "call me"}, "7");
  EXPECT_THAT(ViolatedField(bad_phone.status()), Optional(std::string("phone")));
  absl::StatusOr<IdentifyKey> bad_email = ChooseIdentifyKey({.email = "anna"}, "7");
  EXPECT_THAT(ViolatedField(bad_email.status()), Optional(std::string("email")));
}

}  // namespace
}  // namespace loyalty::identity
