// The audit log against a real PostgreSQL: every identity mutation writes
// exactly one entry per change in its own transaction (with the actor and
// the changed fields only, never secrets), failed and rolled-back changes
// and retried idempotent requests write none, and the log reads newest
// first, per client or per program, filtered and paged.

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/random_ids.h"
#include "services/identity/storage/api_key_store.h"
#include "services/identity/storage/attribute_store.h"
#include "services/identity/storage/audit_store.h"
#include "services/identity/storage/audit_writer.h"
#include "services/identity/storage/consent_store.h"
#include "services/identity/storage/identity_store.h"
#include "services/identity/storage/operator_store.h"
#include "services/identity/storage/tag_store.h"
#include "services/identity/storage/verification_store.h"
#include "services/identity/testing/pg_fixture.h"

namespace loyalty::identity {
namespace {

using ::testing::HasSubstr;

const AuditActor kOperator{.kind = ActorKind::kOperator,
                           .principal_id = "6f1c7a52-0d36-4c55-9d7e-2f0a1b3c4d5e",
                           .role = "ROLE_OPERATOR",
                           .request_id = "http-req-1",
                           .trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"};
const AuditActor kPosKey{.kind = ActorKind::kApiKey,
                         .principal_id = "0b8e4d2c-1a2b-4c3d-8e9f-a0b1c2d3e4f5",
                         .role = "ROLE_POS",
                         .request_id = "http-req-2"};

class AuditTest : public testing::IdentityPgTest {
 protected:
  // The entries of the test's program, newest first, but for the
  // program's own creation (by the fixture).
  std::vector<AuditEntry> Entries(AuditFilter filter = {}) {
    auto page = audit_.List(program_id_, filter, 500, "");
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<AuditEntry> entries;
    if (!page.ok()) return entries;
    for (AuditEntry& entry : page->entries) {
      if (entry.action != "program.create") entries.push_back(std::move(entry));
    }
    return entries;
  }

  std::vector<AuditEntry> EntriesOf(const std::string& action) {
    return Entries(AuditFilter{.action = action});
  }

  // JSON as the log returns it (jsonb's canonical text), so that
  // expectations need not know jsonb's key order and spacing.
  std::string Json(const std::string& text) {
    std::string canonical;
    EXPECT_TRUE(pool_
                    ->Transact([&](pg::Tx& tx) {
                      canonical = tx.exec_params1("SELECT $1::jsonb::text", text)[0].c_str();
                      return absl::OkStatus();
                    })
                    .ok());
    return canonical;
  }

  Client Register(const std::string& phone, const std::string& request_id = "") {
    auto client = identity_.RegisterClient(
        program_id_, ClientProfile{.first_name = "Anna", .phone = phone, .city = "Omsk"},
        request_id, kOperator);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *client : Client{};
  }

  static std::string NewPhone() {
    std::string phone = absl::StrCat("+7916", NewUuid().substr(0, 7));
    for (char& c : phone) {
      if (c >= 'a' && c <= 'f') c = '5';
    }
    return phone;
  }

  AuditStore audit_{*pool_};
  TagStore tags_{*pool_};
  ConsentStore consents_{*pool_};
  VerificationStore verifications_{*pool_};
  OperatorStore operators_{*pool_};
  ApiKeyStore keys_{*pool_};
};

TEST_F(AuditTest, RegistrationIsOneEntryWithTheActorAndTheFieldsSet) {
  const std::string phone = NewPhone();
  const Client client = Register(phone, "reg-1");
  std::vector<AuditEntry> entries = Entries();
  ASSERT_EQ(entries.size(), 1u);
  const AuditEntry& entry = entries[0];
  EXPECT_EQ(entry.action, "client.create");
  EXPECT_EQ(entry.object_type, "client");
  EXPECT_EQ(entry.object_id, client.client_id);
  EXPECT_EQ(entry.client_id, client.client_id);
  EXPECT_EQ(entry.actor.kind, ActorKind::kOperator);
  EXPECT_EQ(entry.actor.principal_id, kOperator.principal_id);
  EXPECT_EQ(entry.actor.role, "ROLE_OPERATOR");
  EXPECT_EQ(entry.actor.request_id, "http-req-1");
  EXPECT_EQ(entry.actor.trace_id, kOperator.trace_id);
  EXPECT_EQ(entry.before_json, "");
  EXPECT_EQ(entry.after_json,
            Json(absl::StrCat(R"({"first_name":"Anna","phone":")", phone, R"(","city":"Omsk"})")));
  EXPECT_LT(absl::AbsDuration(entry.record_time - absl::Now()), absl::Minutes(5));

  // The retry returns the first client and writes nothing.
  auto retry =
      identity_.RegisterClient(program_id_, ClientProfile{.phone = phone}, "reg-1", kOperator);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(Entries().size(), 1u);
  // A refused registration (phone taken) writes nothing either.
  EXPECT_FALSE(
      identity_.RegisterClient(program_id_, ClientProfile{.phone = phone}, "", kOperator).ok());
  EXPECT_EQ(Entries().size(), 1u);
}

TEST_F(AuditTest, UpdateRecordsOnlyTheChangedFieldsBeforeAndAfter) {
  const Client client = Register(NewPhone());
  auto updated = identity_.UpdateClient(
      program_id_, client.client_id, client.version,
      [](ClientProfile& p) {
        p.city = "Tomsk";
        p.gender = Gender::kFemale;
        p.birth_date = BirthDate{1990, 3, 8};
        return absl::OkStatus();
      },
      kPosKey);
  ASSERT_TRUE(updated.ok()) << updated.status();
  std::vector<AuditEntry> entries = EntriesOf("client.update");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].client_id, client.client_id);
  EXPECT_EQ(entries[0].actor.kind, ActorKind::kApiKey);
  EXPECT_EQ(entries[0].actor.principal_id, kPosKey.principal_id);
  EXPECT_EQ(entries[0].before_json,
            Json(R"({"birth_date":null,"gender":"GENDER_UNSPECIFIED","city":"Omsk"})"));
  EXPECT_EQ(entries[0].after_json,
            Json(R"({"birth_date":"1990-03-08","gender":"GENDER_FEMALE","city":"Tomsk"})"));

