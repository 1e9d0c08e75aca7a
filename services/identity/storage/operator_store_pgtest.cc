// OperatorStore and ApiKeyStore against a real PostgreSQL: logins unique per
// program ignoring case, idempotent creates, masked updates, program
// isolation, the failed-login window, and idempotent key revocation with
// revoked keys no longer found by secret.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "services/identity/storage/api_key_store.h"
#include "services/identity/storage/identity_store.h"
#include "services/identity/storage/operator_store.h"
#include "services/identity/testing/pg_fixture.h"

namespace loyalty::identity {
namespace {

class OperatorStoreTest : public testing::IdentityPgTest {
 protected:

  static OperatorSpec Marketer() {
    return OperatorSpec{.display_name = "Anna", .role = "ROLE_MARKETER"};
  }

  OperatorStore operators_{*pool_};
  ApiKeyStore keys_{*pool_};
};


TEST_F(OperatorStoreTest, LoginsAreUniquePerProgram) {
  auto anna = operators_.Create(program_id_, "anna", Marketer(), "$argon2id$x", "");
  ASSERT_TRUE(anna.ok()) << anna.status();
  EXPECT_EQ(anna->spec, Marketer());

  auto clash = operators_.Create(program_id_, "anna", Marketer(), "$argon2id$y", "");
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(clash.status()), "operator.login");

  // Another program may have its own "anna", and cannot see ours.
  auto other = operators_.Create(other_program_id_, "anna", Marketer(), "$argon2id$z", "");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(operators_.Get(other_program_id_, anna->operator_id).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(operators_.FindByLogin(other_program_id_, "anna")->account.operator_id,
            other->operator_id);
  EXPECT_EQ(operators_.FindByLogin(program_id_, "anna")->password_hash, "$argon2id$x");
}

TEST_F(OperatorStoreTest, RetriedCreateReturnsTheFirstOperator) {
  auto first = operators_.Create(program_id_, "boris", Marketer(), "$argon2id$1", "req-1");
  ASSERT_TRUE(first.ok()) << first.status();
  auto retry = operators_.Create(program_id_, "boris", Marketer(), "$argon2id$2", "req-1");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->operator_id, first->operator_id);
  auto reused = operators_.Create(program_id_, "vera", Marketer(), "$argon2id$3", "req-1");
  EXPECT_EQ(ViolatedField(reused.status()), "request_id");
  auto page = operators_.List(program_id_, 10, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->operators.size(), 1u);
}

TEST_F(OperatorStoreTest, UpdatesAndPagesInLoginOrder) {
  for (const char* login : {"carol", "alice", "bob"}) {
    ASSERT_TRUE(operators_.Create(program_id_, login, Marketer(), "$argon2id$h", "").ok());
  }
  auto first = operators_.List(program_id_, 2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->operators.size(), 2u);
  EXPECT_EQ(first->operators[0].login, "alice");
  EXPECT_EQ(first->operators[1].login, "bob");
  auto second = operators_.List(program_id_, 2, first->next_page_token);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->operators.size(), 1u);
  EXPECT_EQ(second->operators[0].login, "carol");
  EXPECT_TRUE(second->next_page_token.empty());

  const std::string id = first->operators[0].operator_id;
  auto updated = operators_.Update(program_id_, id, [](OperatorSpec& spec) {
    spec.disabled = true;
    spec.role = "ROLE_ANALYST";
    return absl::OkStatus();
  });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(updated->spec.disabled);
  EXPECT_TRUE(operators_.FindById(program_id_, id)->account.spec.disabled);
  EXPECT_EQ(operators_.Update(other_program_id_, id, [](OperatorSpec&) {
                        return absl::OkStatus();
                      }).status().code(),
            absl::StatusCode::kNotFound);

  ASSERT_TRUE(operators_.SetPasswordHash(program_id_, id, "$argon2id$new").ok());
  EXPECT_EQ(operators_.FindById(program_id_, id)->password_hash, "$argon2id$new");
  EXPECT_EQ(operators_.SetPasswordHash(other_program_id_, id, "$argon2id$evil").code(),
            absl::StatusCode::kNotFound);
}

