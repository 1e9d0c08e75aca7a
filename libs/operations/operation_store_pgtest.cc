// The operation store and runner against a real PostgreSQL: idempotent
// create, chunked progress, resume after a crash mid-chunk with every
// item's effect applied once, cancellation, replicas sharing work through
// SKIP LOCKED, failures of a whole operation, program isolation.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <pqxx/pqxx>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/operations/metrics.h"
#include "libs/operations/operation_store.h"
#include "libs/operations/runner.h"
#include "libs/operations/test_support.h"
#include "libs/testing/migrated_database.h"
#include "prometheus/registry.h"

namespace loyalty::operations {
namespace {

constexpr char kSchema[] = "ops";
constexpr char kKind[] = "test.credit";

// A table the test handler changes: one row per (operation, item), and a
// per-key total that grows only when that row is new. The idempotent
// effect an OperationHandler must have, as the ledger's transfer ids give.
constexpr pg::Migration kEffectsTable = {"0001_effects", R"sql(
CREATE TABLE effects (operation_id text, seq bigint, PRIMARY KEY (operation_id, seq));
CREATE TABLE totals (item_key text PRIMARY KEY, amount bigint NOT NULL);
)sql"};

class CreditHandler final : public OperationHandler {
 public:
  explicit CreditHandler(pg::Pool& pool) : pool_(pool) {}

  ItemOutcome Apply(const OperationRun& run, const PendingItem& item) override {
    ++calls;
    if (hook) {
      absl::Status hooked = hook(item);
      if (!hooked.ok()) return OutcomeOf(hooked);
    }
    if (item.key.starts_with("bad")) return OutcomeOf(absl::NotFoundError("no such thing"));
    int64_t amount = 0;
    if (!absl::SimpleAtoi(run.params, &amount)) {
      return ItemOutcome{.action = ItemOutcome::Action::kFailOperation,
                         .status = absl::InvalidArgumentError("bad params")};
    }
    absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
      pqxx::result fresh =
          tx.exec_params("INSERT INTO effects VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
                         run.operation_id, item.sequence);
      if (fresh.empty()) return absl::OkStatus();
      tx.exec_params(
          "INSERT INTO totals VALUES ($1, $2)"
          " ON CONFLICT (item_key) DO UPDATE SET amount = totals.amount + $2",
          item.key, amount);
      return absl::OkStatus();
    });
    return OutcomeOf(status);
  }

  std::atomic<int> calls = 0;
  std::function<absl::Status(const PendingItem&)> hook;

 private:
  pg::Pool& pool_;
};

class OperationStorePgTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const pg::Migration own[] = {kEffectsTable};
    auto db = loyalty::testing::StartMigratedDatabase(
        kSchema, WithOperationsTables(own, "0002_operations"), 12);
    ASSERT_TRUE(db.ok()) << db.status();
    database_ = db->release();
  }
  static void TearDownTestSuite() {
    delete database_;
    database_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(database_, nullptr);
    store_ = std::make_unique<OperationStore>(pool(), "cards");
    handler_ = std::make_unique<CreditHandler>(pool());
    runner_ = NewRunner(*store_, *handler_);
  }

  void TearDown() override {
    // Leave nothing claimable behind for the next test.
    ASSERT_TRUE(CancelUnfinishedOperations(pool()).ok());
  }

  static pg::Pool& pool() { return *database_->pool; }

  std::unique_ptr<OperationRunner> NewRunner(OperationStore& store, OperationHandler& handler,
                                             int chunk = 100) {
    auto runner =
        std::make_unique<OperationRunner>(store, metrics_, RunnerOptions{.chunk_size = chunk});
    runner->Register(kKind, handler);
    return runner;
  }

  // Item keys unique to this test (the totals table outlives it).
  std::string Key(int i) const { return absl::StrCat(keys_, i); }

  // `count` items named "<prefix>0", "<prefix>1", ... (default Key(i)).
  NewOperation Credit(int count, std::string prefix = "", int64_t amount = 10) {
    if (prefix.empty()) prefix = keys_;
    NewOperation op{.request_id = NewUuid(),
                    .kind = kKind,
                    .params = absl::StrCat(amount),
                    .created_by = "key-1"};
    for (int i = 0; i < count; ++i) op.item_keys.push_back(absl::StrCat(prefix, i));
    return op;
  }

  Operation MustCreate(const NewOperation& op, const std::string& program = "") {
    absl::StatusOr<Operation> created = store_->Create(program.empty() ? program_ : program, op);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.value_or(Operation{});
  }

  Operation MustGet(const std::string& id) {
    absl::StatusOr<Operation> got = store_->Get(program_, id);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.value_or(Operation{});
  }

  // Runs chunks until nothing is left; returns how many it ran.
  int Drain(OperationRunner& runner) {
    int chunks = 0;
    for (;;) {
      absl::StatusOr<bool> worked = runner.RunOnce();
      EXPECT_TRUE(worked.ok()) << worked.status();
      if (!worked.ok() || !*worked) return chunks;
      ++chunks;
    }
  }

  int64_t Total(const std::string& key) {
    int64_t amount = -1;
    EXPECT_TRUE(pool()
                    .Transact([&](pg::Tx& tx) {
                      pqxx::result r = tx.exec_params(
                          "SELECT COALESCE((SELECT amount FROM totals WHERE item_key = $1), 0)",
                          key);
                      amount = r[0][0].as<int64_t>();
                      return absl::OkStatus();
                    })
                    .ok());
    return amount;
  }

  static loyalty::testing::MigratedDatabase* database_;
  const std::string program_ = NewUuid();
  const std::string keys_ = absl::StrCat("k", NewUuid().substr(0, 8), "-");
  prometheus::Registry registry_;
  OperationMetrics metrics_{registry_};
  std::unique_ptr<OperationStore> store_;
  std::unique_ptr<CreditHandler> handler_;
  std::unique_ptr<OperationRunner> runner_;
};

