// The post-confirm campaign actions in PostgreSQL: kept with the
// calculation, due with the confirmation (in its transaction and event),
// and the worker's queue: claims, leases, retries, concurrent workers.

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "libs/common/random_ids.h"
#include "loyalty/pos/v1/events.pb.h"
#include "services/pos/storage/pos_database_test.h"
#include "services/pos/storage/receipt_actions.h"

namespace loyalty::pos {
namespace {

constexpr char kProgram[] = "11111111-2222-4333-8444-555555555551";

class ReceiptActionsTest : public PosDatabaseTest {
 protected:
  void SetUp() override {
    auto created = store_.CreateStore(kProgram, Store{.name = "Main", .city = "Moscow"}, "");
    ASSERT_TRUE(created.ok()) << created.status();
    store_id_ = created->store_id;
    // Each test starts with an empty queue: what earlier tests left due is
    // settled.
    ASSERT_TRUE(pool_
                    ->Transact([](pg::Tx& tx) {
                      tx.exec("UPDATE receipt_actions SET state = 'FAILED' WHERE state = 'DUE'");
                      return absl::OkStatus();
                    })
                    .ok());
  }

  // A calculated receipt of a member with `count` actions (tag, attribute,
  // code, in turn).
  Receipt WithActions(int count, const std::string& client_id = "client-1") {
    Receipt receipt;
    receipt.receipt_id = NewUuid();
    receipt.program_id = kProgram;
    receipt.store_id = store_id_;
    receipt.receipt_number = absl::StrCat("ACT-", RandomHex(6));
    receipt.card_number = "2000000000008";
    receipt.lines = *PriceLines({{.sku = "a", .quantity = "1", .price = 10000}});
    receipt.total_amount = 10000;
    receipt.create_time = absl::Now();
    std::vector<ReceiptAction> actions;
    for (int i = 0; i < count; ++i) {
      const ActionKind kind = i % 3 == 0   ? ActionKind::kAddTag
                              : i % 3 == 1 ? ActionKind::kSetAttribute
                                           : ActionKind::kIssuePromoCode;
      actions.push_back({.campaign_id = "c-act",
                         .campaign_version = 3,
                         .rule_id = absl::StrCat("r", i),
                         .kind = kind,
                         .target = absl::StrCat("target-", i),
                         .value = kind == ActionKind::kSetAttribute ? "gold" : ""});
    }
    receipt.actions = AssignActions(std::move(actions), client_id,
                                    client_id.empty() ? NoLoyaltyReason::kNoCard
                                                      : NoLoyaltyReason::kNone);
    return receipt;
  }

  Receipt Confirmed(const Receipt& receipt) {
    EXPECT_TRUE(store_.SaveCalculation(receipt).ok());
    auto begun = store_.BeginConfirm(kProgram, "", receipt.receipt_id, "");
    EXPECT_TRUE(begun.ok()) << begun.status();
    auto confirmed = store_.FinishConfirm(kProgram, receipt.receipt_id, Balance{});
    EXPECT_TRUE(confirmed.ok()) << confirmed.status();
    return confirmed.value_or(Receipt{});
  }

  PosStore store_{*pool_};
  PgActionQueue queue_{*pool_};
  std::string store_id_;
};

TEST_F(ReceiptActionsTest, KeptWithTheCalculationAndDueOnlyOnceConfirmed) {
  Receipt receipt = WithActions(3);
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  auto saved = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(saved.ok()) << saved.status();
  ASSERT_EQ(saved->actions.size(), 3u);
  EXPECT_EQ(saved->actions[0].kind, ActionKind::kAddTag);
  EXPECT_EQ(saved->actions[1].kind, ActionKind::kSetAttribute);
  EXPECT_EQ(saved->actions[1].target, "target-1");
  EXPECT_EQ(saved->actions[1].value, "gold");
  EXPECT_EQ(saved->actions[2].kind, ActionKind::kIssuePromoCode);
  EXPECT_EQ(saved->actions[2].campaign_version, 3);
  EXPECT_EQ(saved->actions[2].rule_id, "r2");
  EXPECT_EQ(saved->actions[2].client_id, "client-1");
  for (const ReceiptAction& action : saved->actions) {
    EXPECT_EQ(action.state, ActionState::kPending);
  }
  // Calculated, even being confirmed: nothing to claim.
  ASSERT_TRUE(store_.BeginConfirm(kProgram, "", receipt.receipt_id, "").ok());
  auto none = queue_.Claim(10, absl::Minutes(1));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());