TEST_F(OperatorStoreTest, CountsLoginAttemptsPerLoginUntilCleared) {
  for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(*operators_.BeginLoginAttempt(program_id_, "dan", 5), i);
  EXPECT_EQ(*operators_.BeginLoginAttempt(program_id_, "eve", 5), 0);
  EXPECT_EQ(*operators_.BeginLoginAttempt(other_program_id_, "dan", 5), 0);
  EXPECT_EQ(*operators_.BeginLoginAttempt(program_id_, "dan", 5), 3);
  EXPECT_EQ(*operators_.BeginLoginAttempt(program_id_, "dan", 5), 4);
  // At the limit an attempt is refused and not recorded.
  EXPECT_EQ(*operators_.BeginLoginAttempt(program_id_, "dan", 5), 5);
  EXPECT_EQ(*operators_.BeginLoginAttempt(program_id_, "dan", 5), 5);
  // Failures older than the window do not count.
  pool_->Transact([&](pg::Tx& tx) {
    tx.exec_params("UPDATE login_failures SET failed_at = now() - interval '16 minutes'"
                   " WHERE program_id = $1 AND login = 'eve'",
                   program_id_);
    return absl::OkStatus();
  }).IgnoreError();
  EXPECT_EQ(*operators_.BeginLoginAttempt(program_id_, "eve", 5), 0);
  ASSERT_TRUE(operators_.ClearFailedLogins(program_id_, "dan").ok());
  EXPECT_EQ(*operators_.BeginLoginAttempt(program_id_, "dan", 5), 0);
}

TEST_F(OperatorStoreTest, ParallelAttemptsCannotAllSlipUnderTheLimit) {
  // Rounds of 8 parallel attempts (the pool's size) on a fresh login each:
  // without the per-login lock, attempts that count at the same moment
  // all see room under the limit.
  for (int round = 0; round < 40; ++round) {
    const std::string login = "zed" + std::to_string(round);
    std::atomic<int> admitted = 0;
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&] {
        absl::StatusOr<int64_t> before = operators_.BeginLoginAttempt(program_id_, login, 2);
        EXPECT_TRUE(before.ok()) << before.status();
        if (before.ok() && *before < 2) ++admitted;
      });
    }
    for (std::thread& thread : threads) thread.join();
    ASSERT_EQ(admitted.load(), 2) << "round " << round;
  }
}

TEST_F(OperatorStoreTest, RevokingAKeyIsIdempotentAndProgramScoped) {
  const std::string hash = "hash-" + NewUuid();
  auto key = identity_.CreateApiKey(
      ApiKey{.program_id = program_id_, .display_name = "till", .role = "ROLE_POS",
             .store_id = "s1"},
      hash);
  ASSERT_TRUE(key.ok()) << key.status();
  ASSERT_TRUE(identity_.FindApiKey(hash).ok());
  auto listed = keys_.List(program_id_, 10, "");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->keys.size(), 1u);
  EXPECT_FALSE(listed->keys[0].revoke_time.has_value());

  EXPECT_EQ(keys_.Revoke(other_program_id_, key->api_key_id).status().code(),
            absl::StatusCode::kNotFound);
  auto revoked = keys_.Revoke(program_id_, key->api_key_id);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  ASSERT_TRUE(revoked->revoke_time.has_value());
  auto again = keys_.Revoke(program_id_, key->api_key_id);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->revoke_time, revoked->revoke_time);
  EXPECT_EQ(identity_.FindApiKey(hash).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(OperatorStoreTest, RetriedKeyCreateReturnsTheFirstKeyOnce) {
  const ApiKey key{.program_id = program_id_, .display_name = "bi", .role = "ROLE_ANALYST"};
  auto first = keys_.Create(key, "hash-" + NewUuid(), "req-key-1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->replayed);
  auto retry = keys_.Create(key, "hash-" + NewUuid(), "req-key-1");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->replayed);
  EXPECT_EQ(retry->record.key.api_key_id, first->record.key.api_key_id);
  ApiKey other = key;
  other.role = "ROLE_ADMIN";
  EXPECT_EQ(ViolatedField(keys_.Create(other, "hash-" + NewUuid(), "req-key-1").status()),
            "request_id");
  // The same request id in another program is another request.
  ApiKey elsewhere = key;
  elsewhere.program_id = other_program_id_;
  auto separate = keys_.Create(elsewhere, "hash-" + NewUuid(), "req-key-1");
  ASSERT_TRUE(separate.ok()) << separate.status();
  EXPECT_FALSE(separate->replayed);
  EXPECT_EQ(keys_.List(program_id_, 10, "")->keys.size(), 1u);
}

TEST_F(OperatorStoreTest, KeysPageNewestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto key = identity_.CreateApiKey(
        ApiKey{.program_id = program_id_, .display_name = "k", .role = "ROLE_ANALYST"},
        "hash-" + NewUuid());
    ASSERT_TRUE(key.ok()) << key.status();
    ids.push_back(key->api_key_id);
  }
  auto first = keys_.List(program_id_, 2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->keys.size(), 2u);
  EXPECT_EQ(first->keys[0].key.api_key_id, ids[2]);
  EXPECT_EQ(first->keys[1].key.api_key_id, ids[1]);
  auto second = keys_.List(program_id_, 2, first->next_page_token);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->keys.size(), 1u);
  EXPECT_EQ(second->keys[0].key.api_key_id, ids[0]);
  EXPECT_TRUE(second->next_page_token.empty());
}

}  // namespace
}  // namespace loyalty::identity
