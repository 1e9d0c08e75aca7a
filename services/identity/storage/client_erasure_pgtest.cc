// CLI-14 erasure against a real PostgreSQL: personal data, social
// profiles, tags and one-time codes go in one transaction with one
// ClientErased event; the client is then found by no key, listed nowhere
// and cannot change, while its id, consent history and registration
// statistics stay; its phone, e-mail and external id are free again; a
// retry has one effect; another program's client is not found.

#include <string>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "services/identity/storage/attribute_store.h"
#include "services/identity/storage/client_erasure_store.h"
#include "services/identity/storage/tag_store.h"
#include "services/identity/testing/pg_fixture.h"

namespace loyalty::identity {
namespace {

class ClientErasurePgTest : public testing::IdentityPgTest {
 protected:
  void SetUp() override {
    IdentityPgTest::SetUp();
    auto client = identity_.RegisterClient(
        program_id_,
        ClientProfile{.last_name = "Ivanova", .first_name = "Anna", .middle_name = "S",
                      .phone = "+79160000001", .email = "anna@example.com",
                      .birth_date = BirthDate{1990, 5, 17}, .gender = Gender::kFemale,
                      .marketing_consent = true, .city = "Moscow", .car_number = "A001AA",
                      .extra_key1 = "crm-17", .external_id = "ext-1", .referral_code = "ANNA",
                      .utm_source = "mail", .utm_term = "anna", .device = Device::kIos,
                      .issuance_form = "website", .registration_store_id = "s1",
                      .social_profiles = {{"vk", "https://vk.com/anna"}}},
        "register-anna");
    ASSERT_TRUE(client.ok()) << client.status();
    client_id_ = client->client_id;
    auto tag = tags_.Create(program_id_, TagSpec{.name = "VIP", .colour = "#00FF00"}, "");
    ASSERT_TRUE(tag.ok()) << tag.status();
    tag_id_ = tag->tag_id;
    ASSERT_TRUE(tags_.ChangeClients(program_id_, tag_id_, {client_id_}, true,
                                    AuditActor{.principal_id = "op"}).ok());
    ASSERT_TRUE(pool_->Transact([&](pg::Tx& tx) {
                       tx.exec_params(
                           "INSERT INTO contact_verifications (verification_id, program_id,"
                           " client_id, channel, contact, code_hash, created_at, expires_at,"
                           " max_attempts) VALUES ($1, $2, $3, 1, '+79160000001', 'h', now(),"
                           " now() + interval '10 minutes', 5)",
                           NewUuid(), program_id_, client_id_);
                       return absl::OkStatus();
                     }).ok());
  }

  ErasureRequest Request(std::string request_id = "erase-1") {
    return {.client_id = client_id_,
            .reason = "member's request #17",
            .request_id = std::move(request_id),
            .erased_by = "admin-1"};
  }

  int64_t Count(const std::string& sql) {
    absl::StatusOr<int64_t> value = loyalty::testing::QueryInt(*pool_, sql);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.value_or(-1);
  }

  int64_t Rows(const std::string& table) {
    return Count(absl::StrCat("SELECT count(*) FROM ", table, " WHERE client_id = '", client_id_,
                              "'"));
  }

  int64_t ErasedEvents() {
    return Count(absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = '", program_id_,
                              "' AND event_type = 'loyalty.identity.v1.ClientErased'"));
  }

  ClientErasureStore erasure_{*pool_};
  TagStore tags_{*pool_};
  std::string client_id_;
  std::string tag_id_;
};

TEST_F(ClientErasurePgTest, RemovesPersonalDataAndKeepsTheOpaqueId) {
  const int64_t consents_before = Rows("client_consents");
  ASSERT_EQ(consents_before, 1);  // the registration's marketing consent
  auto erased = erasure_.Erase(program_id_, Request());
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->client_id, client_id_);
  EXPECT_EQ(erased->reason, "member's request #17");
  EXPECT_EQ(erased->erased_by, "admin-1");

  // Every personal column is empty; statistics and the id stay.
  EXPECT_EQ(Count(absl::StrCat(
                "SELECT count(*) FROM clients WHERE client_id = '", client_id_,
                "' AND last_name = '' AND first_name = '' AND middle_name = ''"
                " AND phone IS NULL AND email IS NULL AND birth_date IS NULL AND gender = 0"
                " AND NOT marketing_consent AND city = '' AND car_number = ''"
                " AND extra_key1 = '' AND external_id IS NULL AND referral_code IS NULL"
                " AND utm_source = '' AND utm_term = '' AND request_id IS NULL"
                " AND device = 1 AND issuance_form = 'website' AND registration_store_id = 's1'"
                " AND erased_at IS NOT NULL")),
            1);
  EXPECT_EQ(Rows("client_social_profiles"), 0);
  EXPECT_EQ(Rows("client_tags"), 0);
  EXPECT_EQ(Rows("contact_verifications"), 0);
  EXPECT_EQ(Rows("client_consents"), consents_before);  // the legal record stays
  EXPECT_EQ(ErasedEvents(), 1);
}