  auto confirmed = store_.FinishConfirm(kProgram, receipt.receipt_id, Balance{});
  ASSERT_TRUE(confirmed.ok()) << confirmed.status();
  for (const ReceiptAction& action : confirmed->actions) {
    EXPECT_EQ(action.state, ActionState::kDue);
  }
  // The event lists the actions that became due.
  std::string payload;
  ASSERT_TRUE(pool_
                  ->Transact([&](pg::Tx& tx) {
                    payload = tx.exec_params1(
                                    "SELECT payload FROM outbox WHERE event_type ="
                                    " 'loyalty.pos.v1.ReceiptConfirmed' AND payload LIKE $1"
                                    " ORDER BY id DESC LIMIT 1",
                                    absl::StrCat("%", receipt.receipt_id, "%"))[0]
                                  .as<std::string>();
                    return absl::OkStatus();
                  })
                  .ok());
  v1::ReceiptConfirmed event;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(payload, &event).ok()) << payload;
  ASSERT_EQ(event.actions_size(), 3);
  EXPECT_EQ(event.actions(0).kind(), "ADD_TAG");
  EXPECT_EQ(event.actions(0).tag(), "target-0");
  EXPECT_EQ(event.actions(1).kind(), "SET_ATTRIBUTE");
  EXPECT_EQ(event.actions(1).attribute_key(), "target-1");
  EXPECT_EQ(event.actions(1).attribute_value(), "gold");
  EXPECT_EQ(event.actions(2).kind(), "ISSUE_PROMO_CODE");
  EXPECT_EQ(event.actions(2).pool_id(), "target-2");
  EXPECT_EQ(event.actions(2).campaign_version(), 3);
  EXPECT_EQ(event.actions(2).client_id(), "client-1");
  auto claimed = queue_.Claim(10, absl::Minutes(1));
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_EQ(claimed->size(), 3u);
  std::vector<int32_t> positions;
  for (const ClaimedAction& one : *claimed) {
    EXPECT_EQ(one.program_id, kProgram);
    EXPECT_EQ(one.receipt_id, receipt.receipt_id);
    EXPECT_EQ(one.action.attempts, 1);
    positions.push_back(one.position);
  }
  std::sort(positions.begin(), positions.end());
  EXPECT_EQ(positions, (std::vector<int32_t>{0, 1, 2}));
}

TEST_F(ReceiptActionsTest, ARecalculationReplacesTheActions) {
  Receipt receipt = WithActions(3);
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  ASSERT_TRUE(store_.BeginRecalculation(kProgram, receipt.receipt_id, 1).ok());
  Receipt second = receipt;
  second.calculation = 2;
  second.actions.resize(1);
  ASSERT_TRUE(store_.SaveCalculation(second).ok());
  auto saved = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(saved.ok());
  ASSERT_EQ(saved->actions.size(), 1u);
  EXPECT_EQ(saved->actions[0].rule_id, "r0");
}

TEST_F(ReceiptActionsTest, CancelledAndSkippedActionsNeverBecomeDue) {
  Receipt cancelled = WithActions(2);
  ASSERT_TRUE(store_.SaveCalculation(cancelled).ok());
  ASSERT_TRUE(store_.Cancel(kProgram, "", cancelled.receipt_id).ok());
  Receipt anonymous = Confirmed(WithActions(2, ""));
  ASSERT_EQ(anonymous.actions.size(), 2u);
  EXPECT_EQ(anonymous.actions[0].state, ActionState::kSkipped);
  EXPECT_EQ(anonymous.actions[0].reason, "no member: the receipt has no card");
  auto claimed = queue_.Claim(10, absl::Minutes(1));
  ASSERT_TRUE(claimed.ok());
  EXPECT_TRUE(claimed->empty());
}

