// Card lifecycle against real PostgreSQL: statuses with reasons, batches of
// unowned cards, binding, co-holders and listing.

#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/cards/testing/pg_fixture.h"

namespace loyalty::cards {
namespace {

using testing::CardsPgTest;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class CardLifecycleTest : public CardsPgTest {
 protected:
  std::vector<Card> ListAll(CardFilter filter, int page_size = 2) {
    std::vector<Card> all;
    std::string token;
    do {
      auto page = cards_->List(program_, filter, page_size, token);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      all.insert(all.end(), page->cards.begin(), page->cards.end());
      token = page->next_page_token;
    } while (!token.empty());
    return all;
  }

  int64_t CardRows() { return Scalar("SELECT count(*) FROM cards WHERE program_id = $1"); }
};

TEST_F(CardLifecycleTest, StatusChangesKeepReasonActorAndHistory) {
  const Card card = NewCard();
  MustCommit(Accrual("a-1", card, 10));
  auto blocked =
      cards_->SetStatus(program_, card.number, CardStatus::kBlocked, "suspected fraud", "key-1");
  ASSERT_TRUE(blocked.ok()) << blocked.status();
  EXPECT_EQ(blocked->status, CardStatus::kBlocked);
  EXPECT_EQ(blocked->status_reason, "suspected fraud");
  EXPECT_EQ(blocked->status_change_time, clock_.Now());
  EXPECT_EQ(blocked->balance.active, 10);
  EXPECT_EQ(Commit({Accrual("a-2", card, 10)}).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // The same status again changes nothing and records nothing.
  ASSERT_TRUE(
      cards_->SetStatus(program_, card.number, CardStatus::kBlocked, "again", "key-2").ok());
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(
      cards_->SetStatus(program_, card.number, CardStatus::kLost, "reported lost", "op-3").ok());
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(cards_->SetStatus(program_, card.number, CardStatus::kActive, "found", "op-3").ok());
  EXPECT_TRUE(Commit({Accrual("a-2", card, 10)}).ok());

  auto first = cards_->ListStatusChanges(program_, card.number, 2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->changes.size(), 2u);
  EXPECT_EQ(first->changes[0].from, CardStatus::kLost);
  EXPECT_EQ(first->changes[0].to, CardStatus::kActive);
  EXPECT_EQ(first->changes[0].reason, "found");
  EXPECT_EQ(first->changes[0].actor, "op-3");
  ASSERT_FALSE(first->next_page_token.empty());
  auto second = cards_->ListStatusChanges(program_, card.number, 2, first->next_page_token);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->changes.size(), 1u);
  EXPECT_EQ(second->changes[0].from, CardStatus::kActive);
  EXPECT_EQ(second->changes[0].to, CardStatus::kBlocked);
  EXPECT_EQ(second->changes[0].actor, "key-1");
  EXPECT_TRUE(second->next_page_token.empty());

  EXPECT_EQ(Scalar("SELECT count(*) FROM outbox WHERE program_id = $1"
                   " AND event_type = 'loyalty.cards.v1.CardStatusChanged'"),
            3);
}

TEST_F(CardLifecycleTest, DeletedIsFinalAndWaitsForOpenHolds) {
  const Card card = NewCard();
  MustCommit(Accrual("a-1", card, 10));
  ASSERT_TRUE(
      ledger_->HoldPoints(program_, {.hold_id = "h-1", .card_number = card.number, .amount = 5})
          .ok());
  auto refused = cards_->SetStatus(program_, card.number, CardStatus::kDeleted, "closed", "op");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(refused.status()), "status");
  ASSERT_TRUE(ledger_->VoidHold(program_, "h-1").ok());
  ASSERT_TRUE(cards_->SetStatus(program_, card.number, CardStatus::kDeleted, "closed", "op").ok());

  auto revived = cards_->SetStatus(program_, card.number, CardStatus::kActive, "oops", "op");
  EXPECT_EQ(ViolatedField(revived.status()), "status");
  EXPECT_EQ(ViolatedField(
                cards_->SetStatus(program_, card.number, CardStatus::kBlocked, "", "op").status()),
            "reason");
  auto foreign = cards_->SetStatus(NewUuid(), card.number, CardStatus::kBlocked, "x", "op");
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(foreign.status()), "number");
}

