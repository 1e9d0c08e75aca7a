// ConsentStore against a real PostgreSQL: history and derived state,
// the marketing_consent projection and its event, request-id idempotency,
// registration's record, program isolation and history pages.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "services/identity/storage/consent_store.h"
#include "services/identity/storage/identity_store.h"
#include "services/identity/testing/pg_fixture.h"

namespace loyalty::identity {
namespace {

const AuditActor kPos{.kind = ActorKind::kApiKey, .principal_id = "key-pos", .role = "ROLE_POS"};

class ConsentStoreTest : public testing::IdentityPgTest {
 protected:

  Client NewClient(bool marketing) {
    auto client = identity_.RegisterClient(
        program_id_,
        ClientProfile{.email = NewUuid() + "@example.com", .marketing_consent = marketing}, "",
        AuditActor{.kind = ActorKind::kApiKey, .principal_id = "key-admin", .role = "ROLE_ADMIN"});
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *client : Client{};
  }

  bool MarketingColumn(const std::string& client_id) {
    auto client = identity_.GetClient(program_id_, client_id);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() && client->profile.marketing_consent;
  }

  int64_t ConsentEvents(const std::string& client_id) {
    absl::StatusOr<int64_t> count = loyalty::testing::QueryInt(
        *pool_, absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = '", program_id_,
                             "' AND event_type = 'loyalty.identity.v1.ClientConsentChanged'"
                             " AND position('", client_id, "' in payload) > 0"));
    EXPECT_TRUE(count.ok()) << count.status();
    return count.value_or(-1);
  }

  static ConsentChange Change(ConsentKind kind, bool given, absl::Time time) {
    return ConsentChange{.kind = kind,
                         .given = given,
                         .source = ConsentSource::kPos,
                         .text_version = given ? "v1" : "",
                         .consent_time = time};
  }

  ConsentStore consents_{*pool_};
};


TEST_F(ConsentStoreTest, RegistrationWithMarketingConsentStartsTheHistory) {
  const Client client = NewClient(true);
  EXPECT_TRUE(client.profile.marketing_consent);
  auto consents = consents_.GetConsents(program_id_, client.client_id, 50, "");
  ASSERT_TRUE(consents.ok()) << consents.status();
  ASSERT_EQ(consents->records.size(), 1u);
  const ConsentRecord& record = consents->records[0];
  EXPECT_EQ(record.change.kind, ConsentKind::kMarketing);
  EXPECT_TRUE(record.change.given);
  EXPECT_EQ(record.change.source, ConsentSource::kRegistration);
  EXPECT_EQ(record.recorded_by.principal_id, "key-admin");
  EXPECT_EQ(record.recorded_by.role, "ROLE_ADMIN");
  EXPECT_TRUE(IsGiven(consents->current, ConsentKind::kMarketing));
  EXPECT_EQ(ConsentEvents(client.client_id), 1);

  // Without consent at registration there is nothing to record.
  const Client silent = NewClient(false);
  auto none = consents_.GetConsents(program_id_, silent.client_id, 50, "");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->records.empty());
  EXPECT_TRUE(none->current.empty());
  EXPECT_EQ(ConsentEvents(silent.client_id), 0);
}

TEST_F(ConsentStoreTest, ProjectionAndEventsFollowTheDerivedState) {
  const Client client = NewClient(false);
  const absl::Time now = absl::Now();
  auto given = consents_.RecordConsents(
      program_id_, client.client_id,
      {Change(ConsentKind::kMarketing, true, now), Change(ConsentKind::kSmsSubscription, true, now)},
      kPos, "", "f1");
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_EQ(given->records.size(), 2u);
  EXPECT_EQ(given->records[0].recorded_by.role, "ROLE_POS");
  EXPECT_TRUE(MarketingColumn(client.client_id));
  EXPECT_EQ(ConsentEvents(client.client_id), 1);

  // A back-dated withdrawal goes into the history but changes nothing.
  auto late = consents_.RecordConsents(
      program_id_, client.client_id, {Change(ConsentKind::kMarketing, false, now - absl::Hours(1))},
      kPos, "", "f2");
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_TRUE(IsGiven(late->current, ConsentKind::kMarketing));
  EXPECT_TRUE(MarketingColumn(client.client_id));
  EXPECT_EQ(ConsentEvents(client.client_id), 1);

  // A withdrawal at the same time as the consent wins: it was written later.
  auto withdrawn = consents_.RecordConsents(program_id_, client.client_id,
                                            {Change(ConsentKind::kMarketing, false, now)}, kPos,
                                            "", "f3");
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.status();
  EXPECT_FALSE(IsGiven(withdrawn->current, ConsentKind::kMarketing));
  EXPECT_TRUE(IsGiven(withdrawn->current, ConsentKind::kSmsSubscription));
  EXPECT_FALSE(MarketingColumn(client.client_id));
  EXPECT_EQ(ConsentEvents(client.client_id), 2);

  auto history = consents_.GetConsents(program_id_, client.client_id, 50, "");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->records.size(), 4u);
  // Newest written first.
  EXPECT_EQ(history->records[0].record_id, withdrawn->records[0].record_id);
  EXPECT_EQ(history->records[3].record_id, given->records[0].record_id);
}

TEST_F(ConsentStoreTest, RequestIdMakesRetriesOneEffect) {
  const Client client = NewClient(false);
  const std::vector<ConsentChange> changes = {
      Change(ConsentKind::kPersonalDataProcessing, true, absl::Now())};
  auto first = consents_.RecordConsents(program_id_, client.client_id, changes, kPos, "r-1", "fp");
  ASSERT_TRUE(first.ok()) << first.status();
  auto retry = consents_.RecordConsents(program_id_, client.client_id, changes, kPos, "r-1", "fp");
  ASSERT_TRUE(retry.ok()) << retry.status();
  ASSERT_EQ(retry->records.size(), 1u);
  EXPECT_EQ(retry->records[0].record_id, first->records[0].record_id);
  auto reused =
      consents_.RecordConsents(program_id_, client.client_id, changes, kPos, "r-1", "other");
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(reused.status()), "request_id");
  auto history = consents_.GetConsents(program_id_, client.client_id, 50, "");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->records.size(), 1u);
}

TEST_F(ConsentStoreTest, AnotherProgramsClientIsNotFound) {
  const Client client = NewClient(true);
  auto write = consents_.RecordConsents(other_program_id_, client.client_id,
                                        {Change(ConsentKind::kMarketing, false, absl::Now())},
                                        kPos, "", "fp");
  EXPECT_EQ(write.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(consents_.GetConsents(other_program_id_, client.client_id, 50, "").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(MarketingColumn(client.client_id));
}

TEST_F(ConsentStoreTest, HistoryPages) {
  const Client client = NewClient(false);
  const absl::Time now = absl::Now();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(consents_
                    .RecordConsents(program_id_, client.client_id,
                                    {Change(ConsentKind::kEmailSubscription, i % 2 == 0,
                                            now + absl::Seconds(i))},
                                    kPos, "", "fp")
                    .ok());
  }
  std::vector<int64_t> seqs;
  std::string token;
  int pages = 0;
  do {
    auto page = consents_.GetConsents(program_id_, client.client_id, 2, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const ConsentRecord& record : page->records) seqs.push_back(record.seq);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seqs.size(), 5u);
  for (size_t i = 1; i < seqs.size(); ++i) EXPECT_LT(seqs[i], seqs[i - 1]);
  EXPECT_EQ(ViolatedField(
                consents_.GetConsents(program_id_, client.client_id, 2, "garbage!").status()),
            "page_token");
}

}  // namespace
}  // namespace loyalty::identity
