// POS-4 in the ledger: an ACCRUAL_REVERSAL with a negative_floor takes what
// the member's points do not cover as debt, never past the floor; the next
// credits repay it first; nothing is spendable or holdable meanwhile.
// Every test ends with the invariant checker (the fixture's TearDown),
// which derives each account's debt from its transfers.

#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/cards/storage/ledger_store.h"
#include "services/cards/testing/pg_fixture.h"

namespace loyalty::cards {
namespace {

using testing::CardsPgTest;

class NegativeBalanceTest : public CardsPgTest {
 protected:
  // A card that earned 100 points on "receipt-1" and spent 70 of them.
  Card CardWithSpentPoints() {
    Card card = NewCard();
    TransferSpec accrual = Accrual("a-1", card, 100);
    accrual.reference = "receipt-1";
    MustCommit(accrual);
    MustCommit(Redemption("r-1", card, 70));
    return card;
  }

  static TransferSpec Reversal(std::string id, const Card& card, int64_t amount, int64_t floor) {
    TransferSpec spec = Spec(std::move(id), TransferKind::kAccrualReversal, card, amount);
    spec.reference = "receipt-1";
    spec.negative_floor = floor;
    return spec;
  }

  int64_t StoredBalance(const Card& card) {
    return Scalar(
        absl::StrCat("SELECT a.balance FROM accounts a JOIN cards c USING (program_id, account_id)"
                     " WHERE a.program_id = $1 AND c.number = '",
                     card.number, "'"));
  }
};

TEST_F(NegativeBalanceTest, ReversalGoesBelowZeroDownToTheFloor) {
  Card card = CardWithSpentPoints();
  TransferResult result = MustCommit(Reversal("ar-1", card, 100, 500));
  EXPECT_EQ(result.amount, 100);
  EXPECT_EQ(result.into_debt, 70);  // 30 from the lot, 70 owed
  EXPECT_EQ(StoredBalance(card), -70);
  EXPECT_EQ(BalanceOf(card), (Balance{.debt = 70}));
  // The whole reversal is posted: the issued account got all 100 back.
  EXPECT_EQ(Scalar("SELECT amount FROM postings WHERE program_id = $1"
                   " AND transfer_id = 'ar-1' AND amount > 0"),
            100);
}

TEST_F(NegativeBalanceTest, NeverPastTheFloor) {
  Card card = CardWithSpentPoints();
  TransferResult first = MustCommit(Reversal("ar-1", card, 100, 50));
  EXPECT_EQ(first.amount, 80);  // 30 from the lot, 50 owed, 20 forgiven
  EXPECT_EQ(first.into_debt, 50);
  EXPECT_EQ(StoredBalance(card), -50);
  // At the floor already: a further reversal takes nothing.
  TransferResult second = MustCommit(Reversal("ar-2", card, 40, 50));
  EXPECT_EQ(second.amount, 0);
  EXPECT_EQ(second.into_debt, 0);
  // A deeper floor allows more, to it and no further.
  TransferResult third = MustCommit(Reversal("ar-3", card, 40, 60));
  EXPECT_EQ(third.amount, 10);
  EXPECT_EQ(StoredBalance(card), -60);
  EXPECT_EQ(BalanceOf(card).debt, 60);
}

TEST_F(NegativeBalanceTest, WithoutAFloorTheReversalIsCapped) {
  Card card = CardWithSpentPoints();
  TransferResult result = MustCommit(Reversal("ar-1", card, 100, 0));
  EXPECT_EQ(result.amount, 30);
  EXPECT_EQ(result.into_debt, 0);
  EXPECT_EQ(BalanceOf(card), Balance{});
}

TEST_F(NegativeBalanceTest, NextAccrualsRepayTheDebtFirst) {
  Card card = CardWithSpentPoints();
  MustCommit(Reversal("ar-1", card, 100, 500));  // debt 70

  // 50 repay 50 of the debt and create no lot.
  TransferResult small = MustCommit(Accrual("a-2", card, 50));
  EXPECT_EQ(small.amount, 50);
  EXPECT_EQ(small.repaid_debt, 50);
  EXPECT_EQ(Scalar("SELECT count(*) FROM lots WHERE program_id = $1 AND transfer_id = 'a-2'"), 0);
  EXPECT_EQ(BalanceOf(card), (Balance{.debt = 20}));

  // 100 repay the last 20; 80 become a lot, spendable at once.
  TransferResult big = MustCommit(Accrual("a-3", card, 100));
  EXPECT_EQ(big.repaid_debt, 20);
  EXPECT_EQ(Scalar("SELECT amount FROM lots WHERE program_id = $1 AND transfer_id = 'a-3'"), 80);
  EXPECT_EQ(BalanceOf(card), (Balance{.available = 80, .active = 80}));
  EXPECT_EQ(StoredBalance(card), 80);
  EXPECT_EQ(MustCommit(Redemption("r-2", card, 80)).amount, 80);
}

TEST_F(NegativeBalanceTest, RedemptionReversalAlsoRepays) {
  Card card = CardWithSpentPoints();
  MustCommit(Reversal("ar-1", card, 100, 500));  // debt 70
  TransferResult given_back = MustCommit(Spec("rr-1", TransferKind::kRedemptionReversal, card, 70));
  EXPECT_EQ(given_back.repaid_debt, 70);
  EXPECT_EQ(BalanceOf(card), Balance{});
  EXPECT_EQ(StoredBalance(card), 0);
}

TEST_F(NegativeBalanceTest, NothingIsSpendableOrHoldableWhileInDebt) {
  Card card = CardWithSpentPoints();
  MustCommit(Reversal("ar-1", card, 100, 500));  // debt 70, no lots

  // Debt beside active points: a hold reserved them before the reversal,
  // which may not take them, so it owes the rest instead.
  Card other = NewCard();
  MustCommit(Accrual("o-1", other, 100));
  ASSERT_TRUE(
      ledger_->HoldPoints(program_, {.hold_id = "h-1", .card_number = other.number, .amount = 60})
          .ok());
  // 40 unheld points taken, 60 owed below zero; the held 60 stay.
  TransferSpec reversal = Spec("oar-1", TransferKind::kAccrualReversal, other, 100);
  reversal.negative_floor = 500;
  TransferResult taken = MustCommit(reversal);
  EXPECT_EQ(taken.into_debt, 60);
  Balance balance = BalanceOf(other);
  EXPECT_EQ(balance.active, 60);
  EXPECT_EQ(balance.held, 60);
  EXPECT_EQ(balance.debt, 60);
  EXPECT_EQ(balance.available, 0);

  std::vector<int64_t> before = Footprint();
  absl::StatusOr<Hold> hold =
      ledger_->HoldPoints(program_, {.hold_id = "h-2", .card_number = card.number, .amount = 1});
  EXPECT_EQ(hold.status().code(), absl::StatusCode::kFailedPrecondition) << hold.status();
  EXPECT_EQ(ViolatedField(hold.status()), "amount");
  auto spent = Commit({Redemption("r-2", card, 1)});
  EXPECT_EQ(spent.status().code(), absl::StatusCode::kFailedPrecondition) << spent.status();
  EXPECT_EQ(Footprint(), before);

  // The hold granted before the debt is still posted: its points were
  // reserved first. The debt stays, and the balance is now -60.
  auto posted = Commit({Redemption("or-1", other, 60, "h-1")});
  ASSERT_TRUE(posted.ok()) << posted.status();
  EXPECT_EQ(posted->balance, (Balance{.debt = 60}));
  EXPECT_EQ(StoredBalance(other), -60);
}

// The floor bounds the balance once open holds are posted, and points the
// debt keeps are not taken again by a later reversal, whatever its floor.
TEST_F(NegativeBalanceTest, HoldsAndEarlierDebtLeaveNoRoomPastTheFloor) {
  Card card = NewCard();
  MustCommit(Accrual("a-1", card, 100));
  ASSERT_TRUE(
      ledger_->HoldPoints(program_, {.hold_id = "h-1", .card_number = card.number, .amount = 60})
          .ok());
  // 40 unheld points taken, then only 10 owed: posting the held 60 will
  // take the balance to -10, the floor.
  TransferSpec reversal = Spec("ar-1", TransferKind::kAccrualReversal, card, 100);
  reversal.negative_floor = 10;
  TransferResult taken = MustCommit(reversal);
  EXPECT_EQ(taken.amount, 50);
  EXPECT_EQ(taken.into_debt, 10);
  auto posted = Commit({Redemption("r-1", card, 60, "h-1")});
  ASSERT_TRUE(posted.ok()) << posted.status();
  EXPECT_EQ(StoredBalance(card), -10);

  // In debt with nothing held: a capped reversal (floor 0) and one with
  // the same floor take nothing more.
  Card owing = NewCard();
  MustCommit(Accrual("o-1", owing, 100));
  ASSERT_TRUE(
      ledger_->HoldPoints(program_, {.hold_id = "h-2", .card_number = owing.number, .amount = 60})
          .ok());
  TransferSpec into_debt = Spec("oar-1", TransferKind::kAccrualReversal, owing, 100);
  into_debt.negative_floor = 60;
  EXPECT_EQ(MustCommit(into_debt).into_debt, 60);  // 40 taken, 60 owed
  ASSERT_TRUE(ledger_->VoidHold(program_, "h-2").ok());
  EXPECT_EQ(StoredBalance(owing), 0);  // 60 points in lots, 60 owed
  TransferResult capped = MustCommit(Spec("oar-2", TransferKind::kAccrualReversal, owing, 60));
  EXPECT_EQ(capped.amount, 0);
  TransferSpec floored = Spec("oar-3", TransferKind::kAccrualReversal, owing, 60);
  floored.negative_floor = 60;
  TransferResult at_floor = MustCommit(floored);
  EXPECT_EQ(at_floor.amount, 60);  // owed down to -60, the floor
  EXPECT_EQ(at_floor.into_debt, 60);
  EXPECT_EQ(StoredBalance(owing), -60);
}

TEST_F(NegativeBalanceTest, RetryHasOneEffectAndMustRepeatTheFloor) {
  Card card = CardWithSpentPoints();
  TransferResult first = MustCommit(Reversal("ar-1", card, 100, 500));
  clock_.Advance(absl::Minutes(1));
  std::vector<int64_t> before = Footprint();
  auto again = Commit({Reversal("ar-1", card, 100, 500)});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->results[0].replayed);
  EXPECT_EQ(again->results[0].amount, 100);
  EXPECT_EQ(again->results[0].into_debt, 70);
  EXPECT_EQ(again->results[0].create_time, first.create_time);
  EXPECT_EQ(again->balance, (Balance{.debt = 70}));
  EXPECT_EQ(Footprint(), before);
  // The same id with another floor is another request.
  auto other_floor = Commit({Reversal("ar-1", card, 100, 400)});
  EXPECT_EQ(other_floor.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(other_floor.status()), "transfers[0].transfer_id");
  // A repayment's replay reports it too.
  TransferResult repay = MustCommit(Accrual("a-2", card, 30));
  auto repay_again = Commit({Accrual("a-2", card, 30)});
  ASSERT_TRUE(repay_again.ok()) << repay_again.status();
  EXPECT_EQ(repay_again->results[0].repaid_debt, repay.repaid_debt);
  EXPECT_EQ(repay.repaid_debt, 30);
  EXPECT_EQ(Footprint().size(), before.size());
}

TEST_F(NegativeBalanceTest, FloorOnlyForReversalsAndNotNegative) {
  Card card = CardWithSpentPoints();
  TransferSpec accrual = Accrual("a-2", card, 10);
  accrual.negative_floor = 5;
  auto refused = Commit({accrual});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(refused.status()), "transfers[0].negative_floor");
  auto negative = Commit({Reversal("ar-1", card, 10, -1)});
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(negative.status()), "transfers[0].negative_floor");
}

}  // namespace
}  // namespace loyalty::cards