TEST_F(ClientErasurePgTest, AnswersGoAndTheAuditLogKeepsNoValues) {
  AttributeStore attributes(*pool_);
  AttributeSpec pet{.key = "pet_name", .display_name = "Pet", .type = AttributeType::kString};
  ASSERT_TRUE(NormalizeAttributeSpec(pet, "attribute.").ok());
  ASSERT_TRUE(attributes.Create(program_id_, pet, "").ok());
  ASSERT_TRUE(attributes
                  .SetValues(program_id_, client_id_,
                             AttributeValuesInput{.values = {{.key = "pet_name",
                                                              .type = AttributeType::kString,
                                                              .text = "Barsik"}}},
                             AttributeChangeOrigin{.actor = {.principal_id = "op"}}, "", "")
                  .ok());
  const std::string audit_of_client =
      absl::StrCat("SELECT count(*) FROM audit_log WHERE client_id = '", client_id_, "'");
  // Registration and the tag were audited with their values.
  ASSERT_GT(Count(absl::StrCat(audit_of_client, " AND after::text LIKE '%+79160000001%'")), 0);

  const AuditActor admin{.kind = ActorKind::kOperator, .principal_id = "admin-1",
                         .role = "ROLE_ADMIN"};
  ASSERT_TRUE(erasure_.Erase(program_id_, Request(), admin).ok());
  EXPECT_EQ(Rows("client_attribute_values"), 0);
  EXPECT_EQ(Count(absl::StrCat(audit_of_client,
                               " AND (coalesce(before::text, '') LIKE '%+7916%'"
                               "   OR coalesce(after::text, '') LIKE '%+7916%'"
                               "   OR coalesce(after::text, '') LIKE '%Ivanova%')")),
            0);
  EXPECT_EQ(Count(absl::StrCat(audit_of_client, " AND action = 'client.erase'"
                                                " AND actor_id = 'admin-1'")),
            1);
  // A retry writes no second entry.
  ASSERT_TRUE(erasure_.Erase(program_id_, Request(), admin).ok());
  EXPECT_EQ(Count(absl::StrCat(audit_of_client, " AND action = 'client.erase'")), 1);
}

TEST_F(ClientErasurePgTest, AnErasedClientIsFoundByNoKeyAndCannotChange) {
  ASSERT_TRUE(erasure_.Erase(program_id_, Request()).ok());
  EXPECT_EQ(identity_.GetClient(program_id_, client_id_).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(identity_.FindClient(program_id_, IdentifyKind::kPhone, "+79160000001").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(
      identity_.FindClient(program_id_, IdentifyKind::kEmail, "anna@example.com").status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(identity_.FindClient(program_id_, IdentifyKind::kExternalId, "ext-1").status().code(),
            absl::StatusCode::kNotFound);
  auto page = identity_.ListClients(program_id_, 50, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->clients.empty());
  auto updated = identity_.UpdateClient(program_id_, client_id_, 0, [](ClientProfile& profile) {
    profile.city = "Tver";
    return absl::OkStatus();
  });
  EXPECT_EQ(updated.status().code(), absl::StatusCode::kFailedPrecondition);
  auto tagged = tags_.ChangeClients(program_id_, tag_id_, {client_id_}, true,
                                    AuditActor{.principal_id = "op"});
  ASSERT_TRUE(tagged.ok()) << tagged.status();
  EXPECT_THAT(tagged->unknown_client_ids, ::testing::ElementsAre(client_id_));
  EXPECT_EQ(tags_.ListOfClient(program_id_, client_id_).status().code(),
            absl::StatusCode::kNotFound);

  // The phone, e-mail and external id are free for a new member; the
  // registering request id is forgotten with the rest.
  auto again = identity_.RegisterClient(
      program_id_,
      ClientProfile{.phone = "+79160000001", .email = "anna@example.com", .external_id = "ext-1"},
      "register-anna");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE(again->client_id, client_id_);
  auto found = identity_.FindClient(program_id_, IdentifyKind::kPhone, "+79160000001");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->client_id, again->client_id);
}

TEST_F(ClientErasurePgTest, ARetryHasOneEffect) {
  auto first = erasure_.Erase(program_id_, Request());
  ASSERT_TRUE(first.ok()) << first.status();
  auto retry = erasure_.Erase(program_id_, Request());
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->erase_time, first->erase_time);
  // Another request for the erased client returns the first erasure.
  ErasureRequest second = Request("erase-2");
  second.reason = "again";
  auto other = erasure_.Erase(program_id_, second);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->reason, "member's request #17");
  EXPECT_EQ(other->erase_time, first->erase_time);
  EXPECT_EQ(ErasedEvents(), 1);
  EXPECT_EQ(Count(absl::StrCat("SELECT version FROM clients WHERE client_id = '", client_id_,
                               "'")),
            2);
}

TEST_F(ClientErasurePgTest, ARequestIdOfAnotherErasureIsRefused) {
  ASSERT_TRUE(erasure_.Erase(program_id_, Request()).ok());
  auto bob = identity_.RegisterClient(program_id_, ClientProfile{.email = "bob@example.com"}, "");
  ASSERT_TRUE(bob.ok());
  ErasureRequest request = Request();
  request.client_id = bob->client_id;
  auto refused = erasure_.Erase(program_id_, request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(refused.status()), "request_id");
  EXPECT_TRUE(identity_.GetClient(program_id_, bob->client_id).ok());  // untouched
}

TEST_F(ClientErasurePgTest, AnotherProgramsClientIsNotFound) {
  EXPECT_EQ(erasure_.Erase(other_program_id_, Request()).status().code(),
            absl::StatusCode::kNotFound);
  ErasureRequest unknown = Request();
  unknown.client_id = NewUuid();
  EXPECT_EQ(erasure_.Erase(program_id_, unknown).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(identity_.GetClient(program_id_, client_id_).ok());
  EXPECT_EQ(ErasedEvents(), 0);
}

}  // namespace
}  // namespace loyalty::identity
