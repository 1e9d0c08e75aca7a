#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/cards/storage/master_account_store.h"
#include "services/cards/testing/pg_fixture.h"

namespace loyalty::cards::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class MasterAccountStoreTest : public CardsPgTest {
 protected:
  void SetUp() override {
    CardsPgTest::SetUp();
    masters_ = std::make_unique<MasterAccountStore>(*pool_, clock_);
  }

  MasterAccountView MustCreate(const std::vector<Card>& cards,
                               LeaveRule rule = LeaveRule::kProportional,
                               const std::string& request_id = NewUuid()) {
    std::vector<std::string> numbers;
    for (const Card& card : cards) numbers.push_back(card.number);
    auto view = masters_->Create(program_, numbers, rule, request_id, "op-1");
    EXPECT_TRUE(view.ok()) << view.status();
    return view.ok() ? *view : MasterAccountView{};
  }

  LeaveResult MustLeave(const MasterAccountView& master, const Card& card, LeaveRule rule) {
    auto left = masters_->RemoveMember(program_, master.master_account_id, card.number, rule,
                                       NewUuid(), "op-1");
    EXPECT_TRUE(left.ok()) << left.status();
    return left.ok() ? *left : LeaveResult{};
  }

  TransferSpec AccrualExpiring(std::string id, const Card& card, int64_t amount,
                               absl::Duration expires_in) {
    TransferSpec spec = Accrual(std::move(id), card, amount);
    spec.expire_time = clock_.Now() + expires_in;
    return spec;
  }

  const MasterMemberView* Member(const MasterAccountView& view, const Card& card) {
    for (const MasterMemberView& member : view.members) {
      if (member.card_number == card.number) return &member;
    }
    ADD_FAILURE() << card.number << " is not a member";
    return nullptr;
  }

  // Balance of the account a card had before `master` took it in.
  int64_t OwnAccountBalance(const Card& card) {
    return Scalar(absl::StrCat(
        "SELECT a.balance FROM accounts a WHERE a.program_id = $1 AND a.account_id = '",
        card.account_id, "'"));
  }

  // Member accounts no card points at that still hold points: points lost.
  int64_t StrandedPoints() {
    return Scalar(
        "SELECT COALESCE(sum(a.balance), 0)::bigint FROM accounts a"
        " WHERE a.program_id = $1 AND a.kind = 'member' AND NOT EXISTS ("
        "   SELECT 1 FROM cards c WHERE c.program_id = a.program_id"
        "    AND c.account_id = a.account_id)");
  }

  std::unique_ptr<MasterAccountStore> masters_;
};

TEST_F(MasterAccountStoreTest, CreateMovesUnexpiredLotsKeepingTheirTimes) {
  const Card a = NewCard();
  const Card b = NewCard();
  MustCommit(AccrualExpiring("a-1", a, 100, absl::Hours(24 * 10)));
  TransferSpec pending = Accrual("b-1", b, 50);
  pending.activate_time = clock_.Now() + absl::Hours(2);
  MustCommit(pending);
  MustCommit(AccrualExpiring("b-2", b, 7, absl::Hours(1)));
  clock_.Advance(absl::Hours(1));  // b-2 expires, unswept

  const MasterAccountView master = MustCreate({a, b});
  EXPECT_FALSE(master.dissolved);
  EXPECT_EQ(master.balance.active, 100);
  EXPECT_EQ(master.balance.pending, 50);
  // Both cards see the one shared balance; their own accounts are empty.
  EXPECT_EQ(BalanceOf(a).active, 100);
  EXPECT_EQ(BalanceOf(b).pending, 50);
  EXPECT_EQ(OwnAccountBalance(a), 0);
  EXPECT_EQ(OwnAccountBalance(b), 0);
  // Lots keep activation and expiry; the expired one was expired on the way.
  EXPECT_EQ(Scalar(absl::StrCat(
                "SELECT count(*) FROM lots m JOIN lots o ON o.program_id = m.program_id"
                "  AND o.transfer_id IN ('a-1', 'b-1') AND o.amount = m.amount"
                "  AND o.activate_at = m.activate_at"
                "  AND o.expire_at IS NOT DISTINCT FROM m.expire_at"
                " WHERE m.program_id = $1 AND m.origin_kind = 'POOL_JOIN' AND m.account_id = '",
                master.master_account_id, "'")),
            2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM transfers WHERE program_id = $1 AND kind = 'EXPIRATION'"
                   " AND amount = 7"),
            1);
  EXPECT_EQ(Member(master, a)->contribution, 100);
  EXPECT_EQ(Member(master, b)->contribution, 50);
  EXPECT_EQ(Member(master, a)->share_bp, 6666);
  EXPECT_EQ(Member(master, b)->share_bp, 3333);
  EXPECT_EQ(master.total_contribution, 150);
  EXPECT_EQ(Scalar("SELECT count(*) FROM outbox WHERE program_id = $1"
                   " AND event_type = 'loyalty.cards.v1.MasterAccountChanged'"),
            1);
}