  // No change, a stale etag, a refused change: no entry.
  ASSERT_TRUE(identity_
                  .UpdateClient(
                      program_id_, client.client_id, 0,
                      [](ClientProfile& p) {
                        p.city = "Tomsk";
                        return absl::OkStatus();
                      },
                      kPosKey)
                  .ok());
  EXPECT_EQ(identity_
                .UpdateClient(
                    program_id_, client.client_id, client.version,
                    [](ClientProfile& p) {
                      p.city = "Kazan";
                      return absl::OkStatus();
                    },
                    kPosKey)
                .status()
                .code(),
            absl::StatusCode::kAborted);
  EXPECT_FALSE(identity_
                   .UpdateClient(
                       program_id_, client.client_id, 0,
                       [](ClientProfile& p) {
                         p.city = "Kazan";
                         return absl::InvalidArgumentError("refused after the change");
                       },
                       kPosKey)
                   .ok());
  EXPECT_EQ(EntriesOf("client.update").size(), 1u);
}

TEST_F(AuditTest, AnEntryRollsBackWithItsTransaction) {
  const Client client = Register(NewPhone());
  absl::Status failed = pool_->Transact([&](pg::Tx& tx) -> absl::Status {
    AuditChange change{.action = "client.update",
                       .object_type = "client",
                       .object_id = client.client_id,
                       .client_id = client.client_id};
    change.after.Text("city", "Nowhere");
    WriteAudit(tx, program_id_, kOperator, change);
    return absl::InternalError("the change failed after its entry was written");
  });
  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(EntriesOf("client.update").empty());

  // And a change whose statement fails after the entry is written.
  EXPECT_FALSE(pool_
                   ->Transact([&](pg::Tx& tx) -> absl::Status {
                     AuditChange change{
                         .action = "tag.create", .object_type = "tag", .object_id = "x"};
                     WriteAudit(tx, program_id_, kOperator, change);
                     tx.exec("SELECT 1/0");
                     return absl::OkStatus();
                   })
                   .ok());
  EXPECT_TRUE(EntriesOf("tag.create").empty());
}

TEST_F(AuditTest, TagChangesAreAuditedPerTagAndPerClient) {
  const Client a = Register(NewPhone());
  const Client b = Register(NewPhone());
  auto tag =
      tags_.Create(program_id_, TagSpec{.name = "VIP", .colour = "#FF0000"}, "tag-req", kOperator);
  ASSERT_TRUE(tag.ok()) << tag.status();
  ASSERT_TRUE(
      tags_.Create(program_id_, TagSpec{.name = "VIP", .colour = "#FF0000"}, "tag-req", kOperator)
          .ok());
  std::vector<AuditEntry> created = EntriesOf("tag.create");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].object_id, tag->tag_id);
  EXPECT_EQ(created[0].client_id, "");
  EXPECT_EQ(created[0].after_json, Json(R"({"name":"VIP","colour":"#FF0000"})"));

  ASSERT_TRUE(tags_
                  .Update(
                      program_id_, tag->tag_id,
                      [](TagSpec& spec) {
                        spec.name = "Gold";
                        return absl::OkStatus();
                      },
                      kOperator)
                  .ok());
  ASSERT_TRUE(
      tags_
          .Update(
              program_id_, tag->tag_id, [](TagSpec&) { return absl::OkStatus(); }, kOperator)
          .ok());
  std::vector<AuditEntry> updated = EntriesOf("tag.update");
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(updated[0].before_json, Json(R"({"name":"VIP"})"));
  EXPECT_EQ(updated[0].after_json, Json(R"({"name":"Gold"})"));

  auto assigned = tags_.ChangeClients(program_id_, tag->tag_id, {a.client_id, b.client_id},
                                      /*add=*/true, kOperator);
  ASSERT_TRUE(assigned.ok()) << assigned.status();
  // Assigned again: nothing changes, nothing is written.
  ASSERT_TRUE(
      tags_.ChangeClients(program_id_, tag->tag_id, {a.client_id}, /*add=*/true, kOperator).ok());
  std::vector<AuditEntry> assignments = EntriesOf("tag.assign");
  ASSERT_EQ(assignments.size(), 2u);
  const std::string tag_json =
      Json(absl::StrCat(R"({"tag_id":")", tag->tag_id, R"(","tag_name":"Gold"})"));
  for (const AuditEntry& entry : assignments) {
    EXPECT_EQ(entry.object_id, tag->tag_id);
    EXPECT_EQ(entry.after_json, tag_json);
    EXPECT_EQ(entry.before_json, "");
  }
  ASSERT_EQ(Entries(AuditFilter{.client_id = a.client_id, .action = "tag.assign"}).size(), 1u);

  ASSERT_TRUE(
      tags_.ChangeClients(program_id_, tag->tag_id, {a.client_id}, /*add=*/false, kOperator).ok());
  std::vector<AuditEntry> removals = EntriesOf("tag.remove");
  ASSERT_EQ(removals.size(), 1u);
  EXPECT_EQ(removals[0].client_id, a.client_id);
  EXPECT_EQ(removals[0].before_json, tag_json);

  // Deleting the tag: its own entry, and one per client that still had it.
  ASSERT_TRUE(tags_.Delete(program_id_, tag->tag_id, kOperator).ok());
  std::vector<AuditEntry> deleted = EntriesOf("tag.delete");
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0].before_json, Json(R"({"name":"Gold","colour":"#FF0000"})"));
  EXPECT_EQ(deleted[0].after_json, "");
  removals = EntriesOf("tag.remove");
  ASSERT_EQ(removals.size(), 2u);
  EXPECT_EQ(removals[0].client_id, b.client_id);
}

TEST_F(AuditTest, ConsentsAreOneEntryPerCallAndNoneForARetry) {
  const Client client = Register(NewPhone());
  const ConsentChange change{.kind = ConsentKind::kSmsSubscription,
                             .given = true,
                             .source = ConsentSource::kPos,
                             .text_version = "v3",
                             .consent_time = absl::FromUnixSeconds(1'700'000'000)};
  ASSERT_TRUE(
      consents_.RecordConsents(program_id_, client.client_id, {&change, 1}, kPosKey, "c-1", "fp")
          .ok());
  ASSERT_TRUE(
      consents_.RecordConsents(program_id_, client.client_id, {&change, 1}, kPosKey, "c-1", "fp")
          .ok());
  std::vector<AuditEntry> entries = EntriesOf("consent.record");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].client_id, client.client_id);
  EXPECT_EQ(entries[0].actor.principal_id, kPosKey.principal_id);
  EXPECT_EQ(entries[0].before_json, Json(R"({"CONSENT_KIND_SMS_SUBSCRIPTION":null})"));
  EXPECT_EQ(entries[0].after_json, Json(R"({"CONSENT_KIND_SMS_SUBSCRIPTION":{"given":true,)"
                                        R"("source":"CONSENT_SOURCE_POS","text_version":"v3",)"
                                        R"("consent_time":"2023-11-14T22:13:20Z"}})"));
}

TEST_F(AuditTest, AttributeSchemaAndValueChangesAreAudited) {
  AttributeStore attributes(*pool_);
  AttributeSpec spec{.key = "tier",
                     .display_name = "Tier",
                     .type = AttributeType::kEnum,
                     .allowed_values = {{"silver", "Silver"}, {"gold", "Gold"}},
                     .editable_by = AttributeEditor::kOperator,
                     .kind = AttributeKind::kStatusSystem};
  ASSERT_TRUE(attributes.Create(program_id_, spec, "a-1", kOperator).ok());
  ASSERT_TRUE(attributes.Create(program_id_, spec, "a-1", kOperator).ok());  // a retry
  EXPECT_EQ(EntriesOf("attribute.create").size(), 1u);
  ASSERT_TRUE(attributes
                  .Update(program_id_, "tier",
                          [](AttributeSpec& changed) {
                            changed.display_name = "Level";
                            return absl::OkStatus();
                          },
                          kOperator)
                  .ok());
  std::vector<AuditEntry> updates = EntriesOf("attribute.update");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_THAT(updates[0].before_json, HasSubstr(R"("display_name": "Tier")"));
  EXPECT_THAT(updates[0].after_json, HasSubstr(R"("display_name": "Level")"));

  const Client client = Register(NewPhone());
  const AttributeValue gold{.key = "tier", .type = AttributeType::kEnum, .text = "gold"};
  const AttributeChangeOrigin origin{.actor = kOperator, .reason = "promo"};
  ASSERT_TRUE(
      attributes.SetValues(program_id_, client.client_id, {.values = {gold}}, origin, "", "").ok());
  // The same value again changes nothing and writes nothing.
  ASSERT_TRUE(
      attributes.SetValues(program_id_, client.client_id, {.values = {gold}}, origin, "", "").ok());
  ASSERT_TRUE(attributes
                  .SetValues(program_id_, client.client_id, {.clear_keys = {"tier"}}, origin, "",
                             "")
                  .ok());
  std::vector<AuditEntry> values = EntriesOf("client.attributes");
  ASSERT_EQ(values.size(), 2u);  // newest first
  EXPECT_EQ(values[1].client_id, client.client_id);
  EXPECT_EQ(values[1].actor.principal_id, kOperator.principal_id);
  EXPECT_EQ(values[1].before_json, Json(R"({"tier": null})"));
  EXPECT_EQ(values[1].after_json, Json(R"({"tier": "gold"})"));
  EXPECT_EQ(values[0].before_json, Json(R"({"tier": "gold"})"));
  EXPECT_EQ(values[0].after_json, Json(R"({"tier": null})"));

  ASSERT_TRUE(attributes.Archive(program_id_, "tier", kOperator).ok());
  ASSERT_TRUE(attributes.Archive(program_id_, "tier", kOperator).ok());
  EXPECT_EQ(EntriesOf("attribute.archive").size(), 1u);
}

TEST_F(AuditTest, VerificationIsAuditedWithoutTheCode) {
  const std::string phone = NewPhone();
  const Client client = Register(phone);
  const absl::Time now = absl::Now();
  Verification verification{.verification_id = NewUuid(),
                            .client_id = client.client_id,
                            .channel = VerificationChannel::kPhone,
                            .contact = phone,
                            .create_time = now,
                            .expire_time = now + absl::Minutes(10),
                            .max_attempts = 5};
  verification.code_hash = HashVerificationCode("key", verification.verification_id, "428519");
  ASSERT_TRUE(
      verifications_.Insert(program_id_, verification, "v-1", VerificationLimits{}, kPosKey).ok());
  ASSERT_TRUE(
      verifications_.Insert(program_id_, verification, "v-1", VerificationLimits{}, kPosKey).ok());
  std::vector<AuditEntry> started = EntriesOf("verification.start");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].after_json,
            Json(absl::StrCat(R"({"channel":"phone","contact":")", phone, R"("})")));

  auto confirm = [&](const std::string& code) {
    absl::Status answer;
    auto result =
        verifications_.Confirm(program_id_, client.client_id, verification.verification_id, code,
                               "key", now, answer, kPosKey);
    return result.ok() ? answer : result.status();
  };
  EXPECT_FALSE(confirm("111111").ok());
  EXPECT_TRUE(EntriesOf("verification.confirm").empty());
  ASSERT_TRUE(confirm("428519").ok());
  ASSERT_TRUE(confirm("428519").ok());  // again: already verified, nothing changes
  std::vector<AuditEntry> confirmed = EntriesOf("verification.confirm");
  ASSERT_EQ(confirmed.size(), 1u);
  EXPECT_EQ(confirmed[0].object_id, verification.verification_id);
  EXPECT_EQ(confirmed[0].client_id, client.client_id);
  EXPECT_EQ(confirmed[0].before_json, Json(R"({"verified":false,"phone_verified":false})"));
  EXPECT_EQ(confirmed[0].after_json, Json(R"({"verified":true,"phone_verified":true})"));

  // Changing the verified phone clears the flag, and the entry says so.
  ASSERT_TRUE(identity_
                  .UpdateClient(
                      program_id_, client.client_id, 0,
                      [&](ClientProfile& p) {
                        p.phone = NewPhone();
                        return absl::OkStatus();
                      },
                      kOperator)
                  .ok());
  std::vector<AuditEntry> updated = EntriesOf("client.update");
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_TRUE(absl::StrContains(updated[0].after_json, R"("phone_verified": false)"))
      << updated[0].after_json;

  for (const AuditEntry& entry : Entries()) {
    EXPECT_FALSE(absl::StrContains(entry.before_json + entry.after_json, "428519"));
    EXPECT_FALSE(absl::StrContains(entry.before_json + entry.after_json, verification.code_hash));
  }
}

