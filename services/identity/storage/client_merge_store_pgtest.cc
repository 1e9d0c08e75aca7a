// Merging clients against a real PostgreSQL (CLI-7): tags, consent history
// and missing profile fields move to the survivor in one transaction, the
// duplicate's unique keys are freed and it stays as MERGED; retries have one
// effect; bad merges change nothing; and a merge whose cards step did not
// happen (cards down, a crash in between) converges through a retry or the
// background job.

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "services/identity/api/client_cards.h"
#include "services/identity/api/client_merger.h"
#include "services/identity/storage/attribute_store.h"
#include "services/identity/storage/client_merge_store.h"
#include "services/identity/storage/consent_store.h"
#include "services/identity/storage/identity_store.h"
#include "services/identity/storage/tag_store.h"
#include "services/identity/testing/pg_fixture.h"

namespace loyalty::identity {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const AuditActor kOperator{
    .kind = ActorKind::kOperator, .principal_id = "op-1", .role = "ROLE_OPERATOR"};

// Cards as the merge sees it: down until told otherwise, recording calls.
class FakeClientCards final : public ClientCards {
 public:
  struct Call {
    std::string program_id, from, to, request_id;
  };

  absl::StatusOr<CardsMoved> Reassign(const rpc::CallContext& call, const std::string& from,
                                      const std::string& to,
                                      const std::string& request_id) override {
    calls.push_back({call.program_id, from, to, request_id});
    if (!up) return absl::UnavailableError("connection refused");
    return CardsMoved{.owned_card_numbers = {"1001"}, .held_card_numbers = {}};
  }
  absl::StatusOr<cards::v1::ListCardsResponse> ListCards(const rpc::CallContext&,
                                                         const std::string&) override {
    return absl::UnimplementedError("not used");
  }
  absl::StatusOr<cards::v1::ListClientOperationsResponse> ListOperations(
      const rpc::CallContext&, const cards::v1::ListClientOperationsRequest&) override {
    return absl::UnimplementedError("not used");
  }

  bool up = true;
  std::vector<Call> calls;
};

class ClientMergeTest : public testing::IdentityPgTest {
 protected:
  Client NewClient(ClientProfile profile) {
    auto client = identity_.RegisterClient(program_id_, profile, "");
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *client : Client{};
  }

  Client Reload(const std::string& client_id) {
    auto client = identity_.GetClient(program_id_, client_id);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *client : Client{};
  }

  Tag NewTag(const std::string& name) {
    auto tag = tags_.Create(program_id_, TagSpec{.name = name, .colour = "#FF0000"}, "");
    EXPECT_TRUE(tag.ok()) << tag.status();
    return tag.ok() ? *tag : Tag{};
  }

  void Assign(const Tag& tag, const std::vector<std::string>& clients) {
    ASSERT_TRUE(tags_.ChangeClients(program_id_, tag.tag_id, clients, true, kOperator).ok());
  }

  std::vector<std::string> TagIdsOf(const std::string& client_id) {
    auto tags = tags_.ListOfClient(program_id_, client_id);
    EXPECT_TRUE(tags.ok()) << tags.status();
    std::vector<std::string> ids;
    for (const Tag& tag : tags.value_or(std::vector<Tag>{})) ids.push_back(tag.tag_id);
    return ids;
  }

  void Consent(const std::string& client_id, ConsentKind kind, bool given, absl::Time time) {
    const ConsentChange change{.kind = kind,
                               .given = given,
                               .source = ConsentSource::kOperator,
                               .text_version = given ? "v1" : "",
                               .consent_time = time};
    ASSERT_TRUE(consents_.RecordConsents(program_id_, client_id, {&change, 1}, kOperator, "", "")
                    .ok());
  }

  int64_t Count(const std::string& sql) {
    absl::StatusOr<int64_t> value = loyalty::testing::QueryInt(*pool_, sql);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.value_or(-1);
  }

  int64_t Events(const std::string& type) {
    return Count(absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = '", program_id_,
                              "' AND event_type = 'loyalty.identity.v1.", type, "'"));
  }

  rpc::CallContext Call() const {
    return rpc::CallContext{
        .program_id = program_id_, .role = "ROLE_OPERATOR", .principal_id = "op-1"};
  }

  TagStore tags_{*pool_};
  ConsentStore consents_{*pool_};
  ClientMergeStore merges_{*pool_};
  FakeClientCards cards_;
  ClientMerger merger_{merges_, cards_};
};