TEST_F(MasterAccountStoreTest, MemberCardsSpendOneBalanceAndAccrualsCountAsContribution) {
  const Card a = NewCard();
  const Card b = NewCard();
  MustCommit(Accrual("a-1", a, 100));
  const MasterAccountView master = MustCreate({a, b});
  MustCommit(Accrual("b-1", b, 40));
  EXPECT_EQ(BalanceOf(a).available, 140);
  MustCommit(Redemption("b-r", b, 120));
  EXPECT_EQ(BalanceOf(a).available, 20);
  EXPECT_EQ(BalanceOf(b).available, 20);
  // A refund of part of b's accrual lowers its contribution.
  MustCommit(Spec("b-rev", TransferKind::kAccrualReversal, b, 10));
  auto view = masters_->Get(program_, master.master_account_id);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(Member(*view, a)->contribution, 100);
  EXPECT_EQ(Member(*view, b)->contribution, 30);
  EXPECT_EQ(view->total_contribution, 130);
  EXPECT_EQ(view->balance.available, 10);
  EXPECT_EQ(Member(*view, b)->proportional_points, 2);  // 10 * 30 / 130
}

TEST_F(MasterAccountStoreTest, ProportionalLeaveSplitsALotKeepingItsExpiry) {
  const Card a = NewCard();
  const Card b = NewCard();
  MustCommit(AccrualExpiring("a-1", a, 100, absl::Hours(24 * 10)));
  MustCommit(AccrualExpiring("b-1", b, 60, absl::Hours(24 * 20)));
  const MasterAccountView master = MustCreate({a, b});
  MustCommit(Redemption("a-r", a, 90));  // from a's lot, the soonest expiring

  // 70 left; b contributed 60 of 160: 70 * 60 / 160 = 26 (26.25 rounded down).
  const LeaveResult left = MustLeave(master, b, LeaveRule::kProportional);
  EXPECT_EQ(left.points, 26);
  EXPECT_EQ(left.rule, LeaveRule::kProportional);
  EXPECT_EQ(BalanceOf(b).available, 26);
  EXPECT_EQ(BalanceOf(a).available, 44);
  EXPECT_EQ(left.master.members.size(), 1u);
  // b's lot was split: 26 left with it, 34 stayed, both expiring as before.
  const std::string expiry =
      absl::StrCat("(SELECT expire_at FROM lots WHERE program_id = $1 AND transfer_id = 'b-1')");
  EXPECT_EQ(
      Scalar(absl::StrCat("SELECT count(*) FROM lots WHERE program_id = $1 AND account_id = '",
                          left.account_id, "' AND amount = 26 AND expire_at = ", expiry)),
      1);
  EXPECT_EQ(Scalar(absl::StrCat("SELECT COALESCE(sum(remaining), 0)::bigint FROM lots"
                                " WHERE program_id = $1 AND account_id = '",
                                master.master_account_id, "' AND expire_at = ", expiry)),
            34);
  // The card's former own account stays empty; its new one is its own.
  EXPECT_EQ(OwnAccountBalance(b), 0);
  EXPECT_NE(left.account_id, b.account_id);
}

