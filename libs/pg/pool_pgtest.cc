#include <atomic>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "gtest/gtest.h"
#include "libs/pg/array_literal.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"
#include "libs/pg/prepared.h"
#include "libs/testing/postgres_server.h"

namespace loyalty::pg {
namespace {

class PoolTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = testing::PostgresServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server).release();
  }
  static void TearDownTestSuite() { delete server_; }

  std::unique_ptr<Pool> MakePool(std::string schema) {
    return std::make_unique<Pool>(PoolOptions{
        .conninfo = server_->ConnectionString(), .schema = std::move(schema), .size = 4});
  }

  static testing::PostgresServer* server_;
};

testing::PostgresServer* PoolTest::server_ = nullptr;

// The value of the one row of `counters`, read in a transaction of its own
// (-1 when the read fails, which the caller's expectation then reports).
int64_t CounterValue(Pool& pool) {
  int64_t value = -1;
  absl::Status read = pool.Transact([&](Tx& tx) {
    value = tx.exec1("SELECT value FROM counters")[0].as<int64_t>();
    return absl::OkStatus();
  });
  EXPECT_TRUE(read.ok()) << read;
  return value;
}

constexpr Migration kMigrations[] = {
    {"0001_counters", "CREATE TABLE counters (name text PRIMARY KEY, value bigint NOT NULL)"},
    {"0002_seed", "INSERT INTO counters VALUES ('hits', 0)"},
};

