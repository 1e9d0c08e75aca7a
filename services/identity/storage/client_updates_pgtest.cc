// The whole CLI-1 profile in PostgreSQL: every field round-trips, unique
// keys per program, partial updates with versions (etags), identification
// lookups.

#include <atomic>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/testing/migrated_database.h"
#include "services/identity/storage/identity_store.h"

namespace loyalty::identity {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

class ClientUpdatesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto database = testing::StartMigratedDatabase("identity", generated::IdentityMigrations());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database).release();
  }
  static void TearDownTestSuite() { delete database_; }

  void SetUp() override { program_id_ = NewProgram(); }

  std::string NewProgram() {
    auto program = store_.CreateProgram(
        Program{.name = "Shop", .time_zone = "UTC", .default_country_code = "7"});
    EXPECT_TRUE(program.ok()) << program.status();
    return program.ok() ? program->program_id : "";
  }

  Client Register(ClientProfile profile, const std::string& program_id = "") {
    auto client = store_.RegisterClient(program_id.empty() ? program_id_ : program_id, profile, "");
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *client : Client{};
  }

  int64_t Count(const std::string& sql) {
    int64_t value = -1;
    EXPECT_TRUE(database_->pool
                    ->Transact([&](pg::Tx& tx) {
                      value = tx.exec1(sql)[0].as<int64_t>();
                      return absl::OkStatus();
                    })
                    .ok());
    return value;
  }

  static testing::MigratedDatabase* database_;
  IdentityStore store_{*database_->pool};
  std::string program_id_;
};

testing::MigratedDatabase* ClientUpdatesTest::database_ = nullptr;

ClientProfile Full() {
  return ClientProfile{.last_name = "Petrova",
                       .first_name = "Anna",
                       .phone = "+79165550001",
                       .email = "anna@example.ru",
                       .birth_date = BirthDate{1990, 5, 17},
                       .gender = Gender::kFemale,
                       .marketing_consent = true,
                       .city = "Kazan",
                       .car_number = "A123BC77",
                       .extra_key1 = "k1",
                       .extra_key2 = "k2",
                       .extra_key3 = "k3",
                       .extra_key4 = "k4",
                       .extra_key5 = "k5",
                       .extra_key6 = "k6",
                       .external_id = "crm-1",
                       .referral_code = "ANNA1",
                       .utm_source = "google",
                       .utm_medium = "cpc",
                       .utm_campaign = "spring",
                       .utm_content = "banner",
                       .utm_term = "coffee",
                       .device = Device::kAndroid,
                       .issuance_form = "website",
                       .registration_store_id = "store-7",
                       .social_profiles = {{"vk", "https://vk.com/anna"},
                                           {"telegram", "https://t.me/anna"}}};
}

TEST_F(ClientUpdatesTest, EveryFieldRoundTrips) {
  const Client referrer = Register(ClientProfile{.phone = "+79165550000"});
  ClientProfile profile = Full();
  profile.referrer_client_id = referrer.client_id;
  const Client created = Register(profile);
  EXPECT_EQ(created.profile, profile);
  EXPECT_EQ(created.version, 1);
  auto fetched = store_.GetClient(program_id_, created.client_id);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_EQ(fetched->profile, profile);
  EXPECT_FALSE(fetched->phone_verified);
  auto page = store_.ListClients(program_id_, 10, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->clients.size(), 2u);
  EXPECT_EQ(page->clients[0].profile, profile);
  EXPECT_TRUE(page->clients[1].profile.social_profiles.empty());
}

TEST_F(ClientUpdatesTest, ExternalIdAndReferralCodeAreUniquePerProgram) {
  Register(Full());
  ClientProfile same_external{.email = "b@example.ru", .external_id = "crm-1"};
  auto external = store_.RegisterClient(program_id_, same_external, "");
  EXPECT_EQ(external.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(ViolatedField(external.status()), Optional(std::string("client.external_id")));
  ClientProfile same_code{.email = "c@example.ru", .referral_code = "ANNA1"};
  auto code = store_.RegisterClient(program_id_, same_code, "");
  EXPECT_EQ(code.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(ViolatedField(code.status()), Optional(std::string("client.referral_code")));
  EXPECT_EQ(Count("SELECT count(*) FROM clients WHERE email IN ('b@example.ru', 'c@example.ru')"),
            0);
  // Another program has its own keys.
  Register(Full(), NewProgram());
}

TEST_F(ClientUpdatesTest, ReferrerMustBeAClientOfTheProgram) {
  const Client stranger = Register(ClientProfile{.phone = "+79165550002"}, NewProgram());
  ClientProfile profile{.phone = "+79165550003", .referrer_client_id = stranger.client_id};
  auto registered = store_.RegisterClient(program_id_, profile, "");
  EXPECT_THAT(ViolatedField(registered.status()),
              Optional(std::string("client.referrer_client_id")));
  const Client client = Register(ClientProfile{.phone = "+79165550004"});
  auto updated = store_.UpdateClient(program_id_, client.client_id, 0, [&](ClientProfile& p) {
    p.referrer_client_id = stranger.client_id;
    return absl::OkStatus();
  });
  EXPECT_EQ(updated.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ViolatedField(updated.status()), Optional(std::string("client.referrer_client_id")));
}

TEST_F(ClientUpdatesTest, UpdateBumpsVersionAndPublishesChangedFields) {
  const Client client = Register(Full());
  const int64_t events = Count("SELECT count(*) FROM outbox");
  auto updated = store_.UpdateClient(program_id_, client.client_id, client.version,
                                     [](ClientProfile& p) {
                                       p.city = "Tver";
                                       p.social_profiles.pop_back();
                                       return absl::OkStatus();
                                     });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->version, client.version + 1);
  EXPECT_EQ(updated->profile.city, "Tver");
  EXPECT_EQ(updated->profile.external_id, "crm-1");
  EXPECT_THAT(updated->profile.social_profiles,
              ElementsAre(SocialProfile{"vk", "https://vk.com/anna"}));
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), events + 1);
  auto fetched = store_.GetClient(program_id_, client.client_id);
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->profile, updated->profile);
  // Setting what is already there changes nothing: same version, no event.
  auto same = store_.UpdateClient(program_id_, client.client_id, updated->version,
                                  [](ClientProfile& p) {
                                    p.city = "Tver";
                                    return absl::OkStatus();
                                  });
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->version, updated->version);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), events + 1);
}

