// TagStore against a real PostgreSQL: idempotent creates, names unique
// ignoring case, exact counts of assign/remove, unknown clients reported,
// program isolation, and one event per client actually changed.

#include <algorithm>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "services/identity/storage/identity_store.h"
#include "services/identity/storage/tag_store.h"
#include "services/identity/testing/pg_fixture.h"

namespace loyalty::identity {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

AuditActor ByKey(const std::string& api_key_id) {
  return AuditActor{.kind = ActorKind::kApiKey, .principal_id = api_key_id};
}

class TagStoreTest : public testing::IdentityPgTest {
 protected:

  std::string NewClient(const std::string& program_id) {
    auto client = identity_.RegisterClient(program_id,
                                           ClientProfile{.email = NewUuid() + "@example.com"}, "");
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? client->client_id : "";
  }

  Tag NewTag(const std::string& name) {
    auto tag = tags_.Create(program_id_, TagSpec{.name = name, .colour = "#FF0000"}, "");
    EXPECT_TRUE(tag.ok()) << tag.status();
    return tag.ok() ? *tag : Tag{};
  }

  int64_t Count(const std::string& sql) {
    absl::StatusOr<int64_t> value = loyalty::testing::QueryInt(*pool_, sql);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.value_or(-1);
  }

  int64_t TagEvents() {
    return Count(absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = '", program_id_,
                              "' AND event_type = 'loyalty.identity.v1.ClientTagsChanged'"));
  }

  TagStore tags_{*pool_};
};


TEST_F(TagStoreTest, CreateIsIdempotentByRequestId) {
  const TagSpec spec{.name = "VIP", .colour = "#00FF00"};
  auto first = tags_.Create(program_id_, spec, "req-1");
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = tags_.Create(program_id_, spec, "req-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->tag_id, first->tag_id);
  auto other_content =
      tags_.Create(program_id_, TagSpec{.name = "VIP", .colour = "#0000FF"}, "req-1");
  EXPECT_EQ(other_content.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(other_content.status()), "request_id");
  // The same request id in another program is another request.
  auto elsewhere = tags_.Create(other_program_id_, spec, "req-1");
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.status();
  EXPECT_NE(elsewhere->tag_id, first->tag_id);
}

TEST_F(TagStoreTest, NamesAreUniqueIgnoringCase) {
  const Tag vip = NewTag("VIP");
  auto clash = tags_.Create(program_id_, TagSpec{.name = "vip", .colour = "#000000"}, "");
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(clash.status()), "tag.name");
  // Another program may use the name.
  EXPECT_TRUE(
      tags_.Create(other_program_id_, TagSpec{.name = "vip", .colour = "#000000"}, "").ok());

  // Renaming onto another tag's name is refused; a tag may change its own
  // name's case.
  const Tag gold = NewTag("Gold");
  auto rename = tags_.Update(program_id_, gold.tag_id, [](TagSpec& spec) {
    spec.name = "Vip";
    return absl::OkStatus();
  });
  EXPECT_EQ(rename.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(rename.status()), "tag.name");
  auto recase = tags_.Update(program_id_, vip.tag_id, [](TagSpec& spec) {
    spec.name = "vip";
    spec.colour = "#123456";
    return absl::OkStatus();
  });
  ASSERT_TRUE(recase.ok()) << recase.status();
  EXPECT_EQ(recase->spec, (TagSpec{.name = "vip", .colour = "#123456"}));
  EXPECT_EQ(tags_.Get(program_id_, vip.tag_id)->spec.name, "vip");
}

TEST_F(TagStoreTest, ListsByNameAcrossPages) {
  NewTag("charlie");
  NewTag("Alpha");
  NewTag("bravo");
  auto first = tags_.List(program_id_, 2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->tags.size(), 2u);
  EXPECT_EQ(first->tags[0].spec.name, "Alpha");
  EXPECT_EQ(first->tags[1].spec.name, "bravo");
  auto second = tags_.List(program_id_, 2, first->next_page_token);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->tags.size(), 1u);
  EXPECT_EQ(second->tags[0].spec.name, "charlie");
  EXPECT_TRUE(second->next_page_token.empty());
  EXPECT_EQ(ViolatedField(tags_.List(program_id_, 2, "%%%").status()), "page_token");
}