TEST_F(PoolTest, MigrationsApplyOnceAndDetectEdits) {
  auto pool = MakePool("migr");
  ASSERT_TRUE(ApplyMigrations(*pool, "migr", kMigrations).ok());
  ASSERT_TRUE(ApplyMigrations(*pool, "migr", kMigrations).ok());  // no-op
  int64_t rows = 0;
  ASSERT_TRUE(pool->Transact([&](Tx& tx) {
                    rows = tx.exec1("SELECT count(*) FROM counters")[0].as<int64_t>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(rows, 1);

  const Migration edited[] = {kMigrations[0],
                              {"0002_seed", "INSERT INTO counters VALUES ('x', 1)"}};
  EXPECT_EQ(ApplyMigrations(*pool, "migr", edited).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ApplyMigrations(*pool, "migr", std::span(kMigrations, 1)).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(PoolTest, ArrayLiteralsRoundTripAnyText) {
  auto pool = MakePool("arrays");
  const std::vector<std::string> texts = {"plain",    "",         "with,comma",
                                          "{braces}", "quote\"d", "back\\slash",
                                          "NULL",     " spaced ", "{\"json\": [1, \"a\\\"b\"]}",
                                          "кириллица"};
  const std::vector<int64_t> numbers = {0, -1, 9223372036854775807LL, -9223372036854775807LL};
  std::vector<std::string> texts_back;
  std::vector<int64_t> numbers_back;
  ASSERT_TRUE(
      pool->Transact([&](Tx& tx) {
            texts_back.clear();
            numbers_back.clear();
            for (const auto& row : ExecPrepared(
                     tx, "SELECT t FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n",
                     TextArray(texts))) {
              texts_back.push_back(row[0].as<std::string>());
            }
            for (const auto& row : ExecPrepared(
                     tx, "SELECT v FROM unnest($1::bigint[]) WITH ORDINALITY AS u(v, n) ORDER BY n",
                     IntArray(numbers))) {
              numbers_back.push_back(row[0].as<int64_t>());
            }
            return absl::OkStatus();
          })
          .ok());
  EXPECT_EQ(texts_back, texts);
  EXPECT_EQ(numbers_back, numbers);
}

TEST_F(PoolTest, PreparedBatchReturnsEachResultInOrderWithArgumentsIntact) {
  auto pool = MakePool("batch");
  ASSERT_TRUE(ApplyMigrations(*pool, "batch", kMigrations).ok());
  const std::vector<std::string> texts = {"it's", "back\\slash", "{\"json\": 1}", "кириллица",
                                          "", "NULL", "$1", "); DROP TABLE counters; --"};
  for (int attempt = 0; attempt < 3; ++attempt) {  // first prepares, later reuse
    std::vector<std::string> texts_back;
    int64_t bumped = -1, later_read = -1, empty_rows = -1;
    std::string lone;
    ASSERT_TRUE(pool->Transact([&](Tx& tx) {
                      texts_back.clear();
                      PreparedBatch batch(tx);
                      const size_t bump = batch.Add(
                          "UPDATE counters SET value = value + $2 WHERE name = $1 RETURNING value",
                          std::string("hits"), int64_t{5});
                      const size_t none =
                          batch.Add("SELECT name FROM counters WHERE name = $1", "missing");
                      const size_t echo = batch.Add(
                          "SELECT t FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n",
                          TextArray(texts));
                      const size_t single = batch.Add("SELECT $1::text", texts[7]);
                      // Runs after the update, in the same transaction.
                      const size_t read = batch.Add("SELECT value FROM counters WHERE name = 'hits'");
                      std::vector<pqxx::result> results = batch.Run();
                      EXPECT_EQ(results.size(), 5u);
                      bumped = results.at(bump).at(0)[0].as<int64_t>();
                      empty_rows = static_cast<int64_t>(results.at(none).size());
                      for (const auto& row : results.at(echo)) {
                        texts_back.push_back(row[0].as<std::string>());
                      }
                      lone = results.at(single).at(0)[0].as<std::string>();
                      later_read = results.at(read).at(0)[0].as<int64_t>();
                      return absl::OkStatus();
                    })
                    .ok());
    EXPECT_EQ(texts_back, texts);
    EXPECT_EQ(lone, texts[7]);
    EXPECT_EQ(empty_rows, 0);
    EXPECT_EQ(bumped, 5 * (attempt + 1));
    EXPECT_EQ(later_read, bumped);
  }
}

TEST_F(PoolTest, PreparedBatchErrorMapsAndRollsBackTheWholeTransaction) {
  auto pool = MakePool("batcherr");
  ASSERT_TRUE(ApplyMigrations(*pool, "batcherr", kMigrations).ok());
  absl::Status status = pool->Transact([](Tx& tx) {
    PreparedBatch batch(tx);
    batch.Add("UPDATE counters SET value = 7 WHERE name = $1", "hits");
    batch.Add("INSERT INTO counters VALUES ($1, 1)", "hits");  // duplicate key
    batch.Run();
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_EQ(CounterValue(*pool), 0);
}

TEST_F(PoolTest, ConcurrentStartersApplyEachMigrationOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto pool = MakePool("race");
      if (!ApplyMigrations(*pool, "race", kMigrations).ok()) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  auto pool = MakePool("race");
  int64_t rows = -1;
  ASSERT_TRUE(pool->Transact([&](Tx& tx) {
                    rows = tx.exec1("SELECT count(*) FROM counters")[0].as<int64_t>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(rows, 1);
}

TEST_F(PoolTest, ErrorStatusRollsBackAndUniqueViolationMaps) {
  auto pool = MakePool("rollback");
  ASSERT_TRUE(ApplyMigrations(*pool, "rollback", kMigrations).ok());
  absl::Status status = pool->Transact([](Tx& tx) {
    tx.exec0("UPDATE counters SET value = 99");
    return absl::FailedPreconditionError("changed my mind");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CounterValue(*pool), 0);

  status = pool->Transact([](Tx& tx) {
    tx.exec0("INSERT INTO counters VALUES ('hits', 1)");
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(PoolTest, AutocommitRunsEachStatementAloneAndABatchAsOne) {
  auto pool = MakePool("autocommit");
  ASSERT_TRUE(ApplyMigrations(*pool, "autocommit", kMigrations).ok());
  auto two_transaction_ids = [&](Isolation isolation, bool batched) {
    std::pair<int64_t, int64_t> ids{-1, -1};
    EXPECT_TRUE(pool->Transact(
                        [&](Tx& tx) {
                          if (batched) {
                            PreparedBatch batch(tx);
                            batch.Add("SELECT txid_current() + $1", 0);
                            batch.Add("SELECT txid_current() + $1", 0);
                            std::vector<pqxx::result> results = batch.Run();
                            ids = {results[0][0][0].as<int64_t>(), results[1][0][0].as<int64_t>()};
                          } else {
                            ids = {tx.exec1("SELECT txid_current()")[0].as<int64_t>(),
                                   tx.exec1("SELECT txid_current()")[0].as<int64_t>()};
                          }
                          return absl::OkStatus();
                        },
                        isolation)
                    .ok());
    return ids;
  };
  auto [first, second] = two_transaction_ids(Isolation::kReadCommitted, false);
  EXPECT_EQ(first, second);
  std::tie(first, second) = two_transaction_ids(Isolation::kAutocommit, false);
  EXPECT_LT(first, second) << "each statement its own transaction";
  // What LoadReceipt-style batches rely on: one implicit transaction.
  std::tie(first, second) = two_transaction_ids(Isolation::kAutocommit, true);
  EXPECT_EQ(first, second);

  // Nothing to roll back: an error status leaves the statements done.
  absl::Status status = pool->Transact(
      [](Tx& tx) {
        tx.exec0("UPDATE counters SET value = 5");
        return absl::FailedPreconditionError("too late to change my mind");
      },
      Isolation::kAutocommit);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CounterValue(*pool), 5);
}

TEST_F(PoolTest, SerializationFailuresAreRetried) {
  auto pool = MakePool("serial");
  ASSERT_TRUE(ApplyMigrations(*pool, "serial", kMigrations).ok());
  constexpr int kThreads = 4;
  constexpr int kIncrements = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        absl::Status status = pool->Transact(
            [](Tx& tx) {
              int64_t v =
                  tx.exec1("SELECT value FROM counters WHERE name = 'hits'")[0].as<int64_t>();
              tx.exec_params("UPDATE counters SET value = $1 WHERE name = 'hits'", v + 1);
              return absl::OkStatus();
            },
            Isolation::kSerializable);
        if (!status.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  int64_t value = 0;
  ASSERT_TRUE(pool->Transact([&](Tx& tx) {
                    value = tx.exec1("SELECT value FROM counters")[0].as<int64_t>();
                    return absl::OkStatus();
                  })
                  .ok());
  // Lost updates are impossible under SERIALIZABLE: every success counted.
  EXPECT_EQ(value, kThreads * kIncrements - failures);
  EXPECT_LT(failures, kThreads * kIncrements / 4);
}

TEST_F(PoolTest, IdempotentTransactionsAnswerRacingTwinsAlike) {
  auto pool = MakePool("twins");
  ASSERT_TRUE(ApplyMigrations(*pool, "twins", kMigrations).ok());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      absl::Status status = pool->TransactIdempotent([](Tx& tx) {
        if (!tx.exec("SELECT 1 FROM counters WHERE name = 'once'").empty()) {
          return absl::OkStatus();  // the twin's row: same answer
        }
        tx.exec0("INSERT INTO counters VALUES ('once', 1)");
        return absl::OkStatus();
      });
      if (!status.ok()) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
}

TEST_F(PoolTest, DatabaseRestartIsUnavailableThenRecovers) {
  auto pool = MakePool("restart");
  ASSERT_TRUE(pool->Ping().ok());
  ASSERT_TRUE(server_->Stop().ok());
  EXPECT_EQ(pool->Ping().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(server_->Restart().ok());
  absl::Status status = pool->Ping();
  // The first call after a restart may meet a connection the server closed.
  if (!status.ok()) status = pool->Ping();
  EXPECT_TRUE(status.ok()) << status;
}

TEST_F(PoolTest, PreparedStatementsArePreparedOncePerConnection) {
  // One connection, so that every transaction below meets the same session.
  Pool pool(PoolOptions{.conninfo = server_->ConnectionString(), .schema = "prep", .size = 1});
  ASSERT_TRUE(ApplyMigrations(pool, "prep", kMigrations).ok());
  const std::string read = "SELECT value FROM counters WHERE name = $1";
  const std::string bump = "UPDATE counters SET value = value + $2 WHERE name = $1";
  auto prepared_count = [&] {
    int64_t count = -1;
    EXPECT_TRUE(pool.Transact([&](Tx& tx) {
                      count =
                          tx.exec1("SELECT count(*) FROM pg_prepared_statements")[0].as<int64_t>();
                      return absl::OkStatus();
                    })
                    .ok());
    return count;
  };

  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pool.Transact([&](Tx& tx) {
                      ExecPrepared(tx, bump, "hits", 2);
                      return absl::OkStatus();
                    })
                    .ok());
  }
  int64_t value = 0;
  ASSERT_TRUE(pool.Transact([&](Tx& tx) {
                    value = ExecPrepared1(tx, read, "hits")[0].as<int64_t>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(value, 6);
  EXPECT_EQ(prepared_count(), 2);  // one per text, however often it ran

  // A statement first prepared in a transaction that rolls back stays
  // usable: prepared statements belong to the session, not the transaction.
  const std::string other = "SELECT count(*) FROM counters WHERE value >= $1";
  EXPECT_EQ(pool.Transact([&](Tx& tx) {
                  ExecPrepared(tx, other, 0);
                  return absl::AbortedError("roll back");
                })
                .code(),
            absl::StatusCode::kAborted);
  int64_t rows = 0;
  ASSERT_TRUE(pool.Transact([&](Tx& tx) {
                    rows = ExecPrepared1(tx, other, 6)[0].as<int64_t>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(rows, 1);
  EXPECT_EQ(prepared_count(), 3);

  // Exactly one row, as exec_params1 demands.
  EXPECT_EQ(pool.Transact([&](Tx& tx) {
                  ExecPrepared1(tx, read, "no such counter");
                  return absl::OkStatus();
                })
                .code(),
            absl::StatusCode::kInternal);
  EXPECT_NE(PreparedName(read), PreparedName(bump));
  EXPECT_EQ(PreparedName(read), PreparedName(std::string(read)));
}

}  // namespace
}  // namespace loyalty::pg
