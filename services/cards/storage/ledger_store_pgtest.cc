// The ledger against a real PostgreSQL: the storage layer called directly.

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/cards/storage/ledger_store.h"
#include "services/cards/testing/pg_fixture.h"

namespace loyalty::cards {
namespace {

using testing::CardsPgTest;
using ::testing::HasSubstr;

class LedgerStoreTest : public CardsPgTest {
 protected:
  // Remaining points of the lot a transfer created.
  int64_t LotRemaining(const std::string& transfer_id) {
    return Scalar(
        absl::StrCat("SELECT remaining FROM lots WHERE program_id = $1"
                     " AND transfer_id = '",
                     transfer_id, "'"));
  }
};

void ExpectRefused(const absl::Status& status, absl::StatusCode code, absl::string_view field) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_EQ(ViolatedField(status), std::string(field)) << status;
}

TEST_F(LedgerStoreTest, AccrualCreditsMemberAndDebitsIssued) {
  Card card = NewCard();
  TransferResult result = MustCommit(Accrual("a-1", card, 100));
  EXPECT_EQ(result.amount, 100);
  EXPECT_FALSE(result.replayed);
  EXPECT_EQ(result.create_time, clock_.Now());
  EXPECT_EQ(BalanceOf(card), (Balance{.available = 100, .active = 100}));
  EXPECT_EQ(Scalar("SELECT balance FROM accounts WHERE program_id = $1 AND kind = 'member'"), 100);
  // The issued account holds the other side, with no stored balance.
  EXPECT_EQ(Scalar("SELECT sum(p.amount)::bigint FROM postings p JOIN accounts a"
                   " USING (program_id, account_id)"
                   " WHERE p.program_id = $1 AND a.kind = 'issued'"),
            -100);
  auto got = cards_->Get(program_, card.number);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->balance.available, 100);
}

TEST_F(LedgerStoreTest, SameTransferIdTwiceHasOneEffect) {
  Card card = NewCard();
  TransferResult first = MustCommit(Accrual("a-1", card, 100));
  clock_.Advance(absl::Minutes(5));
  auto again = Commit({Accrual("a-1", card, 100)});
  ASSERT_TRUE(again.ok()) << again.status();
  const TransferResult& replay = again->results.at(0);
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.amount, 100);
  EXPECT_EQ(replay.create_time, first.create_time);  // the first result
  EXPECT_EQ(again->balance.available, 100);
  EXPECT_EQ(Scalar("SELECT count(*) FROM transfers WHERE program_id = $1"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM postings WHERE program_id = $1"), 2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM outbox WHERE program_id = $1"
                   " AND event_type = 'loyalty.cards.v1.PointsTransferred'"),
            1);
  // Twice in one request: the second is a replay of the first.
  auto twice = Commit({Accrual("a-2", card, 5), Accrual("a-2", card, 5)});
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_FALSE(twice->results[0].replayed);
  EXPECT_TRUE(twice->results[1].replayed);
  EXPECT_EQ(twice->balance.available, 105);
}

TEST_F(LedgerStoreTest, TransferIdReusedWithOtherContentIsRefused) {
  Card card = NewCard();
  Card other = NewCard();
  MustCommit(Accrual("a-1", card, 100));
  std::vector<int64_t> before = Footprint();
  ExpectRefused(Commit({Accrual("a-1", card, 99)}).status(), absl::StatusCode::kAlreadyExists,
                "transfers[0].transfer_id");
  ExpectRefused(Commit({Accrual("a-1", other, 100)}).status(), absl::StatusCode::kAlreadyExists,
                "transfers[0].transfer_id");
  TransferSpec with_reference = Accrual("a-1", card, 100);
  with_reference.reference = "receipt-1";
  ExpectRefused(Commit({Accrual("a-0", card, 1), with_reference}).status(),
                absl::StatusCode::kAlreadyExists, "transfers[1].transfer_id");
  EXPECT_EQ(Footprint(), before);
  EXPECT_EQ(BalanceOf(other).available, 0);
}

