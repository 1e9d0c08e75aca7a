// Gift certificates through CertificateStore against a real PostgreSQL:
// issue, holds, redemptions, refunds, isolation, idempotency, history, and
// the invariant checker against deliberately corrupted databases. Every
// fixture test ends by checking the certificate and ledger invariants.

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/cards/testing/certificate_fixture.h"

namespace loyalty::cards {
namespace {

using testing::CertificatesPgTest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

MATCHER_P2(FailsNaming, code, field, "") {
  return arg.code() == code && ViolatedField(arg) == std::string(field);
}

class CertificateStoreTest : public CertificatesPgTest {};

TEST_F(CertificateStoreTest, IssueCreditsTheNominalOnce) {
  Certificate certificate = NewCertificate(5000);
  EXPECT_EQ(certificate.number.size(), 13u);  // generated EAN-13
  EXPECT_EQ(certificate.nominal, 5000);
  EXPECT_EQ(certificate.balance, 5000);
  EXPECT_EQ(certificate.available, 5000);
  EXPECT_EQ(certificate.status, CertificateStatus::kActive);
  auto history = certificates_->ListOperations(program_, certificate.number, 10, "");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->operations.size(), 1u);
  EXPECT_EQ(history->operations[0].kind, CertificateOperationKind::kIssue);
  EXPECT_EQ(history->operations[0].amount, 5000);
  EXPECT_EQ(history->operations[0].actor, "admin-key");
  EXPECT_EQ(Scalar("SELECT count(*) FROM outbox WHERE program_id = $1"
                   " AND event_type = 'loyalty.cards.v1.CertificateIssued'"),
            1);
}

TEST_F(CertificateStoreTest, IssueIsIdempotentByRequestId) {
  const IssueCertificateInput input{
      .nominal = 3000, .expire_time = Expiry(), .request_id = "issue-1"};
  auto first = certificates_->Issue(program_, input, "a");
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = certificates_->Issue(program_, input, "b");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->number, first->number);
  const std::vector<int64_t> before = CertificateFootprint();
  IssueCertificateInput other = input;
  other.nominal = 3001;
  EXPECT_THAT(certificates_->Issue(program_, other, "a").status(),
              FailsNaming(absl::StatusCode::kAlreadyExists, "request_id"));
  EXPECT_EQ(CertificateFootprint(), before);
}

TEST_F(CertificateStoreTest, NumbersAreUniquePerProgramAndRedrawn) {
  Certificate taken = NewCertificate(100, "7000001");
  auto again = certificates_->Issue(
      program_, {.number = "7000001", .nominal = 100, .expire_time = Expiry()}, "a");
  EXPECT_THAT(again.status(), FailsNaming(absl::StatusCode::kAlreadyExists, "number"));
  // Another program may use the same number.
  auto elsewhere = certificates_->Issue(
      NewUuid(), {.number = "7000001", .nominal = 100, .expire_time = Expiry()}, "a");
  EXPECT_TRUE(elsewhere.ok()) << elsewhere.status();
  // A generated number that is taken is drawn again.
  numbers_.Queue(taken.number);
  numbers_.Queue("7000002");
  EXPECT_EQ(NewCertificate(100).number, "7000002");
}

TEST_F(CertificateStoreTest, AnotherProgramsCertificateIsNotFound) {
  Certificate certificate = NewCertificate(1000);
  const std::string other = NewUuid();
  EXPECT_THAT(certificates_->Get(other, certificate.number).status(),
              FailsNaming(absl::StatusCode::kNotFound, "number"));
  EXPECT_THAT(
      certificates_
          ->Redeem(other, {.request_id = "x", .number = certificate.number, .amount = 1}, "k")
          .status(),
      FailsNaming(absl::StatusCode::kNotFound, "number"));
  EXPECT_THAT(
      certificates_->Hold(other, {.hold_id = "h", .number = certificate.number, .amount = 1})
          .status(),
      FailsNaming(absl::StatusCode::kNotFound, "number"));
  ASSERT_TRUE(Hold(certificate, "h-own", 10).ok());
  EXPECT_THAT(certificates_->VoidHold(other, certificate.number, "h-own").status(),
              FailsNaming(absl::StatusCode::kNotFound, "hold_id"));
  EXPECT_EQ(Reload(certificate).held, 10);
}

