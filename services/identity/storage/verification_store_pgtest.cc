// VerificationStore against a real PostgreSQL, with times passed in (the
// injected clock): only a keyed hash is stored, throttling sees earlier
// codes, wrong codes are counted even though the call fails, expiry, a
// code bound to the contact it was sent to, request-id idempotency,
// program isolation, the resend limits under concurrent starts, and
// abandoning an unsent code.

#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "services/identity/storage/identity_store.h"
#include "services/identity/storage/verification_store.h"
#include "services/identity/testing/pg_fixture.h"

namespace loyalty::identity {
namespace {

constexpr char kKey[] = "test-key";

class VerificationStoreTest : public testing::IdentityPgTest {
 protected:
  void SetUp() override {
    IdentityPgTest::SetUp();
    phone_ = absl::StrCat("+7916", NewUuid().substr(0, 7));
    for (char& c : phone_) {
      if (c >= 'a' && c <= 'f') c = '5';
    }
    auto client = identity_.RegisterClient(program_id_, ClientProfile{.phone = phone_}, "");
    ASSERT_TRUE(client.ok()) << client.status();
    client_id_ = client->client_id;
  }

  // What StartVerification does, with `code` instead of a random one.
  Verification Start(const std::string& code, absl::Time now, const std::string& request_id = "") {
    Verification verification;
    verification.verification_id = NewUuid();
    verification.client_id = client_id_;
    verification.channel = VerificationChannel::kPhone;
    verification.contact = phone_;
    verification.create_time = now;
    verification.expire_time = now + absl::Minutes(10);
    verification.max_attempts = 5;
    verification.code_hash = HashVerificationCode(kKey, verification.verification_id, code);
    // Limits out of the way: the tests below that are about them set their own.
    auto stored = store_.Insert(program_id_, verification, request_id, kNoLimits);
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.ok() ? *stored : Verification{};
  }

  // What the profile shows.
  bool PhoneVerified() {
    absl::StatusOr<Client> client = identity_.GetClient(program_id_, client_id_);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() && client->phone_verified;
  }

  absl::Status Confirm(const Verification& verification, const std::string& code,
                       absl::Time now) {
    absl::Status answer;
    auto result = store_.Confirm(program_id_, client_id_, verification.verification_id, code,
                                 kKey, now, answer);
    if (!result.ok()) return result.status();
    return answer;
  }

  static constexpr VerificationLimits kNoLimits{.min_resend_interval = absl::ZeroDuration(),
                                               .max_per_hour = 1000};
  VerificationStore store_{*pool_};
  std::string client_id_;
  std::string phone_;
};


TEST_F(VerificationStoreTest, HappyPathStoresOnlyAHash) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  auto target = store_.PrepareStart(program_id_, client_id_, VerificationChannel::kPhone, "", t0);
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->contact, phone_);
  EXPECT_TRUE(target->recent_sends.empty());
  auto no_email =
      store_.PrepareStart(program_id_, client_id_, VerificationChannel::kEmail, "", t0);
  ASSERT_TRUE(no_email.ok());
  EXPECT_EQ(no_email->contact, "");

  const Verification verification = Start("428519", t0);
  absl::StatusOr<int64_t> plain = loyalty::testing::QueryInt(
      *pool_, "SELECT count(*) FROM contact_verifications WHERE code_hash LIKE '%428519%'"
              " OR contact LIKE '%428519%'");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, 0);

  // The earlier code now throttles the next one.
  auto again = store_.PrepareStart(program_id_, client_id_, VerificationChannel::kPhone, "",
                                   t0 + absl::Seconds(10));
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->recent_sends.size(), 1u);
  EXPECT_EQ(CheckResendAllowed(again->recent_sends, t0 + absl::Seconds(10), VerificationLimits{})
                .code(),
            absl::StatusCode::kResourceExhausted);

  EXPECT_FALSE(PhoneVerified());
  ASSERT_TRUE(Confirm(verification, "428519", t0 + absl::Minutes(1)).ok());
  EXPECT_TRUE(PhoneVerified());
  absl::StatusOr<int64_t> verified_at = loyalty::testing::QueryInt(
      *pool_, absl::StrCat("SELECT extract(epoch FROM verified_at)::bigint"
                           " FROM contact_verifications WHERE verification_id = '",
                           verification.verification_id, "' AND contact = '", phone_, "'"));
  ASSERT_TRUE(verified_at.ok()) << verified_at.status();
  EXPECT_EQ(*verified_at, absl::ToUnixSeconds(t0 + absl::Minutes(1)));
  // A retried confirmation answers the same.
  EXPECT_TRUE(Confirm(verification, "428519", t0 + absl::Minutes(2)).ok());
}