TEST_F(CardLifecycleTest, RangeBatchIssuesUnownedCardsOnceAndRefusesOverlaps) {
  CardBatchInput input{
      .request_id = "batch-1",
      .count = 5,
      .range = CardNumberRange{.first_number = "299000000001", .append_ean13_check_digit = true},
      .issue_form = IssueForm::kPlastic};
  ASSERT_TRUE(NormalizeCardBatch(input).ok());
  auto batch = cards_->IssueBatch(program_, input);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->numbers.size(), 5u);
  EXPECT_EQ(batch->numbers, RangeNumbers(*input.range, 5));
  for (const std::string& number : batch->numbers) EXPECT_TRUE(IsValidEan13(number)) << number;

  auto card = cards_->Get(program_, batch->numbers[2]);
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_EQ(card->client_id, "");
  EXPECT_EQ(card->batch_id, "batch-1");
  EXPECT_EQ(card->issue_form, IssueForm::kPlastic);
  EXPECT_EQ(card->status, CardStatus::kActive);

  // Anonymous cards collect points before anyone registers them.
  MustCommit(Accrual("a-1", *card, 10));

  auto again = cards_->IssueBatch(program_, input);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->numbers, batch->numbers);
  EXPECT_EQ(CardRows(), 5);

  CardBatchInput other = input;
  other.count = 6;
  EXPECT_EQ(ViolatedField(cards_->IssueBatch(program_, other).status()), "request_id");

  // 299000000005 is taken: the overlapping batch creates nothing at all.
  const std::vector<int64_t> before = Footprint();
  CardBatchInput overlapping{
      .request_id = "batch-2",
      .count = 3,
      .range = CardNumberRange{.first_number = "299000000004", .append_ean13_check_digit = true}};
  auto refused = cards_->IssueBatch(program_, overlapping);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(refused.status()), "number_range.first_number");
  EXPECT_EQ(CardRows(), 5);
  EXPECT_EQ(Footprint(), before);
  EXPECT_EQ(Scalar("SELECT count(*) FROM outbox WHERE program_id = $1"
                   " AND event_type = 'loyalty.cards.v1.CardBatchIssued'"),
            1);
}

TEST_F(CardLifecycleTest, GeneratedBatchRedrawsTakenNumbers) {
  const Card existing = NewCard();
  numbers_.Queue(existing.number);  // the first draw collides
  CardBatchInput input{.request_id = "batch-g", .count = 50};
  auto batch = cards_->IssueBatch(program_, input);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->numbers.size(), 50u);
  std::set<std::string> distinct(batch->numbers.begin(), batch->numbers.end());
  EXPECT_EQ(distinct.size(), 50u);
  EXPECT_FALSE(distinct.contains(existing.number));
  EXPECT_EQ(CardRows(), 51);
  EXPECT_EQ(Scalar("SELECT count(*) FROM accounts WHERE program_id = $1 AND kind = 'member'"), 51);
  EXPECT_THAT(ListAll({.batch_id = "batch-g"}, 20), ::testing::SizeIs(50));
}

TEST_F(CardLifecycleTest, BindingGivesAnUnownedCardItsOwnerOnce) {
  auto batch = cards_->IssueBatch(program_, {.request_id = "b", .count = 1});
  ASSERT_TRUE(batch.ok()) << batch.status();
  const std::string number = batch->numbers[0];
  const std::string owner = NewUuid();
  auto bound = cards_->Bind(program_, number, owner);
  ASSERT_TRUE(bound.ok()) << bound.status();
  EXPECT_EQ(bound->client_id, owner);
  EXPECT_TRUE(cards_->Bind(program_, number, owner).ok()) << "the same owner again is a no-op";
  auto stolen = cards_->Bind(program_, number, NewUuid());
  EXPECT_EQ(stolen.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(stolen.status()), "client_id");
  EXPECT_EQ(Scalar("SELECT count(*) FROM outbox WHERE program_id = $1"
                   " AND event_type = 'loyalty.cards.v1.CardHoldersChanged'"),
            1);
}