TEST_F(CertificateStoreTest, HoldThenPostLessThanHeldReleasesTheRest) {
  Certificate certificate = NewCertificate(5000);
  auto hold = Hold(certificate, "h-1", 3000);
  ASSERT_TRUE(hold.ok()) << hold.status();
  EXPECT_EQ(hold->state, HoldState::kHeld);
  EXPECT_EQ(hold->expire_time, clock_.Now() + kDefaultHoldTtl);
  Certificate held = Reload(certificate);
  EXPECT_EQ(held.balance, 5000);
  EXPECT_EQ(held.held, 3000);
  EXPECT_EQ(held.available, 2000);

  auto posted = Post(certificate, "post-1", "h-1", 2500);
  ASSERT_TRUE(posted.ok()) << posted.status();
  EXPECT_FALSE(posted->operation.replayed);
  EXPECT_EQ(posted->operation.amount, -2500);
  EXPECT_EQ(posted->operation.balance_after, 2500);
  EXPECT_EQ(posted->certificate.held, 0);
  EXPECT_EQ(posted->certificate.available, 2500);

  // The same post again: the first result, nothing more spent.
  auto replay = Post(certificate, "post-1", "h-1", 2500);
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_TRUE(replay->operation.replayed);
  EXPECT_EQ(replay->certificate.balance, 2500);
  const std::vector<int64_t> before = CertificateFootprint();
  // Same id, other amount; another id for the same hold; a void of it.
  EXPECT_THAT(Post(certificate, "post-1", "h-1", 2000).status(),
              FailsNaming(absl::StatusCode::kAlreadyExists, "request_id"));
  EXPECT_THAT(Post(certificate, "post-2", "h-1").status(),
              FailsNaming(absl::StatusCode::kFailedPrecondition, "hold_id"));
  EXPECT_THAT(certificates_->VoidHold(program_, certificate.number, "h-1").status(),
              FailsNaming(absl::StatusCode::kFailedPrecondition, "hold_id"));
  EXPECT_EQ(CertificateFootprint(), before);
}

TEST_F(CertificateStoreTest, PostMoreThanHeldIsRefused) {
  Certificate certificate = NewCertificate(5000);
  ASSERT_TRUE(Hold(certificate, "h-1", 1000).ok());
  const std::vector<int64_t> before = CertificateFootprint();
  auto over = Post(certificate, "post-1", "h-1", 1001);
  EXPECT_THAT(over.status(), FailsNaming(absl::StatusCode::kFailedPrecondition, "amount"));
  EXPECT_THAT(over.status().message(), HasSubstr("1000"));
  EXPECT_THAT(Post(certificate, "post-1", "no-such-hold").status(),
              FailsNaming(absl::StatusCode::kNotFound, "hold_id"));
  EXPECT_EQ(CertificateFootprint(), before);
  // A hold of another certificate is not found through this one.
  Certificate other = NewCertificate(100);
  EXPECT_THAT(Post(other, "post-x", "h-1").status(),
              FailsNaming(absl::StatusCode::kNotFound, "hold_id"));
  EXPECT_EQ(Reload(certificate).balance, 5000);
  EXPECT_EQ(Scalar("SELECT count(*) FROM certificate_operations WHERE program_id = $1"
                   " AND kind = 'REDEMPTION'"),
            0);
}

