// Many callers on few cards at once, with duplicate and conflicting ids,
// then the ledger's invariants checked in SQL.

#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "services/cards/testing/pg_fixture.h"

namespace loyalty::cards {
namespace {

using testing::CardsPgTest;

class LedgerConcurrencyTest : public CardsPgTest {
 protected:
  // What the callers saw, for comparison with what the database kept.
  struct Observed {
    std::mutex mutex;
    std::map<std::string, std::set<int64_t>> amounts;  // per transfer id
    int64_t first_applications = 0;                    // results not replayed
    int64_t replays = 0;
    std::map<absl::StatusCode, int> codes;
    std::vector<std::string> unexpected;
  };

  void Record(const absl::StatusOr<CommitResult>& result, Observed& observed) {
    std::lock_guard lock(observed.mutex);
    observed.codes[result.status().code()]++;
    if (!result.ok()) {
      RecordRefusal(result.status(), observed);
      return;
    }
    for (const TransferResult& transfer : result->results) {
      observed.amounts[transfer.transfer_id].insert(transfer.amount);
      if (transfer.replayed) {
        ++observed.replays;
      } else {
        ++observed.first_applications;
      }
    }
  }

  // Refusals the ledger may give under this load; anything else (ABORTED
  // after exhausted retries, INTERNAL, ...) is a bug.
  static void RecordRefusal(const absl::Status& status, Observed& observed) {
    switch (status.code()) {
      case absl::StatusCode::kFailedPrecondition:  // points, hold state
      case absl::StatusCode::kAlreadyExists:       // conflicting id reuse
      case absl::StatusCode::kNotFound:            // hold refused earlier
        return;
      default:
        observed.unexpected.push_back(status.ToString());
    }
  }
};

TEST_F(LedgerConcurrencyTest, MixedOperationsKeepTheLedgerSound) {
  constexpr int kThreads = 8;
  constexpr int kOpsPerThread = 50;
  constexpr int kIdsPerKind = 40;  // small: threads collide on ids often
  const std::vector<Card> cards = {NewCard(), NewCard(), NewCard()};
  for (size_t i = 0; i < cards.size(); ++i) {
    MustCommit(Accrual(absl::StrCat("seed-", i), cards[i], 500));
  }
  const absl::Time start = clock_.Now();
  Observed observed;

  auto worker = [&](int thread) {
    std::mt19937 random(1234 + thread);
    auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(random); };
    for (int op = 0; op < kOpsPerThread; ++op) {
      // One thread moves time on, so holds and lots expire mid-run.
      if (thread == 0) clock_.Advance(absl::Seconds(10));
      const int n = pick(kIdsPerKind);
      // Content is a function of the id, so equal ids are true duplicates;
      // the "conflict" case breaks that on purpose.
      const Card& card = cards[n % cards.size()];
      switch (pick(8)) {
        case 0: {
          TransferSpec spec = Accrual(absl::StrCat("acc-", n), card, 10 + n);
          spec.reference = absl::StrCat("ref-", n);
          if (n % 5 == 0) spec.activate_time = start + absl::Seconds(100);
          if (n % 4 == 0) spec.expire_time = start + absl::Seconds(300);
          Record(Commit({spec}), observed);
          break;
        }
        case 1:
          Record(Commit({Redemption(absl::StrCat("red-", n), card, 5 + n % 20)}), observed);
          break;
        case 2:
        case 3: {
          // Hold, then post or void; other threads do the same to the same
          // holds, so posts race voids and each other.
          const std::string hold_id = absl::StrCat("hold-", n);
          const int64_t amount = 3 + n % 10;
          absl::StatusOr<Hold> hold = ledger_->HoldPoints(program_, {.hold_id = hold_id,
                                                                     .card_number = card.number,
                                                                     .amount = amount,
                                                                     .ttl = absl::Seconds(120)});
          if (!hold.ok()) {
            std::lock_guard lock(observed.mutex);
            RecordRefusal(hold.status(), observed);
            break;
          }
          if (pick(2) == 0) {
            Record(Commit({Redemption(absl::StrCat("post-", n), card, amount, hold_id)}), observed);
          } else {
            absl::StatusOr<Hold> voided = ledger_->VoidHold(program_, hold_id);
            if (!voided.ok()) {
              std::lock_guard lock(observed.mutex);
              RecordRefusal(voided.status(), observed);
            }
          }
          break;
        }
        case 4: {
          TransferSpec spec =
              Spec(absl::StrCat("rev-", n), TransferKind::kAccrualReversal, card, 25);
          spec.reference = absl::StrCat("ref-", n);
          Record(Commit({spec}), observed);
          break;
        }
        case 5:
          Record(Commit({Spec(absl::StrCat("rr-", n), TransferKind::kRedemptionReversal, card, 4)}),
                 observed);
          break;
        case 6:
          // The id of an accrual with other content: refused if the accrual
          // came first, else it wins and the accrual is refused.
          Record(Commit({Accrual(absl::StrCat("acc-", n), card, 1000 + thread)}), observed);
          break;
        case 7: {
          // Two cards in one request, in either order: locks must not deadlock.
          const Card& other = cards[(n + 1) % cards.size()];
          std::vector<TransferSpec> batch = {Accrual(absl::StrCat("bacc-", n), card, 7),
                                             Redemption(absl::StrCat("bred-", n), other, 6)};
          if (pick(2) == 0) std::swap(batch[0], batch[1]);
          Record(Commit(batch), observed);
          break;
        }
      }
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);
  for (auto& thread : threads) thread.join();

  // Kept in the test report (--gtest_output=xml), to see what a run did.
  RecordProperty("ok", observed.codes[absl::StatusCode::kOk]);
  RecordProperty("replayed_transfers", static_cast<int>(observed.replays));
  RecordProperty("already_exists", observed.codes[absl::StatusCode::kAlreadyExists]);
  RecordProperty("failed_precondition", observed.codes[absl::StatusCode::kFailedPrecondition]);
  RecordProperty("not_found", observed.codes[absl::StatusCode::kNotFound]);
  EXPECT_TRUE(observed.unexpected.empty()) << absl::StrJoin(observed.unexpected, "\n");
  EXPECT_GT(observed.codes[absl::StatusCode::kOk], kThreads * kOpsPerThread / 4);
  // Every id the callers were told about has one amount, the stored one.
  for (const auto& [id, amounts] : observed.amounts) {
    ASSERT_EQ(amounts.size(), 1u) << id;
    if (id.starts_with("seed-")) continue;
    EXPECT_EQ(Scalar(absl::StrCat("SELECT amount FROM transfers WHERE program_id = $1"
                                  " AND transfer_id = '",
                                  id, "'")),
              *amounts.begin())
        << id;
  }
  // Each stored transfer was applied by exactly one call; the rest replayed.
  EXPECT_EQ(Scalar("SELECT count(*) FROM transfers WHERE program_id = $1"),
            observed.first_applications + static_cast<int64_t>(cards.size()));
  // The load did what it is for: duplicates replayed, conflicts refused.
  EXPECT_GT(observed.replays, 0);
  EXPECT_GT(observed.codes[absl::StatusCode::kAlreadyExists], 0);
  EXPECT_GT(observed.codes[absl::StatusCode::kFailedPrecondition], 0);

  auto violations = FindLedgerInvariantViolations(*pool_, {.check_events = true});
  ASSERT_TRUE(violations.ok()) << violations.status();
  EXPECT_TRUE(violations->empty()) << absl::StrJoin(*violations, "\n");

  // The balances callers read agree with the stored ones.
  int64_t read_total = 0;
  for (const Card& card : cards) {
    Balance balance = BalanceOf(card);
    EXPECT_GE(balance.available, 0);
    read_total += balance.active + balance.pending;
  }
  EXPECT_LE(read_total, Scalar("SELECT sum(balance)::bigint FROM accounts WHERE program_id = $1"));
}

}  // namespace
}  // namespace loyalty::cards
