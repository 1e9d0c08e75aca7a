// AttributeStore against a real PostgreSQL: idempotent creates, keys unique
// per program, refused type changes once values exist, all-or-none value
// writes with the status history and one event per effective change,
// registration with required attributes, request-id replays and program
// isolation.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "services/identity/storage/attribute_store.h"
#include "services/identity/storage/identity_store.h"
#include "services/identity/testing/pg_fixture.h"

namespace loyalty::identity {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

AttributeSpec TierSpec() {
  AttributeSpec spec{.key = "tier",
                     .display_name = "Tier",
                     .type = AttributeType::kEnum,
                     .allowed_values = {{"silver", "Silver"}, {"gold", "Gold"}},
                     .kind = AttributeKind::kStatusSystem};
  EXPECT_TRUE(NormalizeAttributeSpec(spec, "attribute.").ok());
  return spec;
}

AttributeSpec SizeSpec() {
  AttributeSpec spec{.key = "shoe_size",
                     .display_name = "Shoe size",
                     .type = AttributeType::kNumber,
                     .number_scale = 1,
                     .editable_by = AttributeEditor::kClient};
  EXPECT_TRUE(NormalizeAttributeSpec(spec, "attribute.").ok());
  return spec;
}

AttributeValue Text(std::string key, AttributeType type, std::string text) {
  return AttributeValue{.key = std::move(key), .type = type, .text = std::move(text)};
}

class AttributeStoreTest : public testing::IdentityPgTest {
 protected:
  void Define(const AttributeSpec& spec) {
    auto created = attributes_.Create(program_id_, spec, "");
    ASSERT_TRUE(created.ok()) << created.status();
  }

  absl::StatusOr<std::vector<AttributeValue>> Set(const std::string& client_id,
                                                  std::vector<AttributeValue> values,
                                                  std::vector<std::string> clear = {},
                                                  const std::string& request_id = "",
                                                  const std::string& fingerprint = "") {
    return attributes_.SetValues(
        program_id_, client_id, AttributeValuesInput{.values = values, .clear_keys = clear},
        AttributeChangeOrigin{.actor = {.principal_id = "op-1", .role = "ROLE_OPERATOR"},
                              .reason = "test"},
        request_id, fingerprint);
  }

  int64_t Events() {
    return Count(absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = '", program_id_,
                              "' AND event_type = 'loyalty.identity.v1.ClientAttributesChanged'"));
  }

  AttributeStore attributes_{*pool_};
};

TEST_F(AttributeStoreTest, CreateIsIdempotentAndKeysAreUniquePerProgram) {
  auto first = attributes_.Create(program_id_, TierSpec(), "req-1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->spec, TierSpec());
  auto replay = attributes_.Create(program_id_, TierSpec(), "req-1");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->create_time, first->create_time);
  absl::Status reused = attributes_.Create(program_id_, SizeSpec(), "req-1").status();
  EXPECT_EQ(reused.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(reused), "request_id");
  absl::Status taken = attributes_.Create(program_id_, TierSpec(), "").status();
  EXPECT_EQ(taken.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(taken), "attribute.key");
  // Another program has keys of its own and cannot see this one.
  EXPECT_TRUE(attributes_.Create(other_program_id_, TierSpec(), "").ok());
  EXPECT_EQ(attributes_.Get(program_id_, "shoe_size").status().code(),
            absl::StatusCode::kNotFound);
  auto listed = attributes_.List(program_id_, 10, "");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->attributes.size(), 1u);
  EXPECT_EQ(listed->attributes[0].spec.allowed_values, TierSpec().allowed_values);
}

TEST_F(AttributeStoreTest, ListPagesByKey) {
  for (const char* key : {"c", "a", "b"}) {
    AttributeSpec spec = SizeSpec();
    spec.key = key;
    Define(spec);
  }
  auto first = attributes_.List(program_id_, 2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->attributes.size(), 2u);
  EXPECT_EQ(first->attributes[1].spec.key, "b");
  auto second = attributes_.List(program_id_, 2, first->next_page_token);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->attributes.size(), 1u);
  EXPECT_EQ(second->attributes[0].spec.key, "c");
  EXPECT_TRUE(second->next_page_token.empty());
}

