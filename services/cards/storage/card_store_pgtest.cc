// Cards against a real PostgreSQL: the storage layer called directly.

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/cards/storage/card_store.h"
#include "services/cards/testing/pg_fixture.h"

namespace loyalty::cards {
namespace {

using testing::CardsPgTest;
using ::testing::HasSubstr;

using CardStoreTest = CardsPgTest;

TEST_F(CardStoreTest, IssueWithoutNumberDrawsAnEan13) {
  const std::string client = NewUuid();
  auto card = cards_->Issue(program_, {.client_id = client});
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_TRUE(IsValidEan13(card->number)) << card->number;
  EXPECT_EQ(card->number[0], '2');
  EXPECT_EQ(card->barcode, card->number);
  EXPECT_EQ(card->client_id, client);
  EXPECT_EQ(card->status, CardStatus::kActive);
  EXPECT_TRUE(IsUuid(card->account_id));
  EXPECT_EQ(card->create_time, clock_.Now());
  EXPECT_EQ(card->balance, Balance{});

  auto got = cards_->Get(program_, card->number);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->account_id, card->account_id);
  EXPECT_EQ(got->client_id, client);
  EXPECT_EQ(got->create_time, card->create_time);
  EXPECT_EQ(Scalar("SELECT count(*) FROM accounts WHERE program_id = $1 AND kind = 'member'"
                   " AND balance = 0"),
            1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM outbox WHERE program_id = $1"
                   " AND event_type = 'loyalty.cards.v1.CardIssued'"),
            1);
}

TEST_F(CardStoreTest, GivenNumbersAreUniquePerProgram) {
  auto card = cards_->Issue(program_, {.client_id = NewUuid(), .number = "123456789"});
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_EQ(card->number, "123456789");
  auto taken = cards_->Issue(program_, {.client_id = NewUuid(), .number = "123456789"});
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(taken.status()), "number");
  EXPECT_EQ(Scalar("SELECT count(*) FROM accounts WHERE program_id = $1"), 1);

  // Another program may use the same number, and cannot see this one's card.
  const std::string other = absl::StrCat(program_, "-other");
  auto theirs = cards_->Issue(other, {.client_id = NewUuid(), .number = "123456789"});
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_NE(theirs->account_id, card->account_id);
  auto mine = cards_->Get(program_, "123456789");
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->client_id, card->client_id);
  EXPECT_EQ(cards_->Get(absl::StrCat(program_, "-third"), "123456789").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(cards_->Get(program_, "").status()), "number");
}

TEST_F(CardStoreTest, TakenDrawnNumbersAreRedrawn) {
  Card first = NewCard();
  numbers_.Queue(first.number);  // collides
  numbers_.Queue("2000000000008");
  auto card = cards_->Issue(program_, {.client_id = NewUuid()});
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_EQ(card->number, "2000000000008");
  EXPECT_EQ(Scalar("SELECT count(*) FROM accounts WHERE program_id = $1"), 2);

  for (int i = 0; i < CardStore::kMaxNumberAttempts; ++i) numbers_.Queue(first.number);
  auto stuck = cards_->Issue(program_, {.client_id = NewUuid()});
  EXPECT_EQ(stuck.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(Scalar("SELECT count(*) FROM accounts WHERE program_id = $1"), 2);
}

TEST_F(CardStoreTest, RequestIdMakesIssueIdempotent) {
  const IssueCardInput input{.client_id = NewUuid(), .request_id = "req-1"};
  auto first = cards_->Issue(program_, input);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = cards_->Issue(program_, input);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->number, first->number);
  EXPECT_EQ(second->account_id, first->account_id);
  auto found = cards_->FindIssued(program_, input);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->number, first->number);
  EXPECT_EQ(Scalar("SELECT count(*) FROM cards WHERE program_id = $1"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM accounts WHERE program_id = $1"), 1);

  // The same key for a different card is a conflict.
  auto conflict = cards_->Issue(program_, {.client_id = NewUuid(), .request_id = "req-1"});
  EXPECT_EQ(conflict.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(conflict.status()), "request_id");
  EXPECT_EQ(
      cards_
          ->FindIssued(program_,
                       {.client_id = input.client_id, .number = "999999", .request_id = "req-1"})
          .status()
          .code(),
      absl::StatusCode::kAlreadyExists);
  // Keys are per program.
  auto elsewhere = cards_->FindIssued(absl::StrCat(program_, "-other"), input);
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_FALSE(elsewhere->has_value());
}

TEST_F(CardStoreTest, ConcurrentIssuesWithOneRequestIdMakeOneCard) {
  const IssueCardInput input{.client_id = NewUuid(), .request_id = "req-race"};
  constexpr int kThreads = 8;
  std::vector<std::string> numbers(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto card = cards_->Issue(program_, input);
      EXPECT_TRUE(card.ok()) << card.status();
      if (card.ok()) numbers[i] = card->number;
    });
  }
  for (auto& thread : threads) thread.join();
  for (const std::string& number : numbers) EXPECT_EQ(number, numbers[0]);
  EXPECT_EQ(Scalar("SELECT count(*) FROM cards WHERE program_id = $1"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM accounts WHERE program_id = $1"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM outbox WHERE program_id = $1"), 1);
}

TEST_F(CardStoreTest, CardIssuedEventDescribesTheCard) {
  Card card = NewCard();
  std::string payload;
  ASSERT_TRUE(pool_
                  ->Transact([&](pg::Tx& tx) {
                    payload = tx.exec_params1("SELECT payload FROM outbox WHERE program_id = $1",
                                              program_)[0]
                                  .as<std::string>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_THAT(payload, HasSubstr(absl::StrCat("\"card_number\":\"", card.number, "\"")));
  EXPECT_THAT(payload, HasSubstr(card.client_id));
  EXPECT_THAT(payload, HasSubstr(card.account_id));
  EXPECT_THAT(payload, HasSubstr("CARD_STATUS_ACTIVE"));
}

}  // namespace
}  // namespace loyalty::cards