TEST_F(ClientMergeTest, MovesTagsConsentsAndMissingFieldsAndFreesTheDuplicatesKeys) {
  const Client survivor = NewClient({.first_name = "Anna", .phone = "+79161110001"});
  const Client duplicate = NewClient({.last_name = "Ivanova",
                                      .first_name = "Anya",
                                      .phone = "+79161110002",
                                      .email = "anna@example.com",
                                      .city = "Tver",
                                      .external_id = "crm-7"});
  const Tag both = NewTag("Both");
  const Tag theirs = NewTag("Theirs");
  const Tag mine = NewTag("Mine");
  Assign(both, {survivor.client_id, duplicate.client_id});
  Assign(theirs, {duplicate.client_id});
  Assign(mine, {survivor.client_id});
  const absl::Time t0 = absl::Now() - absl::Hours(3);
  Consent(survivor.client_id, ConsentKind::kMarketing, true, t0);
  // The duplicate withdrew later: the merged history's latest record wins.
  Consent(duplicate.client_id, ConsentKind::kMarketing, false, t0 + absl::Hours(1));
  // An older record of the duplicate does not override the survivor's.
  Consent(survivor.client_id, ConsentKind::kSmsSubscription, true, t0 + absl::Hours(2));
  Consent(duplicate.client_id, ConsentKind::kSmsSubscription, false, t0);
  ASSERT_TRUE(Reload(survivor.client_id).profile.marketing_consent);

  auto merge = merger_.Merge(Call(), survivor.client_id, duplicate.client_id, "merge-1");
  ASSERT_TRUE(merge.ok()) << merge.status();
  EXPECT_TRUE(merge->cards_done);
  EXPECT_THAT(merge->added_tag_ids, ElementsAre(theirs.tag_id));
  EXPECT_THAT(merge->filled_fields, ElementsAre("last_name", "email", "city", "external_id"));
  EXPECT_EQ(merge->moved_consent_records, 2);
  EXPECT_THAT(merge->owned_card_numbers, ElementsAre("1001"));

  const Client merged = Reload(survivor.client_id);
  EXPECT_EQ(merged.profile.first_name, "Anna");
  EXPECT_EQ(merged.profile.last_name, "Ivanova");
  EXPECT_EQ(merged.profile.phone, "+79161110001");
  EXPECT_EQ(merged.profile.email, "anna@example.com");
  EXPECT_EQ(merged.profile.external_id, "crm-7");
  EXPECT_FALSE(merged.profile.marketing_consent);
  EXPECT_GT(merged.version, survivor.version);
  EXPECT_THAT(TagIdsOf(survivor.client_id),
              UnorderedElementsAre(both.tag_id, theirs.tag_id, mine.tag_id));

  const Client gone = Reload(duplicate.client_id);
  EXPECT_EQ(gone.merged_into_client_id, survivor.client_id);
  EXPECT_EQ(gone.profile.phone, "");
  EXPECT_EQ(gone.profile.email, "");
  EXPECT_EQ(gone.profile.external_id, "");
  EXPECT_EQ(gone.profile.last_name, "Ivanova");  // the record is kept
  EXPECT_THAT(TagIdsOf(duplicate.client_id), IsEmpty());

  auto state = consents_.GetConsents(program_id_, survivor.client_id, 50, "");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->records.size(), 4u);
  EXPECT_FALSE(state->current.at(ConsentKind::kMarketing).change.given);
  EXPECT_TRUE(state->current.at(ConsentKind::kSmsSubscription).change.given);

  // The duplicate's keys: those the survivor took find the survivor, the
  // others nobody.
  auto by_email = identity_.FindClient(program_id_, IdentifyKind::kEmail, "anna@example.com");
  ASSERT_TRUE(by_email.ok()) << by_email.status();
  EXPECT_EQ(by_email->client_id, survivor.client_id);
  EXPECT_EQ(identity_.FindClient(program_id_, IdentifyKind::kPhone, "+79161110002").status().code(),
            absl::StatusCode::kNotFound);
  // The freed phone can be registered again.
  NewClient({.phone = "+79161110002"});

  EXPECT_EQ(Events("ClientsMerged"), 1);
  ASSERT_EQ(cards_.calls.size(), 1u);
  EXPECT_EQ(cards_.calls[0].from, duplicate.client_id);
  EXPECT_EQ(cards_.calls[0].to, survivor.client_id);
  EXPECT_EQ(cards_.calls[0].request_id, "merge-1");
}