TEST_F(AuditTest, OperatorChangesNeverShowThePasswordHash) {
  const OperatorSpec spec{.display_name = "Vera", .role = "ROLE_MARKETER"};
  auto vera =
      operators_.Create(program_id_, "vera", spec, "$argon2id$secret-hash", "op-1", kOperator);
  ASSERT_TRUE(vera.ok()) << vera.status();
  ASSERT_TRUE(
      operators_.Create(program_id_, "vera", spec, "$argon2id$other", "op-1", kOperator).ok());
  std::vector<AuditEntry> created = EntriesOf("operator.create");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].object_type, "operator");
  EXPECT_EQ(created[0].object_id, vera->operator_id);
  EXPECT_EQ(created[0].after_json,
            Json(R"({"login":"vera","display_name":"Vera","role":"ROLE_MARKETER",)"
                 R"("disabled":false})"));

  ASSERT_TRUE(operators_
                  .Update(
                      program_id_, vera->operator_id,
                      [](OperatorSpec& s) {
                        s.role = "ROLE_ANALYST";
                        return absl::OkStatus();
                      },
                      kOperator)
                  .ok());
  ASSERT_TRUE(operators_
                  .Update(
                      program_id_, vera->operator_id,
                      [](OperatorSpec& s) {
                        s.disabled = true;
                        return absl::OkStatus();
                      },
                      kOperator)
                  .ok());
  std::vector<AuditEntry> updated = EntriesOf("operator.update");
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(updated[0].before_json, Json(R"({"role":"ROLE_MARKETER"})"));
  EXPECT_EQ(updated[0].after_json, Json(R"({"role":"ROLE_ANALYST"})"));
  std::vector<AuditEntry> disabled = EntriesOf("operator.disable");
  ASSERT_EQ(disabled.size(), 1u);
  EXPECT_EQ(disabled[0].after_json, Json(R"({"disabled":true})"));

  ASSERT_TRUE(
      operators_.SetPasswordHash(program_id_, vera->operator_id, "$argon2id$new-hash", kOperator)
          .ok());
  EXPECT_EQ(
      operators_.SetPasswordHash(other_program_id_, vera->operator_id, "$argon2id$evil", kOperator)
          .code(),
      absl::StatusCode::kNotFound);
  std::vector<AuditEntry> passwords = EntriesOf("operator.set_password");
  ASSERT_EQ(passwords.size(), 1u);
  EXPECT_EQ(passwords[0].after_json, Json(R"({"password_changed":true})"));
  for (const AuditEntry& entry : Entries()) {
    EXPECT_FALSE(absl::StrContains(entry.before_json + entry.after_json, "argon2id"));
  }
}