TEST_F(MasterAccountStoreTest, OwnRemainingLeaveTakesWhatIsLeftOfItsLots) {
  const Card a = NewCard();
  const Card b = NewCard();
  MustCommit(AccrualExpiring("a-1", a, 100, absl::Hours(24 * 10)));
  MustCommit(AccrualExpiring("b-1", b, 60, absl::Hours(24 * 5)));
  const MasterAccountView master = MustCreate({a, b});
  MustCommit(Redemption("a-r", a, 50));  // b's lot expires first: 10 of it left
  MustCommit(Accrual("b-2", b, 5));      // accrued while a member: b's own

  auto view = masters_->Get(program_, master.master_account_id);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(Member(*view, b)->own_remaining_points, 15);
  const LeaveResult left = MustLeave(master, b, LeaveRule::kOwnRemaining);
  EXPECT_EQ(left.points, 15);
  EXPECT_EQ(BalanceOf(b).available, 15);
  EXPECT_EQ(BalanceOf(a).available, 100);
}

TEST_F(MasterAccountStoreTest, NothingThenTheLastMemberDissolves) {
  const Card a = NewCard();
  const Card b = NewCard();
  MustCommit(Accrual("a-1", a, 100));
  MustCommit(AccrualExpiring("b-1", b, 60, absl::Hours(1)));
  const MasterAccountView master = MustCreate({a, b}, LeaveRule::kNothing);

  const LeaveResult b_left = MustLeave(master, b, LeaveRule::kUnspecified);  // the default
  EXPECT_EQ(b_left.rule, LeaveRule::kNothing);
  EXPECT_EQ(b_left.points, 0);
  EXPECT_EQ(BalanceOf(b).available, 0);
  EXPECT_EQ(BalanceOf(a).available, 160);

  clock_.Advance(absl::Hours(2));  // b's former lot expires in the master account
  const LeaveResult a_left = MustLeave(master, a, LeaveRule::kNothing);
  EXPECT_EQ(a_left.points, 100);  // the last member takes everything left
  EXPECT_TRUE(a_left.master.dissolved);
  EXPECT_THAT(a_left.master.members, IsEmpty());
  EXPECT_EQ(BalanceOf(a).available, 100);
  EXPECT_EQ(Scalar(absl::StrCat("SELECT balance FROM accounts WHERE program_id = $1"
                                " AND account_id = '",
                                master.master_account_id, "'")),
            0);
  // A dissolved master account takes no one.
  auto again = masters_->AddMember(program_, master.master_account_id, a.number, NewUuid(), "");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(again.status()), "master_account_id");
  EXPECT_EQ(StrandedPoints(), 0);
}

TEST_F(MasterAccountStoreTest, AddingBeyondTheMemberLimitIsRefused) {
  std::vector<Card> members;
  for (size_t i = 0; i < kMaxMasterAccountMembers; ++i) members.push_back(NewCard());
  const MasterAccountView master = MustCreate(members);
  const Card one_more = NewCard();
  const std::vector<int64_t> before = Footprint();
  auto added =
      masters_->AddMember(program_, master.master_account_id, one_more.number, NewUuid(), "op-1");
  EXPECT_EQ(added.status().code(), absl::StatusCode::kFailedPrecondition) << added.status();
  EXPECT_EQ(ViolatedField(added.status()), "master_account_id") << added.status();
  EXPECT_EQ(Footprint(), before);
  // A place freed by a leaver can be taken.
  MustLeave(master, members[0], LeaveRule::kNothing);
  EXPECT_TRUE(
      masters_->AddMember(program_, master.master_account_id, one_more.number, NewUuid(), "op-1")
          .ok());
}

TEST_F(MasterAccountStoreTest, RejoiningStartsANewContribution) {
  const Card a = NewCard();
  const Card b = NewCard();
  MustCommit(Accrual("a-1", a, 100));
  MustCommit(Accrual("b-1", b, 50));
  const MasterAccountView master = MustCreate({a, b});
  MustCommit(Accrual("b-2", b, 10));
  MustLeave(master, b, LeaveRule::kOwnRemaining);  // takes 60
  auto rejoined = masters_->AddMember(program_, master.master_account_id, b.number, NewUuid(), "");
  ASSERT_TRUE(rejoined.ok()) << rejoined.status();
  EXPECT_EQ(Member(*rejoined, b)->joined_points, 60);
  EXPECT_EQ(Member(*rejoined, b)->contribution, 60);  // not 60 + the first membership's
  EXPECT_EQ(rejoined->balance.available, 160);
}

