#include <atomic>
#include <set>
#include <thread>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/testing/migrated_database.h"
#include "services/identity/storage/identity_store.h"

namespace loyalty::identity {
namespace {

class IdentityStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto database = testing::StartMigratedDatabase("identity", generated::IdentityMigrations());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database).release();
    server_ = database_->server.get();
    pool_ = database_->pool.get();
  }
  static void TearDownTestSuite() { delete database_; }

  void SetUp() override {
    auto program = store_.CreateProgram(
        Program{.name = "Shop", .time_zone = "Europe/Moscow", .default_country_code = "7"});
    ASSERT_TRUE(program.ok()) << program.status();
    program_id_ = program->program_id;
  }

  int64_t Count(const std::string& sql) {
    int64_t value = -1;
    EXPECT_TRUE(pool_
                    ->Transact([&](pg::Tx& tx) {
                      value = tx.exec1(sql)[0].as<int64_t>();
                      return absl::OkStatus();
                    })
                    .ok());
    return value;
  }

  static testing::MigratedDatabase* database_;
  static testing::PostgresServer* server_;
  static pg::Pool* pool_;
  IdentityStore store_{*pool_};
  std::string program_id_;
};

testing::MigratedDatabase* IdentityStoreTest::database_ = nullptr;
testing::PostgresServer* IdentityStoreTest::server_ = nullptr;
pg::Pool* IdentityStoreTest::pool_ = nullptr;

TEST_F(IdentityStoreTest, RegisterGetAndEvent) {
  ClientProfile profile{.first_name = "Anna",
                        .phone = "+79161234567",
                        .birth_date = BirthDate{1990, 5, 17},
                        .marketing_consent = true};
  int64_t events_before = Count("SELECT count(*) FROM outbox");
  auto client = store_.RegisterClient(program_id_, profile, "req-1");
  ASSERT_TRUE(client.ok()) << client.status();
  auto fetched = store_.GetClient(program_id_, client->client_id);
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->profile.first_name, "Anna");
  EXPECT_EQ(fetched->profile.birth_date, (BirthDate{1990, 5, 17}));
  EXPECT_TRUE(fetched->profile.marketing_consent);
  // ClientRegistered, and ClientConsentChanged for the marketing consent.
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), events_before + 2);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = '", program_id_,
                               "' AND event_type = 'loyalty.identity.v1.ClientRegistered'")),
            1);
}

TEST_F(IdentityStoreTest, RetryWithSameRequestIdHasOneEffect) {
  ClientProfile profile{.phone = "+79160000001"};
  auto first = store_.RegisterClient(program_id_, profile, "req-same");
  auto second = store_.RegisterClient(program_id_, profile, "req-same");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->client_id, second->client_id);
  EXPECT_EQ(Count("SELECT count(*) FROM clients WHERE phone = '+79160000001'"), 1);
}

TEST_F(IdentityStoreTest, DuplicatePhoneRefusedEvenUnderRace) {
  ClientProfile profile{.phone = "+79160000002"};
  std::atomic<int> created{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto result = store_.RegisterClient(program_id_, profile, "race-" + std::to_string(i));
      if (result.ok()) {
        ++created;
      } else if (result.status().code() == absl::StatusCode::kAlreadyExists &&
                 ViolatedField(result.status()) == "client.phone") {
        ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created, 1);
  EXPECT_EQ(refused, 5);
}

TEST_F(IdentityStoreTest, ConcurrentRetriesOfOneRequestReturnOneClient) {
  ClientProfile profile{.phone = "+79160000009"};
  std::vector<std::string> ids(6);
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto result = store_.RegisterClient(program_id_, profile, "retry-same");
      ids[i] = result.ok() ? result->client_id : std::string(result.status().message());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), 1u) << ::testing::PrintToString(distinct);
  EXPECT_EQ(Count("SELECT count(*) FROM clients WHERE phone = '+79160000009'"), 1);
}

TEST_F(IdentityStoreTest, ProgramsAreIsolated) {
  auto other = store_.CreateProgram(
      Program{.name = "Other", .time_zone = "UTC", .default_country_code = "7"});
  ASSERT_TRUE(other.ok());
  ClientProfile profile{.phone = "+79160000003"};
  auto mine = store_.RegisterClient(program_id_, profile, "");
  ASSERT_TRUE(mine.ok());
  // The same phone is free in another program, and clients do not leak.
  auto theirs = store_.RegisterClient(other->program_id, profile, "");
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(store_.GetClient(other->program_id, mine->client_id).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(IdentityStoreTest, ListingPagesThroughEveryClientOnce) {
  std::set<std::string> registered;
  for (int i = 0; i < 7; ++i) {
    auto client = store_.RegisterClient(
        program_id_, ClientProfile{.phone = "+7916100000" + std::to_string(i)}, "");
    ASSERT_TRUE(client.ok());
    registered.insert(client->client_id);
  }
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = store_.ListClients(program_id_, 3, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& c : page->clients) EXPECT_TRUE(seen.insert(c.client_id).second);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(seen, registered);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(ViolatedField(store_.ListClients(program_id_, 3, "garbage").status()), "page_token");
}

TEST_F(IdentityStoreTest, ApiKeysResolveByHashUntilRevoked) {
  auto key = store_.CreateApiKey(
      ApiKey{
          .program_id = program_id_, .display_name = "till", .role = "ROLE_POS", .store_id = "s1"},
      "hash-1");
  ASSERT_TRUE(key.ok()) << key.status();
  auto found = store_.FindApiKey("hash-1");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->program_id, program_id_);
  EXPECT_EQ(found->role, "ROLE_POS");
  EXPECT_EQ(found->store_id, "s1");
  ASSERT_TRUE(pool_
                  ->Transact([&](pg::Tx& tx) {
                    tx.exec0("UPDATE api_keys SET revoked_at = now() WHERE secret_hash = 'hash-1'");
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(store_.FindApiKey("hash-1").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace loyalty::identity