TEST_F(ClientMergeTest, AttributeValuesTheSurvivorLacksMoveWithTheirStatusHistory) {
  AttributeStore attributes(*pool_);
  AttributeSpec tier{.key = "tier",
                     .display_name = "Tier",
                     .type = AttributeType::kEnum,
                     .allowed_values = {{"silver", "Silver"}, {"gold", "Gold"}},
                     .kind = AttributeKind::kStatusSystem};
  AttributeSpec city_part{
      .key = "district", .display_name = "District", .type = AttributeType::kString};
  for (AttributeSpec* spec : {&tier, &city_part}) {
    ASSERT_TRUE(NormalizeAttributeSpec(*spec, "attribute.").ok());
    ASSERT_TRUE(attributes.Create(program_id_, *spec, "").ok());
  }
  auto set = [&](const Client& client, std::vector<AttributeValue> values) {
    auto stored = attributes.SetValues(
        program_id_, client.client_id, AttributeValuesInput{.values = std::move(values)},
        AttributeChangeOrigin{.actor = kOperator, .reason = "test"}, "", "");
    ASSERT_TRUE(stored.ok()) << stored.status();
  };
  const AttributeValue gold{.key = "tier", .type = AttributeType::kEnum, .text = "gold"};
  const AttributeValue north{.key = "district", .type = AttributeType::kString, .text = "north"};
  const AttributeValue south{.key = "district", .type = AttributeType::kString, .text = "south"};
  const Client survivor = NewClient({.phone = "+79161110061"});
  const Client duplicate = NewClient({.phone = "+79161110062"});
  set(survivor, {north});
  set(duplicate, {gold, south});

  ASSERT_TRUE(merger_.Merge(Call(), survivor.client_id, duplicate.client_id, "merge-attrs").ok());

  // The survivor's own value wins; the one it lacked comes with its history.
  auto values = attributes.GetValues(program_id_, survivor.client_id);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_THAT(*values, UnorderedElementsAre(north, gold));
  auto history = attributes.ListStatusHistory(program_id_, survivor.client_id, "tier", 10, "");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->changes.size(), 1u);
  EXPECT_EQ(history->changes[0].new_value, "gold");
  auto left = attributes.GetValues(program_id_, duplicate.client_id);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_THAT(*left, ElementsAre(south));
}

TEST_F(ClientMergeTest, RetriesHaveOneEffect) {
  const Client survivor = NewClient({.phone = "+79161110011"});
  const Client duplicate = NewClient({.email = "dup@example.com"});
  auto first = merger_.Merge(Call(), survivor.client_id, duplicate.client_id, "merge-2");
  ASSERT_TRUE(first.ok()) << first.status();
  const int64_t version = Reload(survivor.client_id).version;

  auto again = merger_.Merge(Call(), survivor.client_id, duplicate.client_id, "merge-2");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->create_time, first->create_time);
  EXPECT_THAT(again->filled_fields, ElementsAre("email"));
  EXPECT_EQ(Reload(survivor.client_id).version, version);
  EXPECT_EQ(Events("ClientsMerged"), 1);
  EXPECT_EQ(cards_.calls.size(), 1u);  // done: cards is not asked again

  auto reused = merger_.Merge(Call(), duplicate.client_id, survivor.client_id, "merge-2");
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(reused.status()), "request_id");
  // A new request for a merged client is refused, naming which one.
  auto twice = merger_.Merge(Call(), survivor.client_id, duplicate.client_id, "merge-3");
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(twice.status()), "duplicate_client_id");
  const Client third = NewClient({.phone = "+79161110012"});
  auto into_merged = merger_.Merge(Call(), duplicate.client_id, third.client_id, "merge-4");
  EXPECT_EQ(into_merged.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(into_merged.status()), "survivor_client_id");
  EXPECT_EQ(Events("ClientsMerged"), 1);

  // The duplicate is history: no profile change, no tags, no attributes.
  auto renamed = identity_.UpdateClient(program_id_, duplicate.client_id, 0,
                                        [](ClientProfile& profile) {
                                          profile.first_name = "Late";
                                          return absl::OkStatus();
                                        });
  EXPECT_EQ(renamed.status().code(), absl::StatusCode::kFailedPrecondition);
  const Tag tag = NewTag("after-merge");
  auto tagged = tags_.ChangeClients(program_id_, tag.tag_id, {duplicate.client_id}, true,
                                    kOperator);
  ASSERT_TRUE(tagged.ok()) << tagged.status();
  EXPECT_EQ(tagged->changed, 0);
  EXPECT_THAT(tagged->unknown_client_ids, ElementsAre(duplicate.client_id));
  AttributeStore attributes(*pool_);
  auto valued = attributes.SetValues(program_id_, duplicate.client_id, {}, {}, "", "");
  EXPECT_EQ(valued.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ClientMergeTest, ConcurrentTwinsOfOneRequestMergeOnce) {
  const Client survivor = NewClient({.phone = "+79161110051"});
  const Client duplicate = NewClient({.phone = "+79161110052"});
  constexpr int kTwins = 4;
  std::vector<absl::StatusOr<ClientMergeRecord>> results(kTwins, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kTwins; ++i) {
    threads.emplace_back([&, i] {
      results[i] = merges_.Begin(program_id_, survivor.client_id, duplicate.client_id,
                                 "merge-twins", kOperator);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->create_time, results[0]->create_time);
  }
  EXPECT_EQ(Events("ClientsMerged"), 1);
}

TEST_F(ClientMergeTest, BadMergesChangeNothing) {
  const Client survivor = NewClient({.phone = "+79161110021"});
  auto self = merger_.Merge(Call(), survivor.client_id, survivor.client_id, "merge-5");
  EXPECT_EQ(self.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(self.status()), "duplicate_client_id");

  auto stranger = identity_.RegisterClient(other_program_id_, {.phone = "+79161110022"}, "");
  ASSERT_TRUE(stranger.ok()) << stranger.status();
  auto across = merger_.Merge(Call(), survivor.client_id, stranger->client_id, "merge-6");
  EXPECT_EQ(across.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(across.status()), "duplicate_client_id");
  auto unknown = merger_.Merge(Call(), NewUuid(), survivor.client_id, "merge-7");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(unknown.status()), "survivor_client_id");

  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM client_merges WHERE program_id = '",
                               program_id_, "'")),
            0);
  EXPECT_EQ(Reload(survivor.client_id).version, survivor.version);
  EXPECT_TRUE(cards_.calls.empty());
}