TEST_F(ClientUpdatesTest, StaleVersionChangesNothing) {
  const Client client = Register(Full());
  auto first = store_.UpdateClient(program_id_, client.client_id, client.version,
                                   [](ClientProfile& p) {
                                     p.city = "Tver";
                                     return absl::OkStatus();
                                   });
  ASSERT_TRUE(first.ok()) << first.status();
  auto stale = store_.UpdateClient(program_id_, client.client_id, client.version,
                                   [](ClientProfile& p) {
                                     p.city = "Omsk";
                                     return absl::OkStatus();
                                   });
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(ViolatedField(stale.status()), Optional(std::string("client.etag")));
  EXPECT_EQ(store_.GetClient(program_id_, client.client_id)->profile.city, "Tver");
}

TEST_F(ClientUpdatesTest, OfTwoUpdatesFromOneReadOneWins) {
  const Client client = Register(Full());
  std::atomic<int> won{0};
  std::atomic<int> aborted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto result = store_.UpdateClient(program_id_, client.client_id, client.version,
                                        [i](ClientProfile& p) {
                                          p.city = "City " + std::to_string(i);
                                          return absl::OkStatus();
                                        });
      if (result.ok()) {
        ++won;
      } else if (result.status().code() == absl::StatusCode::kAborted) {
        ++aborted;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(won, 1);
  EXPECT_EQ(aborted, 5);
  EXPECT_EQ(store_.GetClient(program_id_, client.client_id)->version, client.version + 1);
}

TEST_F(ClientUpdatesTest, TakenKeysAreRefusedNamingTheFieldEvenUnderRace) {
  Register(Full());
  std::vector<Client> others;
  for (int i = 0; i < 6; ++i) {
    others.push_back(Register(ClientProfile{.phone = "+7916555010" + std::to_string(i)}));
  }
  auto taken = store_.UpdateClient(program_id_, others[0].client_id, 0, [](ClientProfile& p) {
    p.phone = "+79165550001";
    return absl::OkStatus();
  });
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(ViolatedField(taken.status()), Optional(std::string("client.phone")));
  // Six clients racing for one free external id: one gets it.
  std::atomic<int> won{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (const Client& other : others) {
    threads.emplace_back([&, id = other.client_id] {
      auto result = store_.UpdateClient(program_id_, id, 0, [](ClientProfile& p) {
        p.external_id = "crm-free";
        return absl::OkStatus();
      });
      if (result.ok()) {
        ++won;
      } else if (result.status().code() == absl::StatusCode::kAlreadyExists &&
                 ViolatedField(result.status()) == "client.external_id") {
        ++refused;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(won, 1);
  EXPECT_EQ(refused, 5);
}

TEST_F(ClientUpdatesTest, ANewPhoneOrEmailIsUnverified) {
  const Client client = Register(Full());
  ASSERT_TRUE(database_->pool
                  ->Transact([&](pg::Tx& tx) {
                    tx.exec_params("UPDATE clients SET phone_verified = true,"
                                   " email_verified = true WHERE client_id = $1",
                                   client.client_id);
                    return absl::OkStatus();
                  })
                  .ok());
  auto city = store_.UpdateClient(program_id_, client.client_id, 0, [](ClientProfile& p) {
    p.city = "Tver";
    return absl::OkStatus();
  });
  ASSERT_TRUE(city.ok()) << city.status();
  EXPECT_TRUE(city->phone_verified);
  EXPECT_TRUE(city->email_verified);
  auto phone = store_.UpdateClient(program_id_, client.client_id, 0, [](ClientProfile& p) {
    p.phone = "+79165559999";
    return absl::OkStatus();
  });
  ASSERT_TRUE(phone.ok()) << phone.status();
  EXPECT_FALSE(phone->phone_verified);
  EXPECT_TRUE(phone->email_verified);
}

TEST_F(ClientUpdatesTest, UnknownOrForeignClientIsNotFound) {
  const Client theirs = Register(Full(), NewProgram());
  auto foreign = store_.UpdateClient(program_id_, theirs.client_id, 0, [](ClientProfile& p) {
    p.city = "Tver";
    return absl::OkStatus();
  });
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ClientUpdatesTest, FindsByEachKeyWithinTheProgram) {
  const Client client = Register(Full());
  for (auto [kind, value] : {std::pair{IdentifyKind::kPhone, "+79165550001"},
                             std::pair{IdentifyKind::kEmail, "anna@example.ru"},
                             std::pair{IdentifyKind::kExternalId, "crm-1"}}) {
    auto found = store_.FindClient(program_id_, kind, value);
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(found->client_id, client.client_id);
    EXPECT_EQ(found->profile.social_profiles.size(), 2u);
    EXPECT_EQ(store_.FindClient(NewProgram(), kind, value).status().code(),
              absl::StatusCode::kNotFound);
  }
  // A shared e-mail identifies nobody rather than a guess.
  Register(ClientProfile{.email = "anna@example.ru"});
  EXPECT_EQ(store_.FindClient(program_id_, IdentifyKind::kEmail, "anna@example.ru").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace loyalty::identity