TEST_F(CardLifecycleTest, CoHoldersShareACardAndFindItByClient) {
  const Card family = NewCard();
  const Card own = NewCard();
  const std::string spouse = NewUuid();
  auto shared = cards_->AddHolder(program_, family.number, spouse);
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_THAT(shared->holder_client_ids, ElementsAre(spouse));
  ASSERT_TRUE(cards_->AddHolder(program_, family.number, spouse).ok());            // idempotent
  ASSERT_TRUE(cards_->AddHolder(program_, family.number, family.client_id).ok());  // owner: no-op
  auto got = cards_->Get(program_, family.number);
  ASSERT_TRUE(got.ok());
  EXPECT_THAT(got->holder_client_ids, ElementsAre(spouse));

  // The spouse also owns a card of their own later: both are theirs.
  auto batch = cards_->IssueBatch(program_, {.request_id = "b", .count = 1});
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE(cards_->Bind(program_, batch->numbers[0], spouse).ok());
  std::vector<Card> spouses = ListAll({.client_id = spouse});
  std::set<std::string> numbers;
  for (const Card& card : spouses) numbers.insert(card.number);
  EXPECT_EQ(numbers, (std::set<std::string>{family.number, batch->numbers[0]}));
  EXPECT_THAT(ListAll({.client_id = own.client_id}), ::testing::SizeIs(1));

  auto owner_removed = cards_->RemoveHolder(program_, family.number, family.client_id);
  EXPECT_EQ(ViolatedField(owner_removed.status()), "client_id");
  auto removed = cards_->RemoveHolder(program_, family.number, spouse);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(removed->holder_client_ids, IsEmpty());
  ASSERT_TRUE(cards_->RemoveHolder(program_, family.number, spouse).ok());  // idempotent
  EXPECT_EQ(Scalar("SELECT count(*) FROM outbox WHERE program_id = $1"
                   " AND event_type = 'loyalty.cards.v1.CardHoldersChanged'"),
            3)
      << "added, bound, removed; no-ops emit nothing";
}

TEST_F(CardLifecycleTest, HoldersNeedAnOwnerAndAreBounded) {
  auto batch = cards_->IssueBatch(program_, {.request_id = "b", .count = 1});
  ASSERT_TRUE(batch.ok());
  auto unowned = cards_->AddHolder(program_, batch->numbers[0], NewUuid());
  EXPECT_EQ(unowned.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(unowned.status()), "number");

  const Card card = NewCard();
  for (size_t i = 0; i < kMaxCardHolders; ++i) {
    ASSERT_TRUE(cards_->AddHolder(program_, card.number, NewUuid()).ok());
  }
  auto too_many = cards_->AddHolder(program_, card.number, NewUuid());
  EXPECT_EQ(ViolatedField(too_many.status()), "client_id");
}

TEST_F(CardLifecycleTest, ListFiltersAndPagesWithBalances) {
  const Card a = NewCard();
  const Card b = NewCard();
  const Card c = NewCard();
  MustCommit(Accrual("a-1", b, 42));
  ASSERT_TRUE(cards_->SetStatus(program_, c.number, CardStatus::kBlocked, "x", "op").ok());
  NewCard(NewUuid());  // another program's card

  std::vector<Card> all = ListAll({});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(),
                             [](const Card& x, const Card& y) { return x.number < y.number; }));
  for (const Card& card : all) {
    EXPECT_EQ(card.balance.active, card.number == b.number ? 42 : 0) << card.number;
  }
  std::vector<Card> blocked = ListAll({.status = CardStatus::kBlocked});
  ASSERT_EQ(blocked.size(), 1u);
  EXPECT_EQ(blocked[0].number, c.number);
  EXPECT_THAT(ListAll({.client_id = a.client_id}), ::testing::SizeIs(1));
  EXPECT_EQ(ViolatedField(cards_->List(program_, {}, 10, "garbage").status()), "page_token");
}

}  // namespace
}  // namespace loyalty::cards