TEST_F(ClientMergeTest, CardsDownLeavesTheMergePendingAndARetryFinishesIt) {
  const Client survivor = NewClient({.phone = "+79161110031"});
  const Client duplicate = NewClient({.phone = "+79161110032"});
  cards_.up = false;
  auto failed = merger_.Merge(Call(), survivor.client_id, duplicate.client_id, "merge-8");
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  // Identity's part is committed: the duplicate is merged already.
  EXPECT_EQ(Reload(duplicate.client_id).merged_into_client_id, survivor.client_id);
  auto pending = merges_.Get(program_id_, "merge-8");
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_FALSE(pending->cards_done);
  EXPECT_EQ(pending->cards_attempts, 1);

  cards_.up = true;
  auto retried = merger_.Merge(Call(), survivor.client_id, duplicate.client_id, "merge-8");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_TRUE(retried->cards_done);
  EXPECT_TRUE(retried->complete_time.has_value());
  EXPECT_THAT(retried->owned_card_numbers, ElementsAre("1001"));
  ASSERT_EQ(cards_.calls.size(), 2u);
  EXPECT_EQ(cards_.calls[1].request_id, "merge-8");
  EXPECT_EQ(Events("ClientsMerged"), 1);
}

TEST_F(ClientMergeTest, ACrashBetweenIdentityAndCardsConvergesInTheBackground) {
  const Client survivor = NewClient({.phone = "+79161110041"});
  const Client duplicate = NewClient({.phone = "+79161110042"});
  // The process dies right after identity's transaction: no cards call.
  auto begun = merges_.Begin(program_id_, survivor.client_id, duplicate.client_id, "merge-9",
                             kOperator);
  ASSERT_TRUE(begun.ok()) << begun.status();
  ASSERT_FALSE(begun->cards_done);

  // Merges begun after the cut-off are left to the requests finishing them.
  merger_.FinishPending(begun->create_time, 100);
  EXPECT_FALSE(merges_.Get(program_id_, "merge-9")->cards_done);

  merger_.FinishPending(absl::Now() + absl::Seconds(1), 1000);
  auto done = merges_.Get(program_id_, "merge-9");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(done->cards_done);
  EXPECT_THAT(done->owned_card_numbers, ElementsAre("1001"));
  const auto it = std::find_if(cards_.calls.begin(), cards_.calls.end(),
                               [](const FakeClientCards::Call& call) {
                                 return call.request_id == "merge-9";
                               });
  ASSERT_NE(it, cards_.calls.end());
  EXPECT_EQ(it->program_id, program_id_);
  EXPECT_EQ(it->from, duplicate.client_id);
  EXPECT_EQ(it->to, survivor.client_id);
}

}  // namespace
}  // namespace loyalty::identity