TEST_F(AuditTest, ApiKeysAreAuditedWithoutSecretsAndRevokedOnce) {
  const std::string hash = "hash-" + NewUuid();
  const ApiKey key{
      .program_id = program_id_, .display_name = "till 1", .role = "ROLE_POS", .store_id = "s1"};
  auto created = keys_.Create(key, hash, "key-req", kOperator);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(keys_.Create(key, "hash-" + NewUuid(), "key-req", kOperator).ok());
  // The internal API's keys (platform tooling) are the system's.
  ASSERT_TRUE(identity_.CreateApiKey(key, "hash-" + NewUuid()).ok());
  std::vector<AuditEntry> keys = EntriesOf("api_key.create");
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].actor.kind, ActorKind::kSystem);
  EXPECT_EQ(keys[0].actor.principal_id, "");
  EXPECT_EQ(keys[1].actor.kind, ActorKind::kOperator);
  EXPECT_EQ(keys[1].object_id, created->record.key.api_key_id);
  EXPECT_EQ(keys[1].after_json,
            Json(R"({"display_name":"till 1","role":"ROLE_POS","store_id":"s1"})"));

  ASSERT_TRUE(keys_.Revoke(program_id_, created->record.key.api_key_id, kOperator).ok());
  ASSERT_TRUE(keys_.Revoke(program_id_, created->record.key.api_key_id, kOperator).ok());
  EXPECT_FALSE(keys_.Revoke(other_program_id_, created->record.key.api_key_id, kOperator).ok());
  std::vector<AuditEntry> revoked = EntriesOf("api_key.revoke");
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(revoked[0].before_json, Json(R"({"revoked":false})"));
  EXPECT_EQ(revoked[0].after_json, Json(R"({"revoked":true})"));
  for (const AuditEntry& entry : Entries()) {
    EXPECT_FALSE(absl::StrContains(entry.before_json + entry.after_json, "hash-"));
  }
}

