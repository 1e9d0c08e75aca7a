// The rest of the ledger against real PostgreSQL: the expiry sweep,
// manual corrections, a card's operations history and expiring points.

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/cards/storage/points_reader.h"
#include "services/cards/testing/pg_fixture.h"

namespace loyalty::cards {
namespace {

using testing::CardsPgTest;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class PointsLifecycleTest : public CardsPgTest {
 protected:
  void SetUp() override {
    CardsPgTest::SetUp();
    if (HasFatalFailure()) return;
    reader_ = std::make_unique<PointsReader>(*pool_, clock_);
  }

  static TransferSpec ExpiringAccrual(std::string id, const Card& card, int64_t amount,
                                      absl::Time expire) {
    TransferSpec spec = Accrual(std::move(id), card, amount);
    spec.expire_time = expire;
    return spec;
  }

  static TransferSpec Correction(std::string id, const Card& card, int64_t signed_amount,
                                 std::string reason = "goodwill") {
    TransferSpec spec =
        Spec(std::move(id),
             signed_amount > 0 ? TransferKind::kCorrectionCredit : TransferKind::kCorrectionDebit,
             card, signed_amount > 0 ? signed_amount : -signed_amount);
    spec.reason = std::move(reason);
    spec.actor = "operator-7";
    return spec;
  }

  // This program's points in the expired system account.
  int64_t ExpiredAccountTotal() {
    return Scalar(
        "SELECT COALESCE(sum(p.amount), 0)::bigint FROM postings p JOIN accounts a"
        "  ON a.program_id = p.program_id AND a.account_id = p.account_id"
        " WHERE p.program_id = $1 AND a.kind = 'expired'");
  }

  std::vector<CardOperation> Operations(const Card& card, OperationsQuery query = {}) {
    std::vector<CardOperation> all;
    for (;;) {
      auto page = reader_->ListOperations(program_, card.number, query);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return all;
      all.insert(all.end(), page->operations.begin(), page->operations.end());
      if (page->next_page_token.empty()) return all;
      query.page_token = page->next_page_token;
    }
  }

  std::unique_ptr<PointsReader> reader_;
};

TEST_F(PointsLifecycleTest, SweepBurnsWhatExpiredLotsHaveLeftOnce) {
  const Card card = NewCard();
  const absl::Time soon = clock_.Now() + absl::Hours(24);
  MustCommit(ExpiringAccrual("a-1", card, 100, soon));
  MustCommit(ExpiringAccrual("a-2", card, 40, soon + absl::Hours(24)));
  MustCommit(Accrual("a-3", card, 5));      // never expires
  MustCommit(Redemption("r-1", card, 30));  // from a-1, soonest expiring

  auto nothing = ledger_->SweepExpired();
  ASSERT_TRUE(nothing.ok()) << nothing.status();
  EXPECT_EQ(BalanceOf(card).active, 115);

  clock_.Advance(absl::Hours(25));
  auto sweep = ledger_->SweepExpired();
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_GE(sweep->accounts, 1);
  EXPECT_GE(sweep->points, 70);
  EXPECT_EQ(ExpiredAccountTotal(), 70);
  Balance balance = BalanceOf(card);
  EXPECT_EQ(balance.active, 45);
  EXPECT_EQ(balance.expiring_soon, 40);
  EXPECT_EQ(Scalar("SELECT sum(balance)::bigint FROM accounts WHERE program_id = $1"
                   " AND kind = 'member'"),
            45);
  EXPECT_EQ(Scalar("SELECT count(*) FROM outbox WHERE program_id = $1"
                   " AND event_type = 'loyalty.cards.v1.PointsTransferred'"
                   " AND payload::jsonb ->> 'kind' = 'TRANSFER_KIND_EXPIRATION'"),
            1);

  // A second pass at the same time finds nothing more.
  ASSERT_TRUE(ledger_->SweepExpired().ok());
  EXPECT_EQ(ExpiredAccountTotal(), 70);

  clock_.Advance(absl::Hours(24));
  ASSERT_TRUE(ledger_->SweepExpired().ok());
  EXPECT_EQ(ExpiredAccountTotal(), 110);
  EXPECT_EQ(BalanceOf(card).active, 5);

  std::vector<CardOperation> history = Operations(card);
  ASSERT_EQ(history.size(), 6u);
  EXPECT_EQ(history[0].kind, TransferKind::kExpiration);
  EXPECT_EQ(history[0].amount, -40);
  EXPECT_EQ(history[0].balance_after, 5);
  EXPECT_EQ(history[1].kind, TransferKind::kExpiration);
  EXPECT_EQ(history[1].amount, -70);
  EXPECT_EQ(history[1].balance_after, 45);
}

TEST_F(PointsLifecycleTest, SweepResolvesHoldsLeftPastTheirTime) {
  const Card card = NewCard();
  MustCommit(Accrual("a-1", card, 100));
  ASSERT_TRUE(
      ledger_
          ->HoldPoints(
              program_,
              {.hold_id = "h-1", .card_number = card.number, .amount = 60, .ttl = absl::Minutes(5)})
          .ok());
  ASSERT_TRUE(
      ledger_
          ->HoldPoints(
              program_,
              {.hold_id = "h-2", .card_number = card.number, .amount = 10, .ttl = absl::Hours(1)})
          .ok());
  clock_.Advance(absl::Minutes(6));
  auto sweep = ledger_->SweepExpired();
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_GE(sweep->holds_expired, 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM holds WHERE program_id = $1 AND state = 'EXPIRED'"
                   " AND resolved_at IS NOT NULL"),
            1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM holds WHERE program_id = $1 AND state = 'HELD'"), 1);
  EXPECT_EQ(BalanceOf(card).held, 10);

  // Resolved for good: voiding reports the lapse, posting is refused.
  auto voided = ledger_->VoidHold(program_, "h-1");
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_EQ(voided->state, HoldState::kExpired);
  auto posted = Commit({Redemption("r-1", card, 60, "h-1")});
  EXPECT_EQ(posted.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(PointsLifecycleTest, SweepSkipsAccountsBusyWithAReceiptAndTakesThemLater) {
  const Card busy = NewCard();
  const Card idle = NewCard();
  const absl::Time expire = clock_.Now() + absl::Minutes(1);
  MustCommit(ExpiringAccrual("a-busy", busy, 10, expire));
  MustCommit(ExpiringAccrual("a-idle", idle, 20, expire));
  clock_.Advance(absl::Minutes(2));

  // Another transaction holds the busy card's account as a ledger call does.
  absl::Notification locked;
  absl::Notification release;
  std::thread holder([&] {
    absl::Status status = pool_->Transact([&](pg::Tx& tx) {
      tx.exec_params(
          "SELECT 1 FROM accounts WHERE program_id = $1 AND account_id = $2::uuid"
          " FOR NO KEY UPDATE",
          program_, busy.account_id);
      locked.Notify();
      release.WaitForNotification();
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
  });
  locked.WaitForNotification();
  auto first = ledger_->SweepExpired();
  release.Notify();
  holder.join();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(ExpiredAccountTotal(), 20) << "the idle card swept, the busy one skipped";

  ASSERT_TRUE(ledger_->SweepExpired().ok());
  EXPECT_EQ(ExpiredAccountTotal(), 30);
}

TEST_F(PointsLifecycleTest, CorrectionsMoveAgainstTheAdjustmentAccountWithReasonAndActor) {
  const Card card = NewCard();
  MustCommit(Accrual("a-1", card, 50));
  TransferSpec credit = Correction("c-1", card, 25, "compensation: late delivery");
  credit.expire_time = clock_.Now() + absl::Hours(24);
  auto added = ledger_->Correct(program_, credit);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->balance.active, 75);
  EXPECT_EQ(added->balance.expiring_soon, 25);

  auto removed = ledger_->Correct(program_, Correction("c-2", card, -60, "duplicate accrual"));
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->balance.active, 15);
  EXPECT_EQ(Scalar("SELECT COALESCE(sum(p.amount), 0)::bigint FROM postings p JOIN accounts a"
                   "  ON a.program_id = p.program_id AND a.account_id = p.account_id"
                   " WHERE p.program_id = $1 AND a.kind = 'adjustment'"),
            35);

  // The same id again: one effect; other content: refused.
  auto replay = ledger_->Correct(program_, Correction("c-2", card, -60, "duplicate accrual"));
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_TRUE(replay->results[0].replayed);
  auto conflict = ledger_->Correct(program_, Correction("c-2", card, -60, "another reason"));
  EXPECT_EQ(conflict.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(conflict.status()), "transfer_id");

  std::vector<CardOperation> history = Operations(card);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].kind, TransferKind::kCorrectionDebit);
  EXPECT_EQ(history[0].amount, -60);
  EXPECT_EQ(history[0].reason, "duplicate accrual");
  EXPECT_EQ(history[0].actor, "operator-7");
  EXPECT_EQ(history[1].reason, "compensation: late delivery");
}

TEST_F(PointsLifecycleTest, DebitBeyondWhatTheCardHasChangesNothing) {
  const Card card = NewCard();
  MustCommit(Accrual("a-1", card, 50));
  ASSERT_TRUE(
      ledger_->HoldPoints(program_, {.hold_id = "h-1", .card_number = card.number, .amount = 30})
          .ok());
  const std::vector<int64_t> before = Footprint();
  auto refused = ledger_->Correct(program_, Correction("c-1", card, -21));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(refused.status()), "amount");
  EXPECT_EQ(Footprint(), before);

