#include "services/identity/domain/client.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/identity/domain/api_key.h"

namespace loyalty::identity {
namespace {

TEST(NormalizePhoneTest, RussianNotations) {
  EXPECT_EQ(*NormalizePhone("+7 (916) 123-45-67", "7"), "+79161234567");
  EXPECT_EQ(*NormalizePhone("8 916 123 45 67", "7"), "+79161234567");
  EXPECT_EQ(*NormalizePhone("79161234567", "7"), "+79161234567");
  EXPECT_EQ(*NormalizePhone("9161234567", "7"), "+79161234567");
}

TEST(NormalizePhoneTest, InternationalNotations) {
  EXPECT_EQ(*NormalizePhone("+44 20 7946 0958", "7"), "+442079460958");
  EXPECT_EQ(*NormalizePhone("0044 20 7946 0958", "7"), "+442079460958");
  EXPECT_EQ(*NormalizePhone("020 7946 0958", "44"), "+442079460958");
}

TEST(NormalizePhoneTest, RejectsNonNumbers) {
  EXPECT_FALSE(NormalizePhone("", "7").ok());
  EXPECT_FALSE(NormalizePhone("call me", "7").ok());
  EXPECT_FALSE(NormalizePhone("123", "7").ok());
  EXPECT_FALSE(NormalizePhone("+7 916 123", "7").ok());
  EXPECT_FALSE(NormalizePhone("+1234567890123456", "7").ok());
  EXPECT_FALSE(NormalizePhone("+0123456789", "7").ok());
}

TEST(NormalizeEmailTest, AcceptsAndLowerCases) {
  EXPECT_EQ(*NormalizeEmail(" Anna.Petrova@Example.RU "), "anna.petrova@example.ru");
  EXPECT_FALSE(NormalizeEmail("anna").ok());
  EXPECT_FALSE(NormalizeEmail("anna@").ok());
  EXPECT_FALSE(NormalizeEmail("@example.ru").ok());
  EXPECT_FALSE(NormalizeEmail("anna@example").ok());
  EXPECT_FALSE(NormalizeEmail("an na@example.ru").ok());
  EXPECT_FALSE(NormalizeEmail("a@b@example.ru").ok());
}

TEST(BirthDateTest, RealPastDatesOnly) {
  absl::CivilDay today(2026, 11, 22);
  EXPECT_TRUE(ValidateBirthDate({1990, 2, 28}, today).ok());
  EXPECT_TRUE(ValidateBirthDate({2000, 2, 29}, today).ok());
  EXPECT_FALSE(ValidateBirthDate({1990, 2, 30}, today).ok());
  EXPECT_FALSE(ValidateBirthDate({2001, 2, 29}, today).ok());
  EXPECT_FALSE(ValidateBirthDate({1990, 13, 1}, today).ok());
  EXPECT_FALSE(ValidateBirthDate({1899, 12, 31}, today).ok());
  EXPECT_FALSE(ValidateBirthDate({2026, 11, 23}, today).ok());
  EXPECT_TRUE(ValidateBirthDate({2026, 11, 22}, today).ok());
}

TEST(NormalizeProfileTest, ErrorsNameTheField) {
  absl::CivilDay today(2026, 11, 22);
  ClientProfile profile{.phone = "not a phone"};
  absl::Status status = NormalizeProfile(profile, "7", today, "client.");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(status), "client.phone");

  profile = ClientProfile{.phone = "89161234567", .email = "x"};
  EXPECT_EQ(ViolatedField(NormalizeProfile(profile, "7", today, "client.")), "client.email");

  profile = ClientProfile{};
  EXPECT_EQ(ViolatedField(NormalizeProfile(profile, "7", today, "client.")), "client.phone");

  profile = ClientProfile{.first_name = "  Anna ", .phone = "89161234567",
                          .birth_date = BirthDate{1990, 5, 17}};
  ASSERT_TRUE(NormalizeProfile(profile, "7", today, "client.").ok());
  EXPECT_EQ(profile.first_name, "Anna");
  EXPECT_EQ(profile.phone, "+79161234567");
}

TEST(ApiKeyTest, SecretsAreRandomAndHashedStably) {
  std::string a = NewApiKeySecret();
  std::string b = NewApiKeySecret();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("lk_", 0), 0u);
  EXPECT_EQ(a.size(), 43u);
  EXPECT_EQ(HashApiKeySecret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_NE(HashApiKeySecret(a), HashApiKeySecret(b));
}

}  // namespace
}  // namespace loyalty::identity