TEST_F(CertificateStoreTest, HoldsAreRefusedBeyondAvailableExpiredOrBlocked) {
  Certificate certificate = NewCertificate(1000);
  ASSERT_TRUE(Hold(certificate, "h-1", 700).ok());
  const std::vector<int64_t> before = CertificateFootprint();
  auto over = Hold(certificate, "h-2", 301);
  EXPECT_THAT(over.status(), FailsNaming(absl::StatusCode::kFailedPrecondition, "amount"));
  EXPECT_THAT(over.status().message(), HasSubstr("available amount 300"));
  EXPECT_THAT(Hold(certificate, "h-3", 0).status(),
              FailsNaming(absl::StatusCode::kInvalidArgument, "amount"));
  EXPECT_THAT(Hold(certificate, "h-4", -5).status(),
              FailsNaming(absl::StatusCode::kInvalidArgument, "amount"));
  // The same hold id with other content.
  EXPECT_THAT(Hold(certificate, "h-1", 600).status(),
              FailsNaming(absl::StatusCode::kAlreadyExists, "hold_id"));
  EXPECT_EQ(CertificateFootprint(), before);
  // The same hold again returns it.
  auto again = Hold(certificate, "h-1", 700);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->amount, 700);

  ASSERT_TRUE(certificates_
                  ->SetStatus(program_, certificate.number, CertificateStatus::kBlocked,
                              "reported stolen", "operator-1")
                  .ok());
  auto blocked = Hold(certificate, "h-5", 1);
  EXPECT_THAT(blocked.status(), FailsNaming(absl::StatusCode::kFailedPrecondition, "number"));
  EXPECT_THAT(blocked.status().message(), HasSubstr("reported stolen"));
  // Posting a hold of a blocked certificate is refused too.
  EXPECT_THAT(Post(certificate, "p-1", "h-1").status(),
              FailsNaming(absl::StatusCode::kFailedPrecondition, "number"));
  auto unblocked = certificates_->SetStatus(program_, certificate.number,
                                            CertificateStatus::kActive, "found", "operator-1");
  ASSERT_TRUE(unblocked.ok()) << unblocked.status();
  EXPECT_EQ(unblocked->status, CertificateStatus::kActive);
  EXPECT_EQ(unblocked->status_reason, "found");

  clock_.Advance(absl::Hours(24 * 31));
  EXPECT_EQ(Reload(certificate).status, CertificateStatus::kExpired);
  EXPECT_EQ(Reload(certificate).available, 0);
  EXPECT_THAT(Hold(certificate, "h-6", 1).status(),
              FailsNaming(absl::StatusCode::kFailedPrecondition, "number"));
  EXPECT_THAT(Redeem(certificate, "r-1", 1).status(),
              FailsNaming(absl::StatusCode::kFailedPrecondition, "number"));
}

TEST_F(CertificateStoreTest, ExpiredHoldsReserveNothingAndCannotBePosted) {
  Certificate certificate = NewCertificate(1000);
  ASSERT_TRUE(certificates_
                  ->Hold(program_, {.hold_id = "h-1",
                                    .number = certificate.number,
                                    .amount = 800,
                                    .ttl = absl::Minutes(5)})
                  .ok());
  EXPECT_EQ(Reload(certificate).available, 200);
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(Reload(certificate).available, 1000);
  EXPECT_THAT(Post(certificate, "p-1", "h-1").status(),
              FailsNaming(absl::StatusCode::kFailedPrecondition, "hold_id"));
  auto voided = certificates_->VoidHold(program_, certificate.number, "h-1");
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_EQ(voided->state, HoldState::kExpired);
  // Voiding again is idempotent; a fresh hold can take the money.
  EXPECT_TRUE(certificates_->VoidHold(program_, certificate.number, "h-1").ok());
  EXPECT_TRUE(Hold(certificate, "h-2", 1000).ok());
}

TEST_F(CertificateStoreTest, VoidReleasesTheHold) {
  Certificate certificate = NewCertificate(1000);
  ASSERT_TRUE(Hold(certificate, "h-1", 1000).ok());
  EXPECT_EQ(Reload(certificate).available, 0);
  EXPECT_EQ(Reload(certificate).status, CertificateStatus::kActive);
  auto voided = certificates_->VoidHold(program_, certificate.number, "h-1");
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_EQ(voided->state, HoldState::kVoided);
  EXPECT_EQ(Reload(certificate).available, 1000);
  EXPECT_THAT(Post(certificate, "p-1", "h-1").status(),
              FailsNaming(absl::StatusCode::kFailedPrecondition, "hold_id"));
}

TEST_F(CertificateStoreTest, RedeemIsIdempotentAndNeverOverspends) {
  Certificate certificate = NewCertificate(1000);
  auto first = Redeem(certificate, "r-1", 600);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->certificate.balance, 400);
  auto again = Redeem(certificate, "r-1", 600);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->operation.replayed);
  EXPECT_EQ(again->certificate.balance, 400);
  const std::vector<int64_t> before = CertificateFootprint();
  EXPECT_THAT(Redeem(certificate, "r-1", 500).status(),
              FailsNaming(absl::StatusCode::kAlreadyExists, "request_id"));
  auto over = Redeem(certificate, "r-2", 401);
  EXPECT_THAT(over.status(), FailsNaming(absl::StatusCode::kFailedPrecondition, "amount"));
  EXPECT_THAT(over.status().message(), HasSubstr("available amount 400"));
  EXPECT_THAT(Redeem(certificate, "r-3", 0).status(),
              FailsNaming(absl::StatusCode::kInvalidArgument, "amount"));
  EXPECT_THAT(Redeem(certificate, "", 10).status(),
              FailsNaming(absl::StatusCode::kInvalidArgument, "request_id"));
  // An issue's operation id is taken too.
  EXPECT_THAT(Redeem(certificate, "issue:" + certificate.number, 10).status(),
              FailsNaming(absl::StatusCode::kAlreadyExists, "request_id"));
  EXPECT_EQ(CertificateFootprint(), before);
  auto rest = Redeem(certificate, "r-4", 400);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->certificate.status, CertificateStatus::kRedeemed);
}