  auto no_reason = ledger_->Correct(program_, Correction("c-2", card, 10, ""));
  EXPECT_EQ(ViolatedField(no_reason.status()), "reason");
  auto not_a_correction = ledger_->Correct(program_, Accrual("c-3", card, 10));
  EXPECT_EQ(ViolatedField(not_a_correction.status()), "kind");
  EXPECT_EQ(Footprint(), before);

  // What the hold leaves can go; the held points stay for the receipt.
  ASSERT_TRUE(ledger_->Correct(program_, Correction("c-4", card, -20)).ok());
  EXPECT_TRUE(Commit({Redemption("r-1", card, 30, "h-1")}).ok());
}

TEST_F(PointsLifecycleTest, CorrectionsReachBlockedCards) {
  const Card card = NewCard();
  auto blocked =
      cards_->SetStatus(program_, card.number, CardStatus::kBlocked, "fraud check", "operator-7");
  ASSERT_TRUE(blocked.ok()) << blocked.status();
  EXPECT_EQ(Commit({Accrual("a-1", card, 10)}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(ledger_->Correct(program_, Correction("c-1", card, 10)).ok());
}

TEST_F(PointsLifecycleTest, HistoryPagesCarryRunningBalancesAndRespectThePeriod) {
  const Card card = NewCard();
  const absl::Time start = clock_.Now();
  for (int i = 1; i <= 7; ++i) {
    MustCommit(Accrual(absl::StrCat("a-", i), card, 10 * i));
    clock_.Advance(absl::Hours(1));
  }
  MustCommit(Redemption("r-1", card, 25));
  const Card other = NewCard();
  MustCommit(Accrual("o-1", other, 1000));

  std::vector<CardOperation> all = Operations(card, {.page_size = 3});
  ASSERT_EQ(all.size(), 8u);
  EXPECT_EQ(all[0].transfer_id, "r-1");
  EXPECT_EQ(all[0].amount, -25);
  EXPECT_EQ(all[0].balance_after, 255);
  int64_t expected_after = 255;
  for (const CardOperation& operation : all) {
    EXPECT_EQ(operation.balance_after, expected_after) << operation.transfer_id;
    expected_after -= operation.amount;
  }
  EXPECT_EQ(expected_after, 0);

  // [start + 2h, start + 5h): the accruals a-3, a-4, a-5.
  std::vector<CardOperation> period =
      Operations(card, {.start_time = start + absl::Hours(2), .end_time = start + absl::Hours(5)});
  ASSERT_EQ(period.size(), 3u);
  EXPECT_EQ(period[0].transfer_id, "a-5");
  EXPECT_EQ(period[0].balance_after, 150);
  EXPECT_EQ(period[2].transfer_id, "a-3");
  EXPECT_EQ(period[2].balance_after, 60);

  EXPECT_EQ(
      ViolatedField(reader_
                        ->ListOperations(program_, card.number,
                                         {.start_time = start + absl::Hours(2), .end_time = start})
                        .status()),
      "end_time");
  EXPECT_EQ(ViolatedField(
                reader_->ListOperations(program_, card.number, {.page_token = "bogus"}).status()),
            "page_token");
  auto foreign = reader_->ListOperations(NewUuid(), card.number, {});
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(foreign.status()), "card_number");
}

TEST_F(PointsLifecycleTest, ExpiringPointsListsCardsWithinTheWindow) {
  const Card soon = NewCard();
  const Card later = NewCard();
  const Card never = NewCard();
  const Card deleted = NewCard();
  const absl::Time now = clock_.Now();
  MustCommit(ExpiringAccrual("s-1", soon, 10, now + absl::Hours(24 * 3)));
  MustCommit(ExpiringAccrual("s-2", soon, 5, now + absl::Hours(24 * 6)));
  MustCommit(ExpiringAccrual("l-1", later, 7, now + absl::Hours(24 * 40)));
  MustCommit(Accrual("n-1", never, 9));
  MustCommit(ExpiringAccrual("d-1", deleted, 3, now + absl::Hours(24)));
  ASSERT_TRUE(
      cards_->SetStatus(program_, deleted.number, CardStatus::kDeleted, "closed", "op").ok());
  MustCommit(Redemption("r-1", soon, 12));  // takes 10 from s-1 and 2 from s-2

  auto week = reader_->ListExpiring(program_, absl::Hours(24 * 7), 50, "");
  ASSERT_TRUE(week.ok()) << week.status();
  ASSERT_EQ(week->cards.size(), 1u);
  EXPECT_EQ(week->cards[0].card_number, soon.number);
  EXPECT_EQ(week->cards[0].client_id, soon.client_id);
  EXPECT_EQ(week->cards[0].amount, 3);
  EXPECT_EQ(week->cards[0].first_expire_time, now + absl::Hours(24 * 6));

  auto first = reader_->ListExpiring(program_, absl::Hours(24 * 60), 1, "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->cards.size(), 1u);
  ASSERT_FALSE(first->next_page_token.empty());
  auto second = reader_->ListExpiring(program_, absl::Hours(24 * 60), 1, first->next_page_token);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->cards.size(), 1u);
  EXPECT_TRUE(second->next_page_token.empty());
  std::set<std::string> listed = {first->cards[0].card_number, second->cards[0].card_number};
  EXPECT_EQ(listed, (std::set<std::string>{soon.number, later.number}));

  auto other_program = reader_->ListExpiring(NewUuid(), absl::Hours(24 * 60), 50, "");
  ASSERT_TRUE(other_program.ok());
  EXPECT_THAT(other_program->cards, IsEmpty());
}

TEST_F(PointsLifecycleTest, MergeMovesUnexpiredLotsKeepingTheirTimesAndClosesTheSource) {
  const Card old_card = NewCard();
  const Card new_card = NewCard();
  const absl::Time now = clock_.Now();
  MustCommit(ExpiringAccrual("o-1", old_card, 100, now + absl::Hours(24 * 10)));
  TransferSpec pending = Accrual("o-2", old_card, 30);
  pending.activate_time = now + absl::Hours(24);
  MustCommit(pending);
  MustCommit(ExpiringAccrual("o-3", old_card, 8, now + absl::Minutes(1)));  // will have expired
  MustCommit(Redemption("o-r", old_card, 40));  // from o-3 (8) and o-1 (32)
  MustCommit(Accrual("n-1", new_card, 5));
  clock_.Advance(absl::Minutes(2));

  auto merged = ledger_->MergeCards(program_, old_card.number, new_card.number,
                                    "replaced by a new card", "operator-7");
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->points, 98);  // 68 of o-1 and 30 pending of o-2
  EXPECT_EQ(merged->lots, 2);
  EXPECT_FALSE(merged->replayed);
  Balance balance = BalanceOf(new_card);
  EXPECT_EQ(balance.active, 73);
  EXPECT_EQ(balance.pending, 30);
  EXPECT_EQ(balance.expiring_soon, 68);
  EXPECT_EQ(balance.next_expire_time, now + absl::Hours(24 * 10));
  EXPECT_EQ(BalanceOf(old_card).active, 0);

  auto closed = cards_->Get(program_, old_card.number);
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->status, CardStatus::kDeleted);
  EXPECT_EQ(closed->status_reason, "replaced by a new card");