TEST_F(TagStoreTest, AssignAndRemoveCountExactlyAndAreIdempotent) {
  const Tag tag = NewTag("Newsletter");
  const std::string a = NewClient(program_id_);
  const std::string b = NewClient(program_id_);
  const std::string stranger = NewClient(other_program_id_);
  const std::string nobody = NewUuid();

  auto assigned =
      tags_.ChangeClients(program_id_, tag.tag_id, {a, stranger, b, nobody}, true, ByKey("key-1"));
  ASSERT_TRUE(assigned.ok()) << assigned.status();
  EXPECT_EQ(assigned->changed, 2);
  EXPECT_EQ(assigned->unchanged, 0);
  // Another program's client is as unknown as no client at all.
  EXPECT_THAT(assigned->unknown_client_ids, ElementsAre(stranger, nobody));
  EXPECT_EQ(TagEvents(), 2);

  auto again = tags_.ChangeClients(program_id_, tag.tag_id, {b, a}, true, ByKey("key-1"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->changed, 0);
  EXPECT_EQ(again->unchanged, 2);
  EXPECT_THAT(again->unknown_client_ids, IsEmpty());
  EXPECT_EQ(TagEvents(), 2) << "nothing changed, nothing published";

  auto page = tags_.ListClients(program_id_, tag.tag_id, 1, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->assignments.size(), 1u);
  EXPECT_EQ(page->assignments[0].assigned_by, "key-1");
  auto rest = tags_.ListClients(program_id_, tag.tag_id, 5, page->next_page_token);
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->assignments.size(), 1u);
  EXPECT_EQ(std::min(a, b), page->assignments[0].client_id);
  EXPECT_EQ(std::max(a, b), rest->assignments[0].client_id);

  auto of_a = tags_.ListOfClient(program_id_, a);
  ASSERT_TRUE(of_a.ok()) << of_a.status();
  ASSERT_EQ(of_a->size(), 1u);
  EXPECT_EQ((*of_a)[0].tag_id, tag.tag_id);

  auto removed = tags_.ChangeClients(program_id_, tag.tag_id, {a, nobody}, false, ByKey("key-2"));
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->changed, 1);
  EXPECT_EQ(removed->unchanged, 0);
  EXPECT_THAT(removed->unknown_client_ids, ElementsAre(nobody));
  auto removed_again = tags_.ChangeClients(program_id_, tag.tag_id, {a}, false, ByKey("key-2"));
  ASSERT_TRUE(removed_again.ok()) << removed_again.status();
  EXPECT_EQ(removed_again->changed, 0);
  EXPECT_EQ(removed_again->unchanged, 1);
  EXPECT_EQ(TagEvents(), 3);
  EXPECT_THAT(*tags_.ListOfClient(program_id_, a), IsEmpty());
}

TEST_F(TagStoreTest, DeleteRemovesAssignmentsWithAnEventEach) {
  const Tag tag = NewTag("Temporary");
  const Tag kept = NewTag("Kept");
  const std::string a = NewClient(program_id_);
  const std::string b = NewClient(program_id_);
  ASSERT_TRUE(tags_.ChangeClients(program_id_, tag.tag_id, {a, b}, true, AuditActor{}).ok());
  ASSERT_TRUE(tags_.ChangeClients(program_id_, kept.tag_id, {a}, true, AuditActor{}).ok());
  const int64_t events = TagEvents();

  auto removed = tags_.Delete(program_id_, tag.tag_id);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);
  EXPECT_EQ(TagEvents(), events + 2);
  // Each names its client and the deleted tag as removed.
  for (const std::string& client : {a, b}) {
    EXPECT_EQ(Count(absl::StrCat(
                  "SELECT count(*) FROM outbox WHERE payload::jsonb @> '{\"client_id\": \"", client,
                  "\", \"removed_tag_ids\": [\"", tag.tag_id, "\"]}'")),
              1)
        << client;
  }
  EXPECT_EQ(
      Count(absl::StrCat("SELECT count(*) FROM client_tags WHERE tag_id = '", tag.tag_id, "'")), 0);
  EXPECT_EQ(tags_.Get(program_id_, tag.tag_id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(tags_.Delete(program_id_, tag.tag_id).status().code(), absl::StatusCode::kNotFound);
  // The other tag keeps its client.
  auto of_a = tags_.ListOfClient(program_id_, a);
  ASSERT_TRUE(of_a.ok()) << of_a.status();
  ASSERT_EQ(of_a->size(), 1u);
  EXPECT_EQ((*of_a)[0].tag_id, kept.tag_id);
}

TEST_F(TagStoreTest, AnotherProgramsTagIsNotFound) {
  const Tag tag = NewTag("Mine");
  const std::string client = NewClient(program_id_);
  const std::string theirs = NewClient(other_program_id_);
  EXPECT_EQ(tags_.Get(other_program_id_, tag.tag_id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(tags_.ChangeClients(other_program_id_, tag.tag_id, {theirs}, true, AuditActor{})
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(tags_.Delete(other_program_id_, tag.tag_id).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(tags_.ListClients(other_program_id_, tag.tag_id, 10, "").status().code(),
            absl::StatusCode::kNotFound);
  auto update =
      tags_.Update(other_program_id_, tag.tag_id, [](TagSpec&) { return absl::OkStatus(); });
  EXPECT_EQ(update.status().code(), absl::StatusCode::kNotFound);
  auto client_tags = tags_.ListOfClient(other_program_id_, client);
  EXPECT_EQ(client_tags.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(client_tags.status()), "client_id");
  EXPECT_TRUE(tags_.Get(program_id_, tag.tag_id).ok());
}

TEST_F(TagStoreTest, ProgramTagLimitHolds) {
  // Fill up to the limit with one statement rather than a thousand calls.
  ASSERT_TRUE(pool_
                  ->Transact([&](pg::Tx& tx) {
                    tx.exec_params(
                        "INSERT INTO tags (program_id, tag_id, name, colour)"
                        " SELECT $1, gen_random_uuid(), 'bulk ' || i, '#000000'"
                        " FROM generate_series(1, $2) AS i",
                        program_id_, kMaxTagsPerProgram);
                    return absl::OkStatus();
                  })
                  .ok());
  auto refused = tags_.Create(program_id_, TagSpec{.name = "one more", .colour = "#000000"}, "");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace loyalty::identity