TEST_F(MasterAccountStoreTest, ReplaysChangeNothingAndConflictsAreRefused) {
  const Card a = NewCard();
  const Card b = NewCard();
  const Card c = NewCard();
  MustCommit(Accrual("a-1", a, 100));
  MustCommit(Accrual("c-1", c, 30));
  const MasterAccountView master = MustCreate({a, b}, LeaveRule::kProportional, "create-1");
  auto added = masters_->AddMember(program_, master.master_account_id, c.number, "add-1", "");
  ASSERT_TRUE(added.ok()) << added.status();
  auto left = masters_->RemoveMember(program_, master.master_account_id, c.number,
                                     LeaveRule::kOwnRemaining, "leave-1", "");
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(left->points, 30);

  const std::vector<int64_t> before = Footprint();
  auto create_again =
      masters_->Create(program_, {a.number, b.number}, LeaveRule::kProportional, "create-1", "");
  ASSERT_TRUE(create_again.ok()) << create_again.status();
  EXPECT_TRUE(create_again->replayed);
  EXPECT_EQ(create_again->master_account_id, master.master_account_id);
  auto add_again = masters_->AddMember(program_, master.master_account_id, c.number, "add-1", "");
  ASSERT_TRUE(add_again.ok()) << add_again.status();
  EXPECT_TRUE(add_again->replayed);
  auto leave_again = masters_->RemoveMember(program_, master.master_account_id, c.number,
                                            LeaveRule::kOwnRemaining, "leave-1", "");
  ASSERT_TRUE(leave_again.ok()) << leave_again.status();
  EXPECT_TRUE(leave_again->replayed);
  EXPECT_EQ(leave_again->points, 30);
  EXPECT_EQ(leave_again->account_id, left->account_id);
  EXPECT_EQ(Footprint(), before);

  auto conflict = masters_->Create(program_, {a.number}, LeaveRule::kProportional, "create-1", "");
  EXPECT_EQ(conflict.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(conflict.status()), "request_id");
  auto leave_conflict = masters_->RemoveMember(program_, master.master_account_id, c.number,
                                               LeaveRule::kNothing, "leave-1", "");
  EXPECT_EQ(leave_conflict.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Footprint(), before);
}