TEST_F(ReceiptActionsTest, AClaimHoldsItsLeaseAndOnlyItRecordsTheOutcome) {
  const Receipt receipt = Confirmed(WithActions(1));
  auto first = queue_.Claim(10, absl::Minutes(1));
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  // Within the lease no other claim gets it.
  auto during = queue_.Claim(10, absl::Minutes(1));
  ASSERT_TRUE(during.ok());
  EXPECT_TRUE(during->empty());

  // Recorded under the claim: DONE, with the code.
  auto recorded = queue_.Record(
      (*first)[0], ActionOutcome{.state = ActionState::kDone, .promo_code = "WELCOME-7"});
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_TRUE(*recorded);
  auto done = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->actions[0].state, ActionState::kDone);
  EXPECT_EQ(done->actions[0].promo_code, "WELCOME-7");
  EXPECT_EQ(done->actions[0].attempts, 1);
  // A second record of the same claim changes nothing.
  auto again = queue_.Record((*first)[0], ActionOutcome{.state = ActionState::kFailed});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

TEST_F(ReceiptActionsTest, AnExpiredLeaseHandsTheActionToTheNextClaimAndVoidsTheFirst) {
  const Receipt receipt = Confirmed(WithActions(1));
  // A worker that dies right after claiming: its lease ends at once.
  auto dead = queue_.Claim(10, absl::ZeroDuration());
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  auto next = queue_.Claim(10, absl::Minutes(1));
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ((*next)[0].action.attempts, 2);
  EXPECT_NE((*next)[0].claim_token, (*dead)[0].claim_token);
  // The dead worker's late record is refused; the live one's holds.
  auto late = queue_.Record((*dead)[0], ActionOutcome{.state = ActionState::kFailed,
                                                      .reason = "late"});
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(*late);
  auto live = queue_.Record((*next)[0], ActionOutcome{.state = ActionState::kDone});
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(*live);
  auto stored = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->actions[0].state, ActionState::kDone);
  EXPECT_EQ(stored->actions[0].reason, "");
}

TEST_F(ReceiptActionsTest, ARetryWaitsForItsTime) {
  const Receipt receipt = Confirmed(WithActions(1));
  auto first = queue_.Claim(10, absl::Minutes(1));
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  auto later = queue_.Record((*first)[0], ActionOutcome{.state = ActionState::kDue,
                                                        .reason = "UNAVAILABLE: away",
                                                        .retry_at = absl::Now() + absl::Hours(1)});
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(*later);
  auto waiting = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(waiting.ok());
  EXPECT_EQ(waiting->actions[0].state, ActionState::kDue);
  EXPECT_EQ(waiting->actions[0].reason, "UNAVAILABLE: away");
  auto early = queue_.Claim(10, absl::Minutes(1));
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->empty());

  // Its time has come (moved back here instead of waiting an hour).
  ASSERT_TRUE(pool_
                  ->Transact([&](pg::Tx& tx) {
                    tx.exec_params("UPDATE receipt_actions SET due_at = now() - interval '1 second'"
                                   " WHERE receipt_id = $1",
                                   receipt.receipt_id);
                    return absl::OkStatus();
                  })
                  .ok());
  auto due = queue_.Claim(10, absl::Minutes(1));
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].action.attempts, 2);
}

TEST_F(ReceiptActionsTest, ConcurrentWorkersNeverClaimOneActionTwice) {
  constexpr int kReceipts = 20;
  constexpr int kPerReceipt = 5;
  for (int i = 0; i < kReceipts; ++i) Confirmed(WithActions(kPerReceipt));
  std::mutex mutex;
  std::map<std::string, int> runs;  // receipt:position -> claims
  std::atomic<int> errors{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      PgActionQueue queue(*pool_);
      while (true) {
        auto claimed = queue.Claim(7, absl::Minutes(1));
        if (!claimed.ok()) {
          ++errors;
          return;
        }
        if (claimed->empty()) return;
        for (const ClaimedAction& one : *claimed) {
          {
            std::lock_guard<std::mutex> lock(mutex);
            ++runs[absl::StrCat(one.receipt_id, ":", one.position)];
          }
          auto recorded = queue.Record(one, ActionOutcome{.state = ActionState::kDone});
          if (!recorded.ok() || !*recorded) ++errors;
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(runs.size(), static_cast<size_t>(kReceipts * kPerReceipt));
  for (const auto& [key, count] : runs) EXPECT_EQ(count, 1) << key;
}

}  // namespace
}  // namespace loyalty::pos