TEST_F(LedgerStoreTest, RequestIsAllOrNothing) {
  Card card = NewCard();
  MustCommit(Accrual("a-1", card, 50));
  std::vector<int64_t> before = Footprint();
  auto result = Commit({Accrual("a-2", card, 30), Redemption("r-1", card, 1000)});
  ExpectRefused(result.status(), absl::StatusCode::kFailedPrecondition, "transfers[1].amount");
  EXPECT_EQ(Footprint(), before);
  EXPECT_EQ(BalanceOf(card).available, 50);
  // The refused request's ids stay free.
  EXPECT_FALSE(MustCommit(Accrual("a-2", card, 30)).replayed);
}

TEST_F(LedgerStoreTest, InsufficientPointsRefusedWithNothingChanged) {
  Card card = NewCard();
  MustCommit(Accrual("a-1", card, 50));
  std::vector<int64_t> before = Footprint();
  auto result = Commit({Redemption("r-1", card, 80)});
  ExpectRefused(result.status(), absl::StatusCode::kFailedPrecondition, "transfers[0].amount");
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("50 available"));
  EXPECT_EQ(Footprint(), before);
  EXPECT_EQ(BalanceOf(card), (Balance{.available = 50, .active = 50}));
  // Exactly the balance is fine.
  EXPECT_EQ(MustCommit(Redemption("r-2", card, 50)).amount, 50);
  EXPECT_EQ(BalanceOf(card), Balance{});
}

TEST_F(LedgerStoreTest, UnknownCardAndOtherProgramsCardsAreNotFound) {
  Card foreign = NewCard(absl::StrCat(program_, "-other"));
  ExpectRefused(Commit({Accrual("a-1", foreign, 10)}).status(), absl::StatusCode::kNotFound,
                "transfers[0].card_number");
  Card card = NewCard();
  ExpectRefused(Commit({Accrual("a-1", card, 10), Accrual("a-2", foreign, 10)}).status(),
                absl::StatusCode::kNotFound, "transfers[1].card_number");
  ExpectRefused(ledger_->GetBalance(program_, foreign.number).status(), absl::StatusCode::kNotFound,
                "card_number");
  ExpectRefused(cards_->Get(program_, foreign.number).status(), absl::StatusCode::kNotFound,
                "number");
  // A NUL would have cut the lookup short and found `card`.
  ExpectRefused(cards_->Get(program_, card.number + std::string(1, '\0') + "x").status(),
                absl::StatusCode::kInvalidArgument, "number");
  ExpectRefused(ledger_->GetBalance(program_, card.number + std::string(1, '\0') + "x").status(),
                absl::StatusCode::kInvalidArgument, "card_number");
  ExpectRefused(
      ledger_->HoldPoints(program_, {.hold_id = "h", .card_number = foreign.number, .amount = 1})
          .status(),
      absl::StatusCode::kNotFound, "card_number");
}

TEST_F(LedgerStoreTest, HoldIsPostedExactlyOnce) {
  Card card = NewCard();
  MustCommit(Accrual("a-1", card, 100));
  HoldRequest request{.hold_id = "h-1", .card_number = card.number, .amount = 60};
  auto hold = ledger_->HoldPoints(program_, request);
  ASSERT_TRUE(hold.ok()) << hold.status();
  EXPECT_EQ(hold->state, HoldState::kHeld);
  EXPECT_EQ(hold->expire_time, clock_.Now() + kDefaultHoldTtl);
  EXPECT_EQ(BalanceOf(card), (Balance{.available = 40, .active = 100, .held = 60}));

  // The same hold again returns it; other content under its id is refused.
  auto again = ledger_->HoldPoints(program_, request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->expire_time, hold->expire_time);
  HoldRequest changed = request;
  changed.amount = 61;
  ExpectRefused(ledger_->HoldPoints(program_, changed).status(), absl::StatusCode::kAlreadyExists,
                "hold_id");
  EXPECT_EQ(Scalar("SELECT count(*) FROM holds WHERE program_id = $1"), 1);

  // The hold's points are spoken for: a plain redemption cannot take them.
  ExpectRefused(Commit({Redemption("r-0", card, 41)}).status(),
                absl::StatusCode::kFailedPrecondition, "transfers[0].amount");
  ExpectRefused(Commit({Redemption("r-1", card, 50, "h-1")}).status(),
                absl::StatusCode::kInvalidArgument, "transfers[0].amount");

  auto posted = Commit({Redemption("r-1", card, 60, "h-1")});
  ASSERT_TRUE(posted.ok()) << posted.status();
  EXPECT_EQ(posted->balance, (Balance{.available = 40, .active = 40}));

  // Replaying the posting is harmless; posting the hold again is not allowed.
  auto replay = Commit({Redemption("r-1", card, 60, "h-1")});
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_TRUE(replay->results[0].replayed);
  ExpectRefused(Commit({Redemption("r-2", card, 60, "h-1")}).status(),
                absl::StatusCode::kFailedPrecondition, "transfers[0].hold_id");
  ExpectRefused(ledger_->VoidHold(program_, "h-1").status(), absl::StatusCode::kFailedPrecondition,
                "hold_id");
  auto reread = ledger_->HoldPoints(program_, request);
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ(reread->state, HoldState::kPosted);
  EXPECT_EQ(BalanceOf(card).available, 40);
}