TEST_F(AttributeStoreTest, ValuesAreWrittenAllOrNone) {
  Define(TierSpec());
  Define(SizeSpec());
  const std::string client = NewClient(program_id_);
  // The second value is bad: the first is not stored either.
  absl::Status bad = Set(client, {Text("shoe_size", AttributeType::kNumber, "42.5"),
                                  Text("tier", AttributeType::kEnum, "platinum")})
                         .status();
  EXPECT_EQ(ViolatedField(bad), "values[1].enum_value");
  EXPECT_THAT(*attributes_.GetValues(program_id_, client), IsEmpty());
  EXPECT_EQ(Events(), 0);

  auto set = Set(client, {Text("shoe_size", AttributeType::kNumber, "42.5"),
                          Text("tier", AttributeType::kEnum, "silver")});
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 2u);
  EXPECT_EQ((*set)[0].key, "shoe_size");
  EXPECT_EQ((*set)[0].number, 425);
  EXPECT_EQ((*set)[0].text, "42.5");
  EXPECT_EQ((*set)[1].text, "silver");
  EXPECT_EQ(Events(), 1);
  // The same values again change nothing and publish nothing.
  ASSERT_TRUE(Set(client, {Text("tier", AttributeType::kEnum, "silver")}).ok());
  EXPECT_EQ(Events(), 1);

  // A status change and a clear: two history rows, newest first.
  ASSERT_TRUE(Set(client, {Text("tier", AttributeType::kEnum, "gold")}).ok());
  ASSERT_TRUE(Set(client, {}, {"tier", "shoe_size"}).ok());
  EXPECT_EQ(Events(), 3);
  auto values = attributes_.GetValues(program_id_, client);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_THAT(*values, IsEmpty());
  auto history = attributes_.ListStatusHistory(program_id_, client, "", 2, "");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->changes.size(), 2u);
  EXPECT_EQ(history->changes[0].old_value, "gold");
  EXPECT_EQ(history->changes[0].new_value, "");
  EXPECT_EQ(history->changes[1].old_value, "silver");
  EXPECT_EQ(history->changes[1].new_value, "gold");
  EXPECT_EQ(history->changes[1].source, AttributeChangeSource::kOperator);
  EXPECT_EQ(history->changes[1].changed_by, "op-1");
  EXPECT_EQ(history->changes[1].reason, "test");
  auto oldest = attributes_.ListStatusHistory(program_id_, client, "tier", 2,
                                              history->next_page_token);
  ASSERT_TRUE(oldest.ok()) << oldest.status();
  ASSERT_EQ(oldest->changes.size(), 1u);
  EXPECT_EQ(oldest->changes[0].new_value, "silver");
  EXPECT_TRUE(oldest->next_page_token.empty());
}

TEST_F(AttributeStoreTest, RequestIdReplaysWithoutASecondEffect) {
  Define(TierSpec());
  const std::string client = NewClient(program_id_);
  ASSERT_TRUE(Set(client, {Text("tier", AttributeType::kEnum, "silver")}, {}, "r1", "f1").ok());
  ASSERT_TRUE(Set(client, {Text("tier", AttributeType::kEnum, "gold")}).ok());
  // The replay answers with the current values and writes nothing.
  auto replay = Set(client, {Text("tier", AttributeType::kEnum, "silver")}, {}, "r1", "f1");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ((*replay)[0].text, "gold");
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM client_status_history WHERE client_id = '",
                               client, "'")),
            2);
  absl::Status other = Set(client, {}, {"tier"}, "r1", "f2").status();
  EXPECT_EQ(other.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(other), "request_id");
}