TEST_F(CertificateStoreTest, RefundsInStepsNeverExceedTheRedemption) {
  Certificate certificate = NewCertificate(1000);
  ASSERT_TRUE(Hold(certificate, "h-1", 1000).ok());
  ASSERT_TRUE(Post(certificate, "buy-1", "h-1", 700).ok());
  auto first = Refund(certificate, "ref-1", "buy-1", 300);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->operation.refund_of, "buy-1");
  EXPECT_EQ(first->certificate.balance, 600);
  EXPECT_TRUE(Refund(certificate, "ref-1", "buy-1", 300)->operation.replayed);
  const std::vector<int64_t> before = CertificateFootprint();
  auto over = Refund(certificate, "ref-2", "buy-1", 401);
  EXPECT_THAT(over.status(), FailsNaming(absl::StatusCode::kFailedPrecondition, "amount"));
  EXPECT_THAT(over.status().message(), HasSubstr("400 of 700"));
  EXPECT_THAT(Refund(certificate, "ref-1", "buy-1", 200).status(),
              FailsNaming(absl::StatusCode::kAlreadyExists, "request_id"));
  EXPECT_THAT(Refund(certificate, "ref-3", "no-such", 1).status(),
              FailsNaming(absl::StatusCode::kNotFound, "redemption_id"));
  // Refunds give back redemptions, not issues or other refunds.
  EXPECT_THAT(Refund(certificate, "ref-4", "issue:" + certificate.number, 1).status(),
              FailsNaming(absl::StatusCode::kNotFound, "redemption_id"));
  EXPECT_THAT(Refund(certificate, "ref-5", "ref-1", 1).status(),
              FailsNaming(absl::StatusCode::kNotFound, "redemption_id"));
  EXPECT_EQ(CertificateFootprint(), before);
  // Another certificate's redemption is not found through this one.
  Certificate other = NewCertificate(100);
  EXPECT_THAT(Refund(other, "ref-6", "buy-1", 1).status(),
              FailsNaming(absl::StatusCode::kNotFound, "redemption_id"));
  EXPECT_EQ(Reload(certificate).balance, 600);
  EXPECT_EQ(Reload(other).balance, 100);
  // A blocked certificate still takes its refunds: it is the buyer's money.
  ASSERT_TRUE(
      certificates_
          ->SetStatus(program_, certificate.number, CertificateStatus::kBlocked, "audit", "op")
          .ok());
  auto rest = Refund(certificate, "ref-7", "buy-1", 400);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->certificate.balance, 1000);
  EXPECT_THAT(Refund(certificate, "ref-8", "buy-1", 1).status(),
              FailsNaming(absl::StatusCode::kFailedPrecondition, "amount"));
}

TEST_F(CertificateStoreTest, RefundBringsARedeemedCertificateBack) {
  Certificate certificate = NewCertificate(500);
  ASSERT_TRUE(Redeem(certificate, "r-1", 500).ok());
  EXPECT_EQ(Reload(certificate).status, CertificateStatus::kRedeemed);
  auto refunded = Refund(certificate, "f-1", "r-1", 200);
  ASSERT_TRUE(refunded.ok()) << refunded.status();
  EXPECT_EQ(refunded->certificate.status, CertificateStatus::kActive);
  EXPECT_EQ(refunded->certificate.available, 200);
}