TEST_F(LedgerStoreTest, VoidedHoldIsReleasedAndCannotBePosted) {
  Card card = NewCard();
  MustCommit(Accrual("a-1", card, 100));
  ASSERT_TRUE(
      ledger_->HoldPoints(program_, {.hold_id = "h-1", .card_number = card.number, .amount = 70})
          .ok());
  auto voided = ledger_->VoidHold(program_, "h-1");
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_EQ(voided->state, HoldState::kVoided);
  auto twice = ledger_->VoidHold(program_, "h-1");  // idempotent
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_EQ(twice->state, HoldState::kVoided);
  EXPECT_EQ(BalanceOf(card), (Balance{.available = 100, .active = 100}));

  std::vector<int64_t> before = Footprint();
  ExpectRefused(Commit({Redemption("r-1", card, 70, "h-1")}).status(),
                absl::StatusCode::kFailedPrecondition, "transfers[0].hold_id");
  EXPECT_EQ(Footprint(), before);
  ExpectRefused(ledger_->VoidHold(program_, "h-unknown").status(), absl::StatusCode::kNotFound,
                "hold_id");
}

TEST_F(LedgerStoreTest, HoldOnAnotherCardCannotBePostedHere) {
  Card card = NewCard();
  Card other = NewCard();
  MustCommit(Accrual("a-1", card, 100));
  MustCommit(Accrual("a-2", other, 100));
  ASSERT_TRUE(
      ledger_->HoldPoints(program_, {.hold_id = "h-1", .card_number = card.number, .amount = 10})
          .ok());
  ExpectRefused(Commit({Redemption("r-1", other, 10, "h-1")}).status(),
                absl::StatusCode::kFailedPrecondition, "transfers[0].hold_id");
  ExpectRefused(Commit({Redemption("r-1", card, 10, "h-404")}).status(),
                absl::StatusCode::kNotFound, "transfers[0].hold_id");
}

TEST_F(LedgerStoreTest, HoldBeyondAvailableIsRefused) {
  Card card = NewCard();
  MustCommit(Accrual("a-1", card, 100));
  ASSERT_TRUE(
      ledger_->HoldPoints(program_, {.hold_id = "h-1", .card_number = card.number, .amount = 70})
          .ok());
  std::vector<int64_t> before = Footprint();
  auto refused =
      ledger_->HoldPoints(program_, {.hold_id = "h-2", .card_number = card.number, .amount = 31});
  ExpectRefused(refused.status(), absl::StatusCode::kFailedPrecondition, "amount");
  EXPECT_EQ(Footprint(), before);
  EXPECT_TRUE(
      ledger_->HoldPoints(program_, {.hold_id = "h-2", .card_number = card.number, .amount = 30})
          .ok());
}

TEST_F(LedgerStoreTest, ExpiredHoldCountsAsReleased) {
  Card card = NewCard();
  MustCommit(Accrual("a-1", card, 100));
  HoldRequest request{
      .hold_id = "h-1", .card_number = card.number, .amount = 80, .ttl = absl::Seconds(60)};
  ASSERT_TRUE(ledger_->HoldPoints(program_, request).ok());
  EXPECT_EQ(BalanceOf(card).available, 20);
  clock_.Advance(absl::Seconds(60));
  EXPECT_EQ(BalanceOf(card), (Balance{.available = 100, .active = 100}));
  ExpectRefused(Commit({Redemption("r-1", card, 80, "h-1")}).status(),
                absl::StatusCode::kFailedPrecondition, "transfers[0].hold_id");
  auto reread = ledger_->HoldPoints(program_, request);
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ(reread->state, HoldState::kExpired);
  auto voided = ledger_->VoidHold(program_, "h-1");
  ASSERT_TRUE(voided.ok());
  EXPECT_EQ(voided->state, HoldState::kExpired);
  EXPECT_EQ(Scalar("SELECT count(*) FROM holds WHERE program_id = $1 AND state = 'EXPIRED'"), 1);
  EXPECT_EQ(MustCommit(Redemption("r-2", card, 100)).amount, 100);
}

