#include "services/identity/domain/audit.h"

#include "gtest/gtest.h"
#include "libs/common/page_token.h"
#include "services/identity/domain/client_fields.h"

namespace loyalty::identity {
namespace {

TEST(AuditFields, BuildsAJsonObjectWithEscapedText) {
  AuditFields fields;
  EXPECT_TRUE(fields.empty());
  EXPECT_EQ(fields.ToJson(), "");
  fields.Text("name", "say \"hi\"\n").Bool("given", true).Int("count", -3).TextList("ids", {"a"});
  EXPECT_FALSE(fields.empty());
  EXPECT_EQ(fields.ToJson(), R"({"name":"say \"hi\"\n","given":true,"count":-3,"ids":["a"]})");
}

TEST(AuditFields, ClientFieldsAreSpelledAsTheApiSpellsThem) {
  ClientProfile before;
  ClientProfile after;
  after.gender = Gender::kMale;
  after.device = Device::kAndroid;
  after.birth_date = BirthDate{2001, 2, 3};
  after.social_profiles = {{"vk", "https://vk.com/anna"}};
  after.city = "Omsk";
  const std::vector<std::string> changed = ChangedClientFields(before, after);
  AuditFields was;
  AuditFields now;
  AddClientFieldsToAudit(before, changed, was);
  AddClientFieldsToAudit(after, changed, now);
  EXPECT_EQ(was.ToJson(), R"({"birth_date":null,"gender":"GENDER_UNSPECIFIED","city":"",)"
                          R"("device":"DEVICE_UNSPECIFIED","social_profiles":[]})");
  EXPECT_EQ(now.ToJson(), R"({"birth_date":"2001-02-03","gender":"GENDER_MALE","city":"Omsk",)"
                          R"("device":"DEVICE_ANDROID",)"
                          R"("social_profiles":[{"network":"vk","url":"https://vk.com/anna"}]})");
}

TEST(AuditFields, OnlyTheNamedFieldsAreAdded) {
  ClientProfile profile{.phone = "+79161234567", .email = "a@b.ru", .city = "Omsk"};
  AuditFields fields;
  AddClientFieldsToAudit(profile, {"city"}, fields);
  EXPECT_EQ(fields.ToJson(), R"({"city":"Omsk"})");
}

TEST(ActorKind, NamesRoundTrip) {
  for (ActorKind kind :
       {ActorKind::kSystem, ActorKind::kOperator, ActorKind::kApiKey, ActorKind::kClient}) {
    EXPECT_EQ(ActorKindFromName(ActorKindName(kind)), kind);
  }
  EXPECT_EQ(ActorKindName(ActorKind::kApiKey), "api_key");
  EXPECT_FALSE(ActorKindFromName("robot").has_value());
}

TEST(AuditPosition, TokensRoundTripAndForeignTokensAreRefused) {
  const AuditPosition position{absl::FromUnixMicros(1'700'000'000'123'456), 42};
  absl::StatusOr<AuditPosition> decoded = DecodeAuditPosition(EncodeAuditPosition(position));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->record_time, position.record_time);
  EXPECT_EQ(decoded->entry_id, 42);
  EXPECT_EQ(DecodeAuditPosition("garbage").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeAuditPosition(EncodePageToken("17")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeAuditPosition(EncodePageToken("17:0")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace loyalty::identity