TEST_F(CertificateStoreTest, HistoryPagesNewestFirstWithBalances) {
  Certificate certificate = NewCertificate(1000);
  ASSERT_TRUE(Redeem(certificate, "r-1", 100).ok());
  ASSERT_TRUE(Redeem(certificate, "r-2", 200).ok());
  ASSERT_TRUE(Refund(certificate, "f-1", "r-2", 50).ok());
  auto first = certificates_->ListOperations(program_, certificate.number, 2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->operations.size(), 2u);
  EXPECT_EQ(first->operations[0].operation_id, "f-1");
  EXPECT_EQ(first->operations[0].balance_after, 750);
  EXPECT_EQ(first->operations[1].operation_id, "r-2");
  EXPECT_EQ(first->operations[1].amount, -200);
  ASSERT_FALSE(first->next_page_token.empty());
  auto second =
      certificates_->ListOperations(program_, certificate.number, 2, first->next_page_token);
  ASSERT_TRUE(second.ok()) << second.status();
  std::vector<std::string> ids;
  for (const auto& operation : second->operations) ids.push_back(operation.operation_id);
  EXPECT_THAT(ids, ElementsAre("r-1", "issue:" + certificate.number));
  EXPECT_TRUE(second->next_page_token.empty());
  EXPECT_THAT(certificates_->ListOperations(program_, certificate.number, 2, "garbage").status(),
              FailsNaming(absl::StatusCode::kInvalidArgument, "page_token"));
  EXPECT_THAT(certificates_->ListOperations(NewUuid(), certificate.number, 2, "").status(),
              FailsNaming(absl::StatusCode::kNotFound, "number"));
}

TEST_F(CertificateStoreTest, BatchesFromARangeAreIdempotentAndAllOrNothing) {
  const std::string first = "9000000000";  // numbers are per program
  CertificateBatchInput input{.request_id = "batch-1",
                              .count = 5,
                              .range = CardNumberRange{.first_number = first},
                              .nominal = 2500,
                              .expire_time = Expiry()};
  auto batch = certificates_->IssueBatch(program_, input, "admin");
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->numbers.size(), 5u);
  EXPECT_EQ(batch->numbers.front(), first);
  auto issued = certificates_->Get(program_, batch->numbers.back());
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(issued->balance, 2500);
  EXPECT_EQ(issued->batch_id, "batch-1");

  auto again = certificates_->IssueBatch(program_, input, "admin");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->numbers, batch->numbers);
  const std::vector<int64_t> before = CertificateFootprint();
  CertificateBatchInput other = input;
  other.nominal = 2600;
  EXPECT_THAT(certificates_->IssueBatch(program_, other, "admin").status(),
              FailsNaming(absl::StatusCode::kAlreadyExists, "request_id"));
  // A range overlapping the first batch issues nothing.
  CertificateBatchInput overlapping = input;
  overlapping.request_id = "batch-2";
  EXPECT_THAT(certificates_->IssueBatch(program_, overlapping, "admin").status(),
              FailsNaming(absl::StatusCode::kAlreadyExists, "number_range.first_number"));
  EXPECT_EQ(CertificateFootprint(), before);
  // Generated numbers.
  auto generated = certificates_->IssueBatch(
      program_, {.request_id = "batch-3", .count = 20, .nominal = 100, .expire_time = Expiry()},
      "admin");
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_EQ(generated->numbers.size(), 20u);
}

TEST_F(CertificateStoreTest, OperationsAreAppendOnly) {
  Certificate certificate = NewCertificate(100);
  absl::Status edit = pool_->Transact([&](pg::Tx& tx) {
    tx.exec_params("UPDATE certificate_operations SET amount = 1 WHERE program_id = $1", program_);
    return absl::OkStatus();
  });
  EXPECT_FALSE(edit.ok());
  absl::Status remove = pool_->Transact([&](pg::Tx& tx) {
    tx.exec_params("DELETE FROM certificate_operations WHERE program_id = $1", program_);
    return absl::OkStatus();
  });
  EXPECT_FALSE(remove.ok());
  // And the balance cannot leave 0..nominal even from a manual session.
  absl::Status overfill = pool_->Transact([&](pg::Tx& tx) {
    tx.exec_params("UPDATE certificates SET balance = nominal + 1 WHERE program_id = $1", program_);
    return absl::OkStatus();
  });
  EXPECT_FALSE(overfill.ok());
  EXPECT_EQ(Reload(certificate).balance, 100);
}