TEST_F(LedgerStoreTest, PendingLotIsNotSpendableBeforeActivation) {
  Card card = NewCard();
  TransferSpec accrual = Accrual("a-1", card, 100);
  accrual.activate_time = clock_.Now() + absl::Hours(1);
  MustCommit(accrual);
  EXPECT_EQ(BalanceOf(card), (Balance{.pending = 100}));
  ExpectRefused(Commit({Redemption("r-1", card, 10)}).status(),
                absl::StatusCode::kFailedPrecondition, "transfers[0].amount");
  ExpectRefused(
      ledger_->HoldPoints(program_, {.hold_id = "h", .card_number = card.number, .amount = 10})
          .status(),
      absl::StatusCode::kFailedPrecondition, "amount");
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(BalanceOf(card), (Balance{.available = 100, .active = 100}));
  EXPECT_EQ(MustCommit(Redemption("r-1", card, 10)).amount, 10);
}

TEST_F(LedgerStoreTest, SoonestExpiringLotIsConsumedFirst) {
  Card card = NewCard();
  const absl::Time now = clock_.Now();
  TransferSpec late = Accrual("a-late", card, 100);
  late.expire_time = now + absl::Hours(24 * 30);
  TransferSpec never = Accrual("a-never", card, 100);
  TransferSpec soon = Accrual("a-soon", card, 100);
  soon.expire_time = now + absl::Hours(24 * 10);
  ASSERT_TRUE(Commit({late, never, soon}).ok());

  MustCommit(Redemption("r-1", card, 150));
  EXPECT_EQ(LotRemaining("a-soon"), 0);
  EXPECT_EQ(LotRemaining("a-late"), 50);
  EXPECT_EQ(LotRemaining("a-never"), 100);
  EXPECT_EQ(Scalar("SELECT count(*) FROM lot_consumptions WHERE program_id = $1"
                   " AND transfer_id = 'r-1'"),
            2);

  // Once the late lot expires, its points are not spendable any more.
  clock_.Advance(absl::Hours(24 * 30));
  EXPECT_EQ(BalanceOf(card), (Balance{.available = 100, .active = 100}));
  ExpectRefused(Commit({Redemption("r-2", card, 101)}).status(),
                absl::StatusCode::kFailedPrecondition, "transfers[0].amount");
  MustCommit(Redemption("r-2", card, 100));
  EXPECT_EQ(LotRemaining("a-late"), 50);  // expired, left for the sweep
  EXPECT_EQ(LotRemaining("a-never"), 0);
}

TEST_F(LedgerStoreTest, AccrualReversalIsCappedAtWhatTheMemberHas) {
  Card card = NewCard();
  TransferSpec accrual = Accrual("a-1", card, 100);
  accrual.reference = "receipt-1";
  MustCommit(accrual);
  MustCommit(Redemption("r-1", card, 70));

  TransferSpec reversal = Spec("ar-1", TransferKind::kAccrualReversal, card, 100);
  reversal.reference = "receipt-1";
  TransferResult result = MustCommit(reversal);
  EXPECT_EQ(result.amount, 30);
  EXPECT_EQ(BalanceOf(card), Balance{});
  EXPECT_EQ(Scalar("SELECT requested_amount FROM transfers WHERE program_id = $1"
                   " AND transfer_id = 'ar-1'"),
            100);
  // A replay reports the amount moved the first time.
  auto replay = Commit({reversal});
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->results[0].amount, 30);
  EXPECT_TRUE(replay->results[0].replayed);
  // Nothing left: recorded with amount 0 and no postings.
  TransferResult nothing = MustCommit(Spec("ar-2", TransferKind::kAccrualReversal, card, 5));
  EXPECT_EQ(nothing.amount, 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM postings WHERE program_id = $1"
                   " AND transfer_id = 'ar-2'"),
            0);
}

