// Several requests in one ApplyTransferBatch transaction: each one sees what
// the earlier ones did, a refused one leaves no trace, and the batch writes
// what one-by-one commits would have written.

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "libs/common/status_macros.h"
#include "services/cards/storage/sql.h"
#include "services/cards/storage/transfer_batch.h"
#include "services/cards/testing/pg_fixture.h"

namespace loyalty::cards {
namespace {

using testing::CardsPgTest;

class TransferBatchTest : public CardsPgTest {
 protected:
  // One request per entry, applied in one transaction at the clock's now.
  std::vector<absl::StatusOr<CommitResult>> ApplyInOneBatch(
      const std::vector<std::vector<TransferSpec>>& requests) {
    std::vector<CommitRequest> storage;
    storage.reserve(requests.size());
    std::vector<const CommitRequest*> pointers;
    for (const auto& transfers : requests) {
      storage.push_back(CommitRequest{.transfers = transfers, .field_prefix = [](size_t i) {
                                        return absl::StrCat("transfers[", i, "].");
                                      }});
      pointers.push_back(&storage.back());
    }
    std::vector<absl::StatusOr<CommitResult>> results;
    absl::Status status = pool_->Transact([&](pg::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(results, ApplyTransferBatch(tx, program_, sql::Truncate(clock_.Now()),
                                                   pointers, system_accounts_));
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    return results;
  }

  SystemAccountCache system_accounts_;
};

TEST_F(TransferBatchTest, LaterRequestsSpendWhatEarlierOnesAccrued) {
  const Card card = NewCard();
  auto results = ApplyInOneBatch({{Accrual("a1", card, 100)},
                                  {Redemption("r1", card, 60)},
                                  {Accrual("a2", card, 5), Redemption("r2", card, 45)}});
  ASSERT_EQ(results.size(), 3u);
  for (const auto& result : results) ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(results[0]->balance.available, 100);
  EXPECT_EQ(results[1]->balance.available, 40);
  EXPECT_EQ(results[2]->balance.available, 0);
  EXPECT_EQ(results[2]->results.at(1).amount, 45);
  EXPECT_EQ(BalanceOf(card).available, 0);
  // The lot created and spent inside the batch is stored spent.
  EXPECT_EQ(Scalar("SELECT COALESCE(sum(remaining), 0)::bigint FROM lots WHERE program_id = $1"),
            0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM lot_consumptions WHERE program_id = $1"), 3);
  EXPECT_EQ(Scalar("SELECT count(*) FROM outbox WHERE program_id = $1"
                   " AND event_type = 'loyalty.cards.v1.PointsTransferred'"),
            4);
}

TEST_F(TransferBatchTest, ARefusedRequestLeavesNoTraceAndTheOthersCommit) {
  const Card card = NewCard();
  const Card other = NewCard();
  MustCommit(Accrual("seed", card, 50));
  auto results = ApplyInOneBatch({
      {Accrual("ok-1", other, 10)},
      // The accrual would be written, but the redemption after it is refused.
      {Accrual("refused-a", card, 30), Redemption("refused-r", card, 500)},
      {Redemption("ok-2", card, 50)},
  });
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(results[1].status().ToString().find("transfers[1].amount"), std::string::npos)
      << results[1].status();
  ASSERT_TRUE(results[2].ok()) << results[2].status();
  // The third request saw the card as if the second had never been asked.
  EXPECT_EQ(results[2]->balance.available, 0);
  EXPECT_EQ(BalanceOf(card).available, 0);
  EXPECT_EQ(BalanceOf(other).available, 10);
  EXPECT_EQ(Scalar("SELECT count(*) FROM transfers WHERE program_id = $1"
                   " AND transfer_id LIKE 'refused-%'"),
            0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM transfers WHERE program_id = $1"), 3);
  EXPECT_EQ(Scalar("SELECT count(*) FROM outbox WHERE program_id = $1"
                   " AND event_type = 'loyalty.cards.v1.PointsTransferred'"),
            3);
  // The refused ids stay free: the same request with enough points works.
  auto retried = Commit({Accrual("refused-a", card, 30), Redemption("refused-r", card, 20)});
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_FALSE(retried->results[0].replayed);
}

TEST_F(TransferBatchTest, AnIdUsedTwiceInABatchHasOneEffect) {
  const Card card = NewCard();
  auto results = ApplyInOneBatch(
      {{Accrual("same", card, 10)}, {Accrual("same", card, 10)}, {Accrual("same", card, 11)}});
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0].ok());
  EXPECT_FALSE(results[0]->results[0].replayed);
  ASSERT_TRUE(results[1].ok());
  EXPECT_TRUE(results[1]->results[0].replayed);
  EXPECT_EQ(results[2].status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(BalanceOf(card).available, 10);
}

TEST_F(TransferBatchTest, AHoldIsPostedOncePerBatch) {
  const Card card = NewCard();
  MustCommit(Accrual("seed", card, 100));
  ASSERT_TRUE(
      ledger_
          ->HoldPoints(program_,
                       HoldRequest{.hold_id = "h", .card_number = card.number, .amount = 40})
          .ok());
  auto results = ApplyInOneBatch(
      {{Redemption("post-1", card, 40, "h")}, {Redemption("post-2", card, 40, "h")}});
  ASSERT_EQ(results.size(), 2u);
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_EQ(results[0]->balance.held, 0);
  EXPECT_EQ(results[0]->balance.available, 60);
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Scalar("SELECT count(*) FROM holds WHERE program_id = $1 AND state = 'POSTED'"), 1);
  EXPECT_EQ(BalanceOf(card).available, 60);
}

TEST_F(TransferBatchTest, UnknownCardsAreRefusedPerRequest) {
  const Card card = NewCard();
  Card missing;
  missing.number = "0000000000000";
  auto results = ApplyInOneBatch(
      {{Accrual("x1", card, 5), Accrual("x2", missing, 5)}, {Accrual("x3", card, 7)}});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(results[0].status().ToString().find("transfers[1].card_number"), std::string::npos);
  ASSERT_TRUE(results[1].ok());
  EXPECT_EQ(BalanceOf(card).available, 7);
}

}  // namespace
}  // namespace loyalty::cards