TEST_F(AttributeStoreTest, DefinitionChangesThatStrandValuesAreRefused) {
  Define(TierSpec());
  AttributeSpec as_list = TierSpec();
  as_list.kind = AttributeKind::kQuestionnaire;
  as_list.type = AttributeType::kList;
  auto unused_change = attributes_.Update(program_id_, "tier", [&](AttributeSpec& spec) {
    spec = as_list;
    return absl::OkStatus();
  });
  ASSERT_TRUE(unused_change.ok()) << unused_change.status();
  auto back = attributes_.Update(program_id_, "tier", [&](AttributeSpec& spec) {
    spec = TierSpec();
    return absl::OkStatus();
  });
  ASSERT_TRUE(back.ok()) << back.status();

  const std::string client = NewClient(program_id_);
  ASSERT_TRUE(Set(client, {Text("tier", AttributeType::kEnum, "silver")}).ok());
  absl::Status type = attributes_
                          .Update(program_id_, "tier",
                                  [&](AttributeSpec& spec) {
                                    spec.type = AttributeType::kList;
                                    spec.kind = AttributeKind::kQuestionnaire;
                                    return absl::OkStatus();
                                  })
                          .status();
  EXPECT_EQ(type.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(type), "attribute.type");
  absl::Status removed = attributes_
                             .Update(program_id_, "tier",
                                     [&](AttributeSpec& spec) {
                                       spec.allowed_values = {{"gold", "Gold"}};
                                       return absl::OkStatus();
                                     })
                             .status();
  EXPECT_EQ(ViolatedField(removed), "attribute.allowed_values");
  auto relabelled = attributes_.Update(program_id_, "tier", [&](AttributeSpec& spec) {
    spec.allowed_values[0].label = "Silver+";
    return absl::OkStatus();
  });
  ASSERT_TRUE(relabelled.ok()) << relabelled.status();
  EXPECT_EQ(relabelled->spec.allowed_values[0].label, "Silver+");

  // Archived: kept and readable, no longer writable.
  auto archived = attributes_.Archive(program_id_, "tier");
  ASSERT_TRUE(archived.ok()) << archived.status();
  EXPECT_TRUE(archived->archived);
  EXPECT_EQ(ViolatedField(Set(client, {}, {"tier"}).status()), "clear_keys[0]");
  EXPECT_EQ(attributes_.GetValues(program_id_, client)->size(), 1u);
}

TEST_F(AttributeStoreTest, RegistrationValidatesAndRequires) {
  AttributeSpec size = SizeSpec();
  size.required_at_registration = true;
  Define(size);
  Define(TierSpec());
  const std::string email = NewUuid() + "@example.com";
  const AttributeValuesInput none{};
  absl::Status missing =
      identity_.RegisterClient(program_id_, ClientProfile{.email = email}, "", {}, none).status();
  EXPECT_EQ(ViolatedField(missing), "client.attributes");
  // A till may give the client's own answers, not operator-only statuses.
  const AttributeValuesInput from_till{
      .values = {Text("shoe_size", AttributeType::kNumber, "41"),
                 Text("tier", AttributeType::kEnum, "gold")},
      .writer = AttributeWriter::kClientChannel};
  absl::Status till = identity_
                          .RegisterClient(program_id_, ClientProfile{.email = email}, "",
                                          {.principal_id = "pos-key"}, from_till)
                          .status();
  EXPECT_EQ(ViolatedField(till), "client.attributes[1].key");
  // Nothing of the failed registrations was stored.
  EXPECT_EQ(identity_.FindClient(program_id_, IdentifyKind::kEmail, email).status().code(),
            absl::StatusCode::kNotFound);

  const AttributeValuesInput answers{
      .values = {Text("shoe_size", AttributeType::kNumber, "41"),
                 Text("tier", AttributeType::kEnum, "silver")}};
  auto client = identity_.RegisterClient(program_id_, ClientProfile{.email = email}, "",
                                         {.principal_id = "op-2"}, answers);
  ASSERT_TRUE(client.ok()) << client.status();
  auto values = attributes_.GetValues(program_id_, client->client_id);
  ASSERT_TRUE(values.ok()) << values.status();
  ASSERT_EQ(values->size(), 2u);
  EXPECT_EQ((*values)[0].text, "41.0");
  auto history = attributes_.ListStatusHistory(program_id_, client->client_id, "", 10, "");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->changes.size(), 1u);
  EXPECT_EQ(history->changes[0].source, AttributeChangeSource::kRegistration);
  EXPECT_EQ(history->changes[0].changed_by, "op-2");
}

TEST_F(AttributeStoreTest, AnotherProgramsClientIsNotFound) {
  Define(TierSpec());
  const std::string stranger = NewClient(other_program_id_);
  EXPECT_EQ(Set(stranger, {Text("tier", AttributeType::kEnum, "gold")}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(attributes_.GetValues(program_id_, stranger).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(attributes_.ListStatusHistory(program_id_, stranger, "", 10, "").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace loyalty::identity