  std::vector<CardOperation> history = Operations(new_card);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].kind, TransferKind::kMerge);
  EXPECT_EQ(history[0].actor, "operator-7");

  // The same merge again: the first result; anything else on the closed card is refused.
  auto again = ledger_->MergeCards(program_, old_card.number, new_card.number, "again", "op");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->points, 98);
  EXPECT_EQ(BalanceOf(new_card).active, 73);
  const Card third = NewCard();
  EXPECT_EQ(ViolatedField(
                ledger_->MergeCards(program_, old_card.number, third.number, "x", "op").status()),
            "source_number");
  EXPECT_EQ(ViolatedField(
                ledger_->MergeCards(program_, third.number, old_card.number, "x", "op").status()),
            "target_number");

  // The expired lot stays behind for the sweep.
  ASSERT_TRUE(ledger_->SweepExpired().ok());
  EXPECT_EQ(ExpiredAccountTotal(), 0) << "o-3 was spent before it expired";
}

TEST_F(PointsLifecycleTest, MergeWaitsForOpenHoldsAndChecksItsInput) {
  const Card source = NewCard();
  const Card target = NewCard();
  MustCommit(Accrual("a-1", source, 50));
  ASSERT_TRUE(
      ledger_->HoldPoints(program_, {.hold_id = "h-1", .card_number = source.number, .amount = 5})
          .ok());
  const std::vector<int64_t> before = Footprint();
  auto busy = ledger_->MergeCards(program_, source.number, target.number, "dup", "op");
  EXPECT_EQ(busy.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(busy.status()), "source_number");
  EXPECT_EQ(ViolatedField(
                ledger_->MergeCards(program_, source.number, source.number, "x", "op").status()),
            "target_number");
  EXPECT_EQ(
      ViolatedField(ledger_->MergeCards(program_, source.number, target.number, "", "op").status()),
      "reason");
  EXPECT_EQ(ledger_->MergeCards(NewUuid(), source.number, target.number, "x", "op").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Footprint(), before);

  ASSERT_TRUE(ledger_->VoidHold(program_, "h-1").ok());
  auto merged = ledger_->MergeCards(program_, source.number, target.number, "dup", "op");
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(BalanceOf(target).active, 50);
}

}  // namespace
}  // namespace loyalty::cards