TEST_F(LedgerStoreTest, AccrualReversalTakesTheReferencedLotFirst) {
  Card card = NewCard();
  TransferSpec first = Accrual("a-1", card, 100);
  first.reference = "receipt-1";
  first.expire_time = clock_.Now() + absl::Hours(240);
  TransferSpec second = Accrual("a-2", card, 100);
  second.reference = "receipt-2";
  second.expire_time = clock_.Now() + absl::Hours(24);  // sooner
  ASSERT_TRUE(Commit({first, second}).ok());
  TransferSpec reversal = Spec("ar-1", TransferKind::kAccrualReversal, card, 60);
  reversal.reference = "receipt-1";
  EXPECT_EQ(MustCommit(reversal).amount, 60);
  EXPECT_EQ(LotRemaining("a-1"), 40);
  EXPECT_EQ(LotRemaining("a-2"), 100);
}

TEST_F(LedgerStoreTest, AccrualReversalLeavesHeldPoints) {
  Card card = NewCard();
  MustCommit(Accrual("a-1", card, 100));
  ASSERT_TRUE(
      ledger_->HoldPoints(program_, {.hold_id = "h-1", .card_number = card.number, .amount = 80})
          .ok());
  EXPECT_EQ(MustCommit(Spec("ar-1", TransferKind::kAccrualReversal, card, 50)).amount, 20);
  auto posted = Commit({Redemption("r-1", card, 80, "h-1")});
  ASSERT_TRUE(posted.ok()) << posted.status();
  EXPECT_EQ(posted->balance, Balance{});
}

TEST_F(LedgerStoreTest, RedemptionReversalReturnsPointsAsANewLot) {
  Card card = NewCard();
  MustCommit(Accrual("a-1", card, 100));
  MustCommit(Redemption("r-1", card, 100));
  TransferSpec back = Spec("rr-1", TransferKind::kRedemptionReversal, card, 40);
  back.expire_time = clock_.Now() + absl::Hours(1);
  MustCommit(back);
  EXPECT_EQ(LotRemaining("rr-1"), 40);
  EXPECT_EQ(BalanceOf(card), (Balance{.available = 40,
                                      .active = 40,
                                      .expiring_soon = 40,
                                      .next_expire_time = clock_.Now() + absl::Hours(1)}));
  EXPECT_EQ(Scalar("SELECT sum(p.amount)::bigint FROM postings p JOIN accounts a"
                   " USING (program_id, account_id)"
                   " WHERE p.program_id = $1 AND a.kind = 'redeemed'"),
            60);
}

TEST_F(LedgerStoreTest, EventsCarryTheTransfer) {
  Card card = NewCard();
  TransferSpec accrual = Accrual("a-1", card, 100);
  accrual.reference = "receipt-7";
  MustCommit(accrual);
  std::string payload;
  ASSERT_TRUE(pool_
                  ->Transact([&](pg::Tx& tx) {
                    payload = tx.exec_params1(
                                    "SELECT payload FROM outbox WHERE program_id = $1"
                                    " AND event_type = 'loyalty.cards.v1.PointsTransferred'",
                                    program_)[0]
                                  .as<std::string>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_THAT(payload, HasSubstr("\"transfer_id\":\"a-1\""));
  EXPECT_THAT(payload, HasSubstr("\"kind\":\"TRANSFER_KIND_ACCRUAL\""));
  EXPECT_THAT(payload, HasSubstr("\"reference\":\"receipt-7\""));
  EXPECT_THAT(payload, HasSubstr("\"balance_after\":\"100\""));
  EXPECT_THAT(payload, HasSubstr(card.client_id));
}

TEST_F(LedgerStoreTest, PostingsCannotBeEdited) {
  Card card = NewCard();
  MustCommit(Accrual("a-1", card, 100));
  absl::Status status = pool_->Transact([&](pg::Tx& tx) {
    tx.exec_params("UPDATE postings SET amount = amount * 2 WHERE program_id = $1", program_);
    return absl::OkStatus();
  });
  EXPECT_FALSE(status.ok());
  status = pool_->Transact([&](pg::Tx& tx) {
    tx.exec_params("DELETE FROM transfers WHERE program_id = $1", program_);
    return absl::OkStatus();
  });
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(Scalar("SELECT sum(amount)::bigint FROM postings WHERE program_id = $1"
                   " AND amount > 0"),
            100);
}

}  // namespace
}  // namespace loyalty::cards