// The checker must notice broken data, or its silence after the
// concurrency test means nothing. Each case corrupts a database of its own.
class CertificateInvariantsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::Database().status.ok()) << testing::Database().status;
    loyalty::testing::PostgresServer& server = *testing::Database().server;
    static int databases = 0;
    database_ = absl::StrCat("certificate_invariants_", ++databases);
    ASSERT_TRUE(server.CreateDatabase(database_).ok());
    pool_ = std::make_unique<pg::Pool>(pg::PoolOptions{
        .conninfo = server.ConnectionString(database_), .schema = "cards", .size = 2});
    ASSERT_TRUE(pg::ApplyMigrations(*pool_, "cards", AllCardsMigrations()).ok());
    CertificateStore store(*pool_, clock_, numbers_);
    ASSERT_TRUE(store
                    .Issue("p1",
                           {.number = "7000001",
                            .nominal = 1000,
                            .expire_time = clock_.Now() + absl::Hours(24)},
                           "a")
                    .ok());
    ASSERT_TRUE(store.Hold("p1", {.hold_id = "h-1", .number = "7000001", .amount = 400}).ok());
    ASSERT_TRUE(
        store.PostHold("p1", {.request_id = "p-1", .number = "7000001", .hold_id = "h-1"}, "a")
            .ok());
    ASSERT_TRUE(
        store
            .Refund(
                "p1",
                {.request_id = "f-1", .number = "7000001", .redemption_id = "p-1", .amount = 100},
                "a")
            .ok());
    ASSERT_TRUE(store.Hold("p1", {.hold_id = "h-2", .number = "7000001", .amount = 500}).ok());
    EXPECT_THAT(Violations(), ::testing::IsEmpty());
  }

  std::vector<std::string> Violations() {
    auto found =
        FindCertificateInvariantViolations(*pool_, {.check_events = true, .now = clock_.Now()});
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? *found : std::vector<std::string>{"checker failed"};
  }

  // Runs `sql` as the database owner, bypassing the service's rules.
  void Corrupt(const std::string& sql) {
    auto done = testing::Database().server->Query(
        absl::StrCat("SET search_path TO cards; SET session_replication_role = replica; ", sql),
        database_);
    ASSERT_TRUE(done.ok()) << done.status();
  }

  std::string database_;
  std::unique_ptr<pg::Pool> pool_;
  testing::FakeClock clock_;
  testing::ScriptedNumberGenerator numbers_;
};

MATCHER_P(HasViolation, prefix, "") {
  for (const std::string& violation : arg) {
    if (violation.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST_F(CertificateInvariantsTest, StoredBalanceOffItsOperations) {
  Corrupt("UPDATE certificates SET balance = balance - 1");
  EXPECT_THAT(Violations(), HasViolation("certificate balance equals the sum of its operations"));
}

TEST_F(CertificateInvariantsTest, HoldPostedForMoreThanHeld) {
  Corrupt("UPDATE certificate_holds SET amount = 1 WHERE hold_id = 'h-1'");
  EXPECT_THAT(Violations(), HasViolation("hold is resolved at most once"));
}

TEST_F(CertificateInvariantsTest, HoldResolvedTwice) {
  Corrupt(
      "INSERT INTO certificate_operations (program_id, operation_id, number, kind, amount,"
      " balance_after, fingerprint, hold_id, created_at)"
      " VALUES ('p1', 'p-2', '7000001', 'REDEMPTION', -1, 699, 'x', 'h-2', now());"
      "UPDATE certificates SET balance = balance - 1");
  EXPECT_THAT(Violations(), HasViolation("hold is resolved at most once"));
}

TEST_F(CertificateInvariantsTest, RefundBeyondTheRedemption) {
  Corrupt(
      "INSERT INTO certificate_operations (program_id, operation_id, number, kind, amount,"
      " balance_after, fingerprint, refund_of, created_at)"
      " VALUES ('p1', 'f-2', '7000001', 'REFUND', 301, 1001, 'x', 'p-1', now());"
      "ALTER TABLE certificates DROP CONSTRAINT certificate_balance_range;"
      "UPDATE certificates SET balance = balance + 301");
  std::vector<std::string> violations = Violations();
  EXPECT_THAT(violations, HasViolation("refunds give back at most what their redemption took"));
  EXPECT_THAT(violations, HasViolation("running balance stays within 0..nominal"));
}

TEST_F(CertificateInvariantsTest, OverspentByOpenHolds) {
  Corrupt("UPDATE certificate_holds SET amount = 701 WHERE hold_id = 'h-2'");
  EXPECT_THAT(Violations(), HasViolation("open holds are covered by the balance"));
}

TEST_F(CertificateInvariantsTest, MissingEvent) {
  Corrupt("DELETE FROM outbox WHERE event_type = 'loyalty.cards.v1.CertificateRefunded'");
  EXPECT_THAT(Violations(), HasViolation("operation emitted exactly one event of its kind"));
}

}  // namespace
}  // namespace loyalty::cards
