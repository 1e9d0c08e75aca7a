#include "services/pos/api/identity_client.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/identity/v1/attributes_service.pb.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "loyalty/identity/v1/tags_service.pb.h"

namespace loyalty::pos {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST(ProfileFromIdentityTest, MapsTagsAttributesAndBirthday) {
  identity::v1::Client client;
  client.mutable_birth_date()->set_year(1988);
  client.mutable_birth_date()->set_month(2);
  client.mutable_birth_date()->set_day(29);
  identity::v1::ListClientTagsResponse tags;
  auto* vip = tags.add_tags();
  vip->set_tag_id("t-1");
  vip->set_name("vip");
  identity::v1::ClientAttributes attributes;
  auto add = [&](const std::string& key) {
    auto* value = attributes.add_values();
    value->set_key(key);
    return value;
  };
  add("city")->set_string_value("Perm");
  add("kids")->set_number_value("2");
  add("pet")->set_bool_value(true);
  add("wedding")->set_date_value("2015-06-01");
  add("size")->set_enum_value("xl");
  auto* hobbies = add("hobbies")->mutable_list_value();
  hobbies->add_values("ski");
  hobbies->add_values("chess");
  add("unset");

  MemberProfile profile = ProfileFromIdentity(client, tags, attributes);
  EXPECT_THAT(profile.tags, ElementsAre("vip", "t-1"));
  EXPECT_THAT(profile.attributes,
              ElementsAre(Pair("city", "Perm"), Pair("kids", "2"), Pair("pet", "true"),
                          Pair("wedding", "2015-06-01"), Pair("size", "xl"),
                          Pair("hobbies", "ski"), Pair("hobbies", "chess")));
  EXPECT_EQ(profile.birthday, absl::CivilDay(1988, 2, 29));
}

TEST(ProfileFromIdentityTest, NoBirthDateNoBirthday) {
  MemberProfile profile = ProfileFromIdentity(identity::v1::Client(),
                                              identity::v1::ListClientTagsResponse(),
                                              identity::v1::ClientAttributes());
  EXPECT_FALSE(profile.birthday.has_value());
  EXPECT_THAT(profile.tags, IsEmpty());
  EXPECT_THAT(profile.attributes, IsEmpty());
}

}  // namespace
}  // namespace loyalty::pos