TEST_F(VerificationStoreTest, WrongCodesAreCountedUntilExhausted) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  const Verification verification = Start("111111", t0);
  for (int left = 4; left >= 1; --left) {
    absl::Status wrong = Confirm(verification, "222222", t0);
    EXPECT_EQ(ViolatedField(wrong), "code");
    EXPECT_THAT(wrong.message(), ::testing::HasSubstr(absl::StrCat(left, " attempts left")));
  }
  EXPECT_EQ(Confirm(verification, "222222", t0).code(), absl::StatusCode::kFailedPrecondition);
  // Counted in the table although every call failed; the right code is
  // now refused.
  EXPECT_EQ(Confirm(verification, "111111", t0).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(PhoneVerified());
}

TEST_F(VerificationStoreTest, ExpiredCodeIsRefused) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  const Verification verification = Start("333333", t0);
  absl::Status expired = Confirm(verification, "333333", t0 + absl::Minutes(10));
  EXPECT_EQ(expired.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(expired.message(), ::testing::HasSubstr("expired"));
}

TEST_F(VerificationStoreTest, ACodeVerifiesOnlyTheContactItWasSentTo) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  const Verification verification = Start("444444", t0);
  // The phone changes after the code was sent (another engineer's profile
  // update will do this; here, directly).
  absl::Status changed = pool_->Transact([&](pg::Tx& tx) {
    tx.exec_params("UPDATE clients SET phone = '+79990000000' WHERE client_id = $1", client_id_);
    return absl::OkStatus();
  });
  ASSERT_TRUE(changed.ok()) << changed;
  EXPECT_EQ(Confirm(verification, "444444", t0).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(PhoneVerified());
}

TEST_F(VerificationStoreTest, RequestIdReturnsTheFirstVerification) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  const Verification first = Start("555555", t0, "start-1");
  auto target = store_.PrepareStart(program_id_, client_id_, VerificationChannel::kPhone,
                                    "start-1", t0 + absl::Seconds(5));
  ASSERT_TRUE(target.ok());
  ASSERT_TRUE(target->existing.has_value());
  EXPECT_EQ(target->existing->verification_id, first.verification_id);
  // A twin that lost the race gets the stored one back.
  const Verification twin = Start("666666", t0, "start-1");
  EXPECT_EQ(twin.verification_id, first.verification_id);
}

TEST_F(VerificationStoreTest, AnotherProgramSeesNothing) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  const Verification verification = Start("777777", t0);
  EXPECT_EQ(store_.PrepareStart(other_program_id_, client_id_, VerificationChannel::kPhone, "", t0)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  absl::Status answer;
  EXPECT_EQ(store_
                .Confirm(other_program_id_, client_id_, verification.verification_id, "777777",
                         kKey, t0, answer)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

// Concurrent starts for one client: each sees the codes stored before it,
// so the resend limits hold (only one code within the minimum interval).
TEST_F(VerificationStoreTest, ConcurrentStartsRespectTheResendLimits) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  constexpr int kStarts = 8;
  std::vector<std::thread> threads;
  // Opens a connection per start first (connecting would space them out).
  for (int i = 0; i < kStarts; ++i) {
    threads.emplace_back([&] {
      EXPECT_TRUE(pool_
                      ->Transact([](pg::Tx& tx) {
                        tx.exec("SELECT pg_sleep(0.2)");
                        return absl::OkStatus();
                      })
                      .ok());
    });
  }
  for (std::thread& thread : threads) thread.join();
  threads.clear();
  std::atomic<int> stored{0}, throttled{0};
  std::latch start(kStarts);  // all at once, as concurrent calls
  for (int i = 0; i < kStarts; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      Verification verification;
      verification.verification_id = NewUuid();
      verification.client_id = client_id_;
      verification.channel = VerificationChannel::kPhone;
      verification.contact = phone_;
      verification.create_time = t0 + absl::Milliseconds(i);
      verification.expire_time = t0 + absl::Minutes(10);
      verification.max_attempts = 5;
      verification.code_hash = "hash";
      absl::StatusOr<Verification> result =
          store_.Insert(program_id_, verification, NewUuid(), VerificationLimits{});
      if (result.ok()) {
        ++stored;
      } else if (absl::IsResourceExhausted(result.status())) {
        ++throttled;
      } else {
        ADD_FAILURE() << result.status();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(stored.load(), 1);
  EXPECT_EQ(throttled.load(), kStarts - 1);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM contact_verifications WHERE client_id = '",
                               client_id_, "'")),
            1);
}

// A verification whose code could not be sent is gone: it throttles
// nothing and cannot be confirmed; the audit log says so.
TEST_F(VerificationStoreTest, AnAbandonedVerificationCountsForNothing) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  const Verification verification = Start("428519", t0);
  ASSERT_TRUE(store_.Abandon(program_id_, verification).ok());
  ASSERT_TRUE(store_.Abandon(program_id_, verification).ok());  // once is enough
  auto target = store_.PrepareStart(program_id_, client_id_, VerificationChannel::kPhone, "",
                                    t0 + absl::Seconds(1));
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_TRUE(target->recent_sends.empty());
  EXPECT_EQ(Confirm(verification, "428519", t0 + absl::Seconds(2)).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM audit_log WHERE object_id = '",
                               verification.verification_id,
                               "' AND action = 'verification.abandon'")),
            1);
}

}  // namespace
}  // namespace loyalty::identity
