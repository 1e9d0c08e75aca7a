// ClientCardsStore against a real PostgreSQL: a merged client's cards move
// to the survivor (owned and shared ones, one holder row for a card both
// shared), exactly once per request id, only within the program; and a
// client's operations across its cards, newest first, page by page.

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/cards/storage/client_cards_store.h"
#include "services/cards/testing/pg_fixture.h"

namespace loyalty::cards {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class ClientCardsStoreTest : public testing::CardsPgTest {
 protected:
  void SetUp() override {
    CardsPgTest::SetUp();
    if (pool_ != nullptr) store_ = std::make_unique<ClientCardsStore>(*pool_, clock_);
  }

  Card CardOf(const std::string& client_id) {
    auto card = cards_->Issue(program_, IssueCardInput{.client_id = client_id});
    EXPECT_TRUE(card.ok()) << card.status();
    return card.ok() ? *card : Card{};
  }

  Card Reload(const Card& card) {
    auto got = cards_->Get(program_, card.number);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : Card{};
  }

  int64_t Events(const std::string& type) {
    return Scalar(absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = $1"
                               " AND event_type = 'loyalty.cards.v1.",
                               type, "'"));
  }

  // Made in SetUp, once the shared database's pool exists.
  std::unique_ptr<ClientCardsStore> store_;
  const std::string survivor_ = NewUuid();
  const std::string duplicate_ = NewUuid();
};

TEST_F(ClientCardsStoreTest, MovesOwnedAndSharedCardsOnce) {
  const Card own = CardOf(duplicate_);
  const Card survivors = CardOf(survivor_);
  const Card shared_by_both = CardOf(NewUuid());
  const Card shared_by_duplicate = CardOf(NewUuid());
  const Card owned_by_survivor_shared = survivors;
  ASSERT_TRUE(cards_->AddHolder(program_, shared_by_both.number, duplicate_).ok());
  ASSERT_TRUE(cards_->AddHolder(program_, shared_by_both.number, survivor_).ok());
  ASSERT_TRUE(cards_->AddHolder(program_, shared_by_duplicate.number, duplicate_).ok());
  ASSERT_TRUE(cards_->AddHolder(program_, owned_by_survivor_shared.number, duplicate_).ok());
  // The survivor shares the duplicate's own card: it becomes its owner only.
  ASSERT_TRUE(cards_->AddHolder(program_, own.number, survivor_).ok());
  const int64_t holder_events = Events("CardHoldersChanged");

  auto moved = store_->Reassign(program_, duplicate_, survivor_, "merge-1");
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_THAT(moved->owned_card_numbers, ElementsAre(own.number));
  std::vector<std::string> held = {shared_by_both.number, shared_by_duplicate.number,
                                   owned_by_survivor_shared.number};
  std::sort(held.begin(), held.end());
  EXPECT_EQ(moved->held_card_numbers, held);

  EXPECT_EQ(Reload(own).client_id, survivor_);
  EXPECT_THAT(Reload(own).holder_client_ids, IsEmpty());
  EXPECT_THAT(Reload(shared_by_both).holder_client_ids, ElementsAre(survivor_));
  EXPECT_THAT(Reload(shared_by_duplicate).holder_client_ids, ElementsAre(survivor_));
  EXPECT_EQ(Reload(survivors).client_id, survivor_);
  EXPECT_THAT(Reload(survivors).holder_client_ids, IsEmpty());
  EXPECT_EQ(Scalar(absl::StrCat("SELECT count(*) FROM cards WHERE program_id = $1 AND client_id = '",
                                duplicate_, "'")) +
                Scalar(absl::StrCat("SELECT count(*) FROM card_holders WHERE program_id = $1"
                                    " AND client_id = '",
                                    duplicate_, "'")),
            0);
  EXPECT_EQ(Events("CardHoldersChanged"), holder_events + 4);
  EXPECT_EQ(Events("ClientCardsReassigned"), 1);

  // A retry answers the same and changes nothing, even after the
  // duplicate got a card again.
  const Card later = CardOf(duplicate_);
  auto again = store_->Reassign(program_, duplicate_, survivor_, "merge-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->owned_card_numbers, moved->owned_card_numbers);
  EXPECT_EQ(again->held_card_numbers, moved->held_card_numbers);
  EXPECT_EQ(Reload(later).client_id, duplicate_);
  EXPECT_EQ(Events("ClientCardsReassigned"), 1);
  EXPECT_EQ(Events("CardHoldersChanged"), holder_events + 4);

  auto reused = store_->Reassign(program_, survivor_, duplicate_, "merge-1");
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(reused.status()), "request_id");
}

TEST_F(ClientCardsStoreTest, TouchesOnlyTheCallersProgram) {
  const std::string other_program = NewUuid();
  auto theirs = cards_->Issue(other_program, IssueCardInput{.client_id = duplicate_});
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  auto moved = store_->Reassign(program_, duplicate_, survivor_, "merge-2");
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_THAT(moved->owned_card_numbers, IsEmpty());
  auto still = cards_->Get(other_program, theirs->number);
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_EQ(still->client_id, duplicate_);
}

TEST_F(ClientCardsStoreTest, RefusesMovingToTheSameClient) {
  auto same = store_->Reassign(program_, duplicate_, duplicate_, "merge-3");
  EXPECT_EQ(same.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(same.status()), "to_client_id");
}

TEST_F(ClientCardsStoreTest, ListsOperationsOfAllTheClientsCardsNewestFirst) {
  const Card first = CardOf(survivor_);
  const Card second = CardOf(NewUuid());
  ASSERT_TRUE(cards_->AddHolder(program_, second.number, survivor_).ok());
  const Card strangers = CardOf(NewUuid());
  MustCommit(Accrual("a1", first, 100));
  clock_.Advance(absl::Minutes(1));
  MustCommit(Accrual("a2", second, 20));
  MustCommit(Accrual("a3", strangers, 5));
  clock_.Advance(absl::Minutes(1));
  MustCommit(Redemption("r1", first, 30));

  auto page = store_->ListOperations(program_, survivor_, OperationsQuery{.page_size = 2});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->operations.size(), 2u);
  EXPECT_EQ(page->operations[0].operation.transfer_id, "r1");
  EXPECT_EQ(page->operations[0].operation.amount, -30);
  EXPECT_EQ(page->operations[0].card_number, first.number);
  EXPECT_EQ(page->operations[1].operation.transfer_id, "a2");
  EXPECT_EQ(page->operations[1].card_number, second.number);
  ASSERT_FALSE(page->next_page_token.empty());
  auto rest = store_->ListOperations(
      program_, survivor_, OperationsQuery{.page_size = 2, .page_token = page->next_page_token});
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->operations.size(), 1u);
  EXPECT_EQ(rest->operations[0].operation.transfer_id, "a1");
  EXPECT_TRUE(rest->next_page_token.empty());

  // The period bounds are creation times: [start, end).
  auto middle = store_->ListOperations(
      program_, survivor_,
      OperationsQuery{.start_time = clock_.Now() - absl::Minutes(1),
                      .end_time = clock_.Now()});
  ASSERT_TRUE(middle.ok()) << middle.status();
  ASSERT_EQ(middle->operations.size(), 1u);
  EXPECT_EQ(middle->operations[0].operation.transfer_id, "a2");
}

}  // namespace
}  // namespace loyalty::cards