loyalty::testing::MigratedDatabase* OperationStorePgTest::database_ = nullptr;

TEST_F(OperationStorePgTest, CreateIsIdempotentByRequestId) {
  NewOperation op = Credit(3);
  Operation first = MustCreate(op);
  EXPECT_EQ(OwnerOfOperationId(first.id), "cards");
  EXPECT_EQ(first.state, OperationState::kPending);
  EXPECT_EQ(first.total, 3);
  EXPECT_EQ(first.created_by, "key-1");
  EXPECT_EQ(first.request_id, op.request_id);

  Operation again = MustCreate(op);
  EXPECT_EQ(again.id, first.id);

  NewOperation other_items = op;
  other_items.item_keys.push_back("k3");
  absl::StatusOr<Operation> conflict = store_->Create(program_, other_items);
  EXPECT_EQ(conflict.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(conflict.status()), "request_id");
  NewOperation other_params = op;
  other_params.params = "11";
  EXPECT_EQ(store_->Create(program_, other_params).status().code(),
            absl::StatusCode::kAlreadyExists);

  // The same key in another program is another operation.
  Operation elsewhere = MustCreate(op, NewUuid());
  EXPECT_NE(elsewhere.id, first.id);
}

TEST_F(OperationStorePgTest, ConcurrentCreatesWithOneKeyMakeOneOperation) {
  NewOperation op = Credit(50);
  std::vector<std::string> ids(6);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < ids.size(); ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<Operation> created = store_->Create(program_, op);
      ASSERT_TRUE(created.ok()) << created.status();
      ids[i] = created->id;
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& id : ids) EXPECT_EQ(id, ids[0]);
}