TEST_F(AuditTest, ReadsNewestFirstFilteredAndPagedWithinTheProgram) {
  const Client client = Register(NewPhone());
  for (const char* city : {"Tomsk", "Kazan", "Perm"}) {
    ASSERT_TRUE(identity_
                    .UpdateClient(
                        program_id_, client.client_id, 0,
                        [&](ClientProfile& p) {
                          p.city = city;
                          return absl::OkStatus();
                        },
                        kOperator)
                    .ok());
  }
  const Client other = Register(NewPhone());

  const AuditFilter mine{.client_id = client.client_id};
  auto first = audit_.List(program_id_, mine, 3, "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->entries.size(), 3u);
  EXPECT_EQ(first->entries[0].after_json, Json(R"({"city":"Perm"})"));
  EXPECT_EQ(first->entries[2].after_json, Json(R"({"city":"Tomsk"})"));
  ASSERT_FALSE(first->next_page_token.empty());
  auto second = audit_.List(program_id_, mine, 3, first->next_page_token);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->entries.size(), 1u);
  EXPECT_EQ(second->entries[0].action, "client.create");
  EXPECT_TRUE(second->next_page_token.empty());

  EXPECT_EQ(Entries(AuditFilter{.client_id = other.client_id}).size(), 1u);
  EXPECT_EQ(Entries(AuditFilter{.actor_id = kOperator.principal_id}).size(), 5u);
  EXPECT_EQ(Entries(AuditFilter{.actor_id = kPosKey.principal_id}).size(), 0u);
  EXPECT_EQ(Entries(AuditFilter{.object_type = "client"}).size(), 5u);
  EXPECT_EQ(Entries(AuditFilter{.object_type = "tag"}).size(), 0u);
  const absl::Time newest = Entries()[0].record_time;
  EXPECT_EQ(Entries(AuditFilter{.start_time = newest + absl::Microseconds(1)}).size(), 0u);
  EXPECT_EQ(Entries(AuditFilter{.end_time = newest + absl::Microseconds(1)}).size(), 5u);
  EXPECT_EQ(Entries(AuditFilter{.end_time = absl::UnixEpoch()}).size(), 0u);

  // Another program sees none of it (only its own creation, by the system);
  // our client is NOT_FOUND to it.
  auto theirs = audit_.List(other_program_id_, AuditFilter{}, 50, "");
  ASSERT_TRUE(theirs.ok());
  ASSERT_EQ(theirs->entries.size(), 1u);
  EXPECT_EQ(theirs->entries[0].action, "program.create");
  EXPECT_EQ(theirs->entries[0].object_id, other_program_id_);
  EXPECT_EQ(theirs->entries[0].actor.kind, ActorKind::kSystem);
  EXPECT_EQ(theirs->entries[0].after_json,
            Json(R"({"name":"Shop","time_zone":"UTC","default_country_code":"7"})"));
  EXPECT_EQ(audit_.List(other_program_id_, mine, 50, "").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(audit_.List(program_id_, AuditFilter{}, 50, "not-a-token").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AuditTest, PerClientQueriesUseTheClientIndex) {
  const Client client = Register(NewPhone());
  std::string plan;
  ASSERT_TRUE(pool_
                  ->Transact([&](pg::Tx& tx) {
                    // Small tables would be scanned whole; the question is
                    // whether the index can serve the query at all.
                    tx.exec("SET LOCAL enable_seqscan = off");
                    for (const auto& row : tx.exec_params(
                             "EXPLAIN SELECT entry_id FROM audit_log WHERE program_id = $1"
                             " AND client_id = $2 ORDER BY recorded_at DESC, entry_id DESC"
                             " LIMIT 51",
                             program_id_, client.client_id)) {
                      plan += row[0].c_str();
                      plan += "\n";
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_TRUE(absl::StrContains(plan, "audit_log_client")) << plan;
  EXPECT_FALSE(absl::StrContains(plan, "Sort")) << plan;
}

}  // namespace
}  // namespace loyalty::identity
