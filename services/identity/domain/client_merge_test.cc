#include "services/identity/domain/client_merge.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::identity {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(FillMissingFieldsTest, TakesOnlyWhatTheSurvivorLacks) {
  ClientProfile survivor{.first_name = "Anna", .phone = "+79161234567", .city = "Moscow"};
  const ClientProfile duplicate{.last_name = "Ivanova",
                                .first_name = "Anya",
                                .phone = "+79160000000",
                                .email = "anna@example.com",
                                .birth_date = BirthDate{1990, 5, 17},
                                .gender = Gender::kFemale,
                                .city = "Tver",
                                .external_id = "crm-1",
                                .utm_source = "newsletter",
                                .device = Device::kIos,
                                .social_profiles = {{"vk", "https://vk.com/anna"}}};
  EXPECT_THAT(FillMissingFields(survivor, duplicate, "s"),
              ElementsAre("last_name", "email", "birth_date", "gender", "external_id",
                          "social_profiles"));
  EXPECT_EQ(survivor.first_name, "Anna");
  EXPECT_EQ(survivor.last_name, "Ivanova");
  EXPECT_EQ(survivor.phone, "+79161234567");
  EXPECT_EQ(survivor.email, "anna@example.com");
  EXPECT_EQ(survivor.city, "Moscow");
  EXPECT_EQ(survivor.external_id, "crm-1");
  // Registration facts stay the survivor's own.
  EXPECT_EQ(survivor.utm_source, "");
  EXPECT_EQ(survivor.device, Device::kUnspecified);
}

TEST(FillMissingFieldsTest, NeverMakesTheSurvivorItsOwnReferrer) {
  ClientProfile survivor;
  const ClientProfile duplicate{.referrer_client_id = "s"};
  EXPECT_THAT(FillMissingFields(survivor, duplicate, "s"), IsEmpty());
  EXPECT_EQ(survivor.referrer_client_id, "");
}

}  // namespace
}  // namespace loyalty::identity