TEST_F(OperationStorePgTest, ChunksCommitProgressAndItemResults) {
  NewOperation op = Credit(250);
  op.item_keys[7] = "bad7";
  op.item_keys[201] = "bad201";
  Operation created = MustCreate(op);

  ASSERT_TRUE(runner_->RunOnce().value());
  Operation after_one = MustGet(created.id);
  EXPECT_EQ(after_one.state, OperationState::kRunning);
  EXPECT_EQ(after_one.processed, 100);
  EXPECT_EQ(after_one.succeeded, 99);
  EXPECT_EQ(after_one.failed, 1);
  EXPECT_FALSE(after_one.finish_time.has_value());

  EXPECT_EQ(Drain(*runner_), 2);
  Operation done = MustGet(created.id);
  EXPECT_EQ(done.state, OperationState::kSucceeded);
  EXPECT_EQ(done.processed, 250);
  EXPECT_EQ(done.succeeded, 248);
  EXPECT_EQ(done.failed, 2);
  EXPECT_TRUE(done.finish_time.has_value());
  EXPECT_EQ(Total(Key(0)), 10);
  EXPECT_EQ(Total("bad7"), 0);

  absl::StatusOr<ItemPage> failed = store_->ListItems(program_, created.id, true, 50, "");
  ASSERT_TRUE(failed.ok()) << failed.status();
  ASSERT_EQ(failed->items.size(), 2u);
  EXPECT_EQ(failed->items[0].sequence, 7);
  EXPECT_EQ(failed->items[0].key, "bad7");
  EXPECT_EQ(failed->items[0].code, absl::StatusCode::kNotFound);
  EXPECT_EQ(failed->items[0].message, "no such thing");
  EXPECT_EQ(failed->items[1].sequence, 201);
  EXPECT_TRUE(failed->next_page_token.empty());

  // Pages of every item, in order, without gaps or repeats.
  std::string token;
  int64_t expected = 0;
  do {
    absl::StatusOr<ItemPage> page = store_->ListItems(program_, created.id, false, 64, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const ItemResult& item : page->items) EXPECT_EQ(item.sequence, expected++);
    token = page->next_page_token;
  } while (!token.empty());
  EXPECT_EQ(expected, 250);
  EXPECT_EQ(store_->ListItems(program_, created.id, false, 10, "junk").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(OperationStorePgTest, CrashMidChunkResumesWithEachEffectOnce) {
  Operation created = MustCreate(Credit(250));
  ASSERT_TRUE(runner_->RunOnce().value());  // items 0..99 committed

  // The process "dies" in the middle of the second chunk: after item 149
  // has taken effect, the runner's connection (holding the claim) is killed,
  // so nothing of the chunk is recorded.
  handler_->hook = [this](const PendingItem& item) -> absl::Status {
    if (item.sequence != 150) return absl::OkStatus();
    EXPECT_TRUE(pool()
                    .Transact([](pg::Tx& tx) {
                      // The claim's FOR NO KEY UPDATE holds RowShareLock on the table.
                      tx.exec(
                          "SELECT pg_terminate_backend(l.pid) FROM pg_locks l"
                          " JOIN pg_class c ON c.oid = l.relation"
                          " WHERE c.relname = 'operations' AND l.mode = 'RowShareLock'"
                          " AND l.pid <> pg_backend_pid()");
                      return absl::OkStatus();
                    })
                    .ok());
    return absl::OkStatus();
  };
  absl::StatusOr<bool> crashed = runner_->RunOnce();
  EXPECT_FALSE(crashed.ok()) << "the chunk's transaction was lost";
  EXPECT_EQ(Total(Key(120)), 10) << "items before the crash took effect";
  Operation mid = MustGet(created.id);
  EXPECT_EQ(mid.processed, 100) << "but their results were not committed";
  EXPECT_EQ(mid.state, OperationState::kRunning);

  // "After the restart": a fresh store and runner resume from item 100.
  handler_->hook = nullptr;
  OperationStore restarted(pool(), "cards");
  CreditHandler handler(pool());
  auto runner = NewRunner(restarted, handler);
  EXPECT_EQ(Drain(*runner), 2);
  EXPECT_EQ(handler.calls, 150) << "items 100..249 ran again";
  Operation done = MustGet(created.id);
  EXPECT_EQ(done.state, OperationState::kSucceeded);
  EXPECT_EQ(done.succeeded, 250);
  for (int i : {0, 99, 100, 120, 149, 150, 249}) {
    EXPECT_EQ(Total(Key(i)), 10) << "item " << i << " applied exactly once";
  }
}

TEST_F(OperationStorePgTest, TransientItemErrorRollsTheChunkBack) {
  Operation created = MustCreate(Credit(20));
  handler_->hook = [](const PendingItem& item) -> absl::Status {
    if (item.sequence == 5) return absl::UnavailableError("database restarting");
    return absl::OkStatus();
  };
  EXPECT_EQ(runner_->RunOnce().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(MustGet(created.id).processed, 0);
  handler_->hook = nullptr;
  EXPECT_EQ(Drain(*runner_), 1);
  EXPECT_EQ(MustGet(created.id).succeeded, 20);
  EXPECT_EQ(Total(Key(3)), 10);
}

TEST_F(OperationStorePgTest, OperationErrorEndsItFailed) {
  NewOperation op = Credit(5);
  op.params = "not a number";
  Operation created = MustCreate(op);
  EXPECT_EQ(Drain(*runner_), 1);
  Operation failed = MustGet(created.id);
  EXPECT_EQ(failed.state, OperationState::kFailed);
  EXPECT_EQ(failed.error, "bad params");
  EXPECT_TRUE(failed.finish_time.has_value());
  EXPECT_FALSE(runner_->RunOnce().value()) << "a failed operation is never claimed again";
}

TEST_F(OperationStorePgTest, CancelStopsBetweenChunks) {
  Operation created = MustCreate(Credit(300));
  ASSERT_TRUE(runner_->RunOnce().value());
  bool cancelled = false;
  absl::StatusOr<Operation> after = store_->Cancel(program_, created.id, &cancelled);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(after->state, OperationState::kCancelled);
  EXPECT_EQ(after->processed, 100);
  EXPECT_TRUE(after->finish_time.has_value());
  EXPECT_FALSE(runner_->RunOnce().value());
  EXPECT_EQ(Total(Key(150)), 0);

  // Again, or on a finished operation: unchanged.
  after = store_->Cancel(program_, created.id, &cancelled);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(cancelled);
  EXPECT_EQ(after->state, OperationState::kCancelled);
}

TEST_F(OperationStorePgTest, CancelWaitsForTheChunkInProgress) {
  Operation created = MustCreate(Credit(300));
  absl::Notification in_chunk;
  absl::Notification release;
  handler_->hook = [&](const PendingItem& item) -> absl::Status {
    if (item.sequence == 10) {
      in_chunk.Notify();
      release.WaitForNotification();
    }
    return absl::OkStatus();
  };
  std::thread runner([&] { EXPECT_TRUE(runner_->RunOnce().value()); });
  in_chunk.WaitForNotification();
  std::thread canceller([&] {
    absl::StatusOr<Operation> cancelled = store_->Cancel(program_, created.id);
    ASSERT_TRUE(cancelled.ok()) << cancelled.status();
    EXPECT_EQ(cancelled->state, OperationState::kCancelled);
    EXPECT_EQ(cancelled->processed, 100) << "the chunk in progress committed first";
  });
  // Release the chunk only once Cancel waits for the operation's row lock,
  // so that a Cancel that did not wait would see processed == 0.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  for (bool waiting = false; !waiting;) {
    if (absl::Now() > give_up) {
      release.Notify();
      runner.join();
      canceller.join();
      FAIL() << "Cancel never waited for the chunk in progress";
    }
    ASSERT_TRUE(pool()
                    .Transact([&](pg::Tx& tx) {
                      waiting = tx.exec1(
                                      "SELECT count(*) > 0 FROM pg_locks l"
                                      " JOIN pg_stat_activity a ON a.pid = l.pid"
                                      " WHERE NOT l.granted AND a.datname = current_database()")[0]
                                    .as<bool>();
                      return absl::OkStatus();
                    })
                    .ok());
    if (!waiting) absl::SleepFor(absl::Milliseconds(5));
  }
  release.Notify();
  runner.join();
  canceller.join();
  EXPECT_EQ(MustGet(created.id).state, OperationState::kCancelled);
}

TEST_F(OperationStorePgTest, ReplicasShareWorkThroughSkipLocked) {
  Operation first = MustCreate(Credit(10, "a"));
  Operation second = MustCreate(Credit(10, "b"));
  absl::Notification in_chunk;
  absl::Notification release;
  handler_->hook = [&](const PendingItem& item) -> absl::Status {
    if (item.sequence == 0) {
      in_chunk.Notify();
      release.WaitForNotification();
    }
    return absl::OkStatus();
  };
  // Replica A holds the first operation mid-chunk ...
  std::thread replica_a([&] { EXPECT_TRUE(runner_->RunOnce().value()); });
  in_chunk.WaitForNotification();
  // ... replica B skips it and takes the second one, without waiting.
  OperationStore store_b(pool(), "cards");
  CreditHandler handler_b(pool());
  auto runner_b = NewRunner(store_b, handler_b);
  EXPECT_TRUE(runner_b->RunOnce().value());
  EXPECT_FALSE(runner_b->RunOnce().value()) << "nothing else is free";
  release.Notify();
  replica_a.join();
  EXPECT_EQ(MustGet(first.id).state, OperationState::kSucceeded);
  EXPECT_EQ(MustGet(second.id).state, OperationState::kSucceeded);
  EXPECT_EQ(handler_b.calls, 10);
  EXPECT_EQ(handler_->calls, 10);
}

TEST_F(OperationStorePgTest, RunnerClaimsOnlyKindsItHandles) {
  NewOperation op = Credit(3);
  op.kind = "other.kind";
  Operation created = MustCreate(op);
  EXPECT_FALSE(runner_->RunOnce().value());
  EXPECT_EQ(MustGet(created.id).state, OperationState::kPending);
}

TEST_F(OperationStorePgTest, AnotherProgramsOperationIsNotFound) {
  Operation created = MustCreate(Credit(3));
  const std::string other = NewUuid();
  absl::StatusOr<Operation> got = store_->Get(other, created.id);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(got.status()), "id");
  EXPECT_EQ(store_->ListItems(other, created.id, false, 10, "").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Cancel(other, created.id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(MustGet(created.id).state, OperationState::kPending) << "not cancelled";
  EXPECT_EQ(store_->Get(program_, "cards-nope").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace loyalty::operations
