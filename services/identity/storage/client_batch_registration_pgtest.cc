// RegisterClientsInTx against a real PostgreSQL: a client registered in a
// batch is stored, announced, audited and given its consent history exactly
// as one registered by RegisterClient (the same profile in two programs,
// compared row by row).

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/identity/storage/client_writes.h"
#include "services/identity/testing/pg_fixture.h"

namespace loyalty::identity {
namespace {

class BatchRegistrationTest : public testing::IdentityPgTest {
 protected:
  // A profile with every kind of column set.
  static ClientProfile FullProfile(const std::string& phone) {
    return ClientProfile{.last_name = "Ivanova",
                         .first_name = "Anna",
                         .middle_name = "Petrovna",
                         .phone = phone,
                         .email = "anna@example.com",
                         .birth_date = BirthDate{1990, 5, 6},
                         .gender = Gender::kFemale,
                         .marketing_consent = true,
                         .city = "Tver",
                         .car_number = "A123BC",
                         .extra_key1 = "k1",
                         .extra_key6 = "k6",
                         .external_id = "ext-" + phone,
                         .utm_source = "newsletter",
                         .utm_term = "shoes",
                         .device = Device::kAndroid,
                         .issuance_form = "paper",
                         .registration_store_id = "store-1",
                         .social_profiles = {{"vk", "https://vk.com/anna"}}};
  }

  std::string Text(const std::string& sql) {
    std::string text;
    EXPECT_TRUE(pool_
                    ->Transact([&](pg::Tx& tx) {
                      text = tx.exec1(sql)[0].as<std::string>("");
                      return absl::OkStatus();
                    })
                    .ok());
    return text;
  }

  // What a client's registration left, with ids and times left out.
  std::string Stored(const std::string& program_id, const std::string& client_id) {
    const std::string where =
        absl::StrCat(" WHERE program_id = '", program_id, "' AND client_id = '", client_id, "'");
    return absl::StrCat(
        Text(absl::StrCat("SELECT (to_jsonb(c) - 'client_id' - 'program_id' - 'created_at'"
                          " - 'updated_at' - 'request_id')::text FROM clients c",
                          where)),
        "\n",
        Text(absl::StrCat("SELECT string_agg(network || ' ' || url, ',')"
                          " FROM client_social_profiles WHERE client_id = '",
                          client_id, "'")),
        "\n",
        Text(absl::StrCat("SELECT string_agg(kind || ' ' || given || ' ' || source || ' '"
                          " || recorded_by_principal_id || ' ' || (consent_time = (SELECT"
                          " created_at FROM clients c",
                          where, ")), ',') FROM client_consents", where)),
        "\n",
        Text(absl::StrCat("SELECT string_agg(action || ' ' || actor_id || ' ' || after::text,"
                          " ',') FROM audit_log",
                          where)),
        "\n",
        Text(absl::StrCat("SELECT string_agg(event_type || ' ' || (payload::jsonb - 'client_id'"
                          " - 'create_time' - 'change_time')::text, ',' ORDER BY id) FROM outbox"
                          " WHERE program_id = '",
                          program_id, "' AND payload::jsonb ->> 'client_id' = '", client_id, "'")));
  }
};

TEST_F(BatchRegistrationTest, StoresAnnouncesAndAuditsAsOneRegistration) {
  const AuditActor actor{.kind = ActorKind::kOperator, .principal_id = "op-1", .role = "admin"};
  absl::StatusOr<Client> single =
      identity_.RegisterClient(program_id_, FullProfile("+79163330001"), "single-1", actor);
  ASSERT_TRUE(single.ok()) << single.status();

  std::vector<std::string> ids;
  ASSERT_TRUE(
      pool_
          ->Transact([&](pg::Tx& tx) {
            ids = RegisterClientsInTx(
                tx, other_program_id_,
                {ClientToRegister{.profile = FullProfile("+79163330001"), .request_id = "batch-1"},
                 ClientToRegister{.profile = ClientProfile{.email = "b@example.com"},
                                  .request_id = "batch-2"}},
                actor, ConsentSource::kRegistration, {});
            return absl::OkStatus();
          })
          .ok());
  ASSERT_EQ(ids.size(), 2u);

  const std::string expected = Stored(program_id_, single->client_id);
  EXPECT_NE(expected.find("\"Ivanova\""), std::string::npos) << expected;
  EXPECT_NE(expected.find("vk https://vk.com/anna"), std::string::npos) << expected;
  EXPECT_NE(expected.find("1 true 1 op-1 true"), std::string::npos) << expected;
  EXPECT_NE(expected.find("ClientConsentChanged"), std::string::npos) << expected;
  EXPECT_EQ(Stored(other_program_id_, ids[0]), expected);

  // The second is found by its request id, as a retry of RegisterClient
  // would find it, and has no consent.
  absl::StatusOr<Client> retried = identity_.RegisterClient(
      other_program_id_, ClientProfile{.email = "b@example.com"}, "batch-2", actor);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->client_id, ids[1]);
  EXPECT_EQ(
      Count(absl::StrCat("SELECT count(*) FROM client_consents WHERE client_id = '", ids[1], "'")),
      0);
}

}  // namespace
}  // namespace loyalty::identity