TEST_F(MasterAccountStoreTest, RefusalsChangeNothing) {
  const Card a = NewCard();
  const Card b = NewCard();
  const Card held = NewCard();
  const Card blocked = NewCard();
  const Card free = NewCard();
  MustCommit(Accrual("a-1", a, 100));
  MustCommit(Accrual("h-1", held, 100));
  const MasterAccountView master = MustCreate({a, b});
  ASSERT_TRUE(
      ledger_->HoldPoints(program_, {.hold_id = "h", .card_number = held.number, .amount = 10})
          .ok());
  ASSERT_TRUE(
      cards_->SetStatus(program_, blocked.number, CardStatus::kBlocked, "stolen", "op").ok());
  const Card stranger = NewCard(NewUuid());  // another program's card

  const std::vector<int64_t> before = Footprint();
  auto expect = [&](absl::StatusOr<MasterAccountView> result, absl::StatusCode code,
                    absl::string_view field) {
    EXPECT_EQ(result.status().code(), code) << result.status();
    EXPECT_EQ(ViolatedField(result.status()), field) << result.status();
  };
  const std::string& id = master.master_account_id;
  expect(masters_->AddMember(program_, id, held.number, NewUuid(), ""),
         absl::StatusCode::kFailedPrecondition, "card_number");
  expect(masters_->AddMember(program_, id, blocked.number, NewUuid(), ""),
         absl::StatusCode::kFailedPrecondition, "card_number");
  expect(masters_->AddMember(program_, id, b.number, NewUuid(), ""),
         absl::StatusCode::kFailedPrecondition, "card_number");
  expect(masters_->AddMember(program_, id, stranger.number, NewUuid(), ""),
         absl::StatusCode::kNotFound, "card_number");
  expect(masters_->AddMember(program_, NewUuid(), free.number, NewUuid(), ""),
         absl::StatusCode::kNotFound, "master_account_id");
  expect(masters_->Get(NewUuid(), id), absl::StatusCode::kNotFound, "master_account_id");
  expect(masters_->Create(program_, {free.number, a.number}, LeaveRule::kNothing, NewUuid(), ""),
         absl::StatusCode::kFailedPrecondition, "card_numbers[1]");
  expect(masters_->Create(program_, {free.number, free.number}, LeaveRule::kNothing, NewUuid(), ""),
         absl::StatusCode::kInvalidArgument, "card_numbers[1]");
  expect(masters_->Create(program_, {}, LeaveRule::kNothing, NewUuid(), ""),
         absl::StatusCode::kInvalidArgument, "card_numbers");
  expect(masters_->Create(program_, {free.number}, LeaveRule::kNothing, "", ""),
         absl::StatusCode::kInvalidArgument, "request_id");
  auto not_member =
      masters_->RemoveMember(program_, id, free.number, LeaveRule::kNothing, NewUuid(), "");
  EXPECT_EQ(not_member.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(not_member.status()), "card_number");
  // A member card is not merged away with the family's points.
  auto merged = ledger_->MergeCards(program_, a.number, free.number, "duplicate", "op");
  EXPECT_EQ(merged.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(merged.status()), "source_number");
  EXPECT_EQ(Footprint(), before);

  // Open holds on the master account block leaving, and the message says so.
  ASSERT_TRUE(
      ledger_->HoldPoints(program_, {.hold_id = "m", .card_number = b.number, .amount = 10}).ok());
  const std::vector<int64_t> held_before = Footprint();
  auto leave = masters_->RemoveMember(program_, id, a.number, LeaveRule::kNothing, NewUuid(), "");
  EXPECT_EQ(leave.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(leave.status()), "master_account_id");
  EXPECT_THAT(std::string(leave.status().message()), ::testing::HasSubstr("open holds"));
  EXPECT_EQ(Footprint(), held_before);
}

TEST_F(MasterAccountStoreTest, JoinsAndLeavesRacingReceiptsKeepTheLedgerSound) {
  const Card a = NewCard();
  const Card b = NewCard();
  const Card c = NewCard();
  const Card d = NewCard();
  for (const Card* card : {&a, &b, &c, &d}) {
    MustCommit(Accrual(absl::StrCat("seed-", card->number), *card, 1000));
  }
  const MasterAccountView master = MustCreate({a, b});
  const std::string id = master.master_account_id;
  std::atomic<int> moves_ok = 0, receipts_ok = 0;
  std::vector<std::thread> threads;
  // Two threads move c and d in and out; four ring up receipts on every card.
  for (const Card* mover : {&c, &d}) {
    threads.emplace_back([&, mover] {
      const LeaveRule rules[] = {LeaveRule::kProportional, LeaveRule::kOwnRemaining,
                                 LeaveRule::kNothing};
      for (int i = 0; i < 12; ++i) {
        auto joined = masters_->AddMember(program_, id, mover->number, NewUuid(), "");
        auto left =
            masters_->RemoveMember(program_, id, mover->number, rules[i % 3], NewUuid(), "");
        moves_ok += joined.ok() + left.ok();
      }
    });
  }
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const Card* cards[] = {&a, &b, &c, &d};
      for (int i = 0; i < 25; ++i) {
        const Card& card = *cards[(t + i) % 4];
        const std::string key = absl::StrCat(t, "-", i);
        receipts_ok += Commit({Accrual(absl::StrCat("acc-", key), card, 7)}).ok();
        receipts_ok += Commit({Redemption(absl::StrCat("red-", key), card, 5)}).ok();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_GT(moves_ok.load(), 0);
  EXPECT_GT(receipts_ok.load(), 0);
  // No point landed in an account that no card names any more.
  EXPECT_EQ(StrandedPoints(), 0);
  auto view = masters_->Get(program_, id);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_GE(view->members.size(), 2u);
  // The fixture's TearDown runs every ledger invariant.
}

}  // namespace
}  // namespace loyalty::cards::testing
