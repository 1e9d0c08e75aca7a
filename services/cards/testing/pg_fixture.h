#pragma once

// Shared set-up of the cards *_pgtest suites: one throwaway PostgreSQL per
// test process with the cards schema migrated, and per test a fresh program
// id (programs never see each other's rows), a fake clock, and stores.

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "libs/common/random_ids.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"
#include "libs/testing/postgres_server.h"
#include "services/cards/domain/ledger.h"
#include "services/cards/storage/card_store.h"
#include "services/cards/storage/ledger_invariants.h"
#include "services/cards/storage/ledger_store.h"
#include "services/cards/storage/migrations.h"
#include "services/cards/testing/fakes.h"

namespace loyalty::cards {

// Readable balances in test failures.
inline void PrintTo(const Balance& balance, std::ostream* out) {
  *out << "{available " << balance.available << ", active " << balance.active << ", pending "
       << balance.pending << ", held " << balance.held << ", expiring_soon "
       << balance.expiring_soon << ", next_expire_time "
       << (balance.next_expire_time ? absl::FormatTime(*balance.next_expire_time) : "none")
       << "}";
}

}  // namespace loyalty::cards

namespace loyalty::cards::testing {

struct SharedDatabase {
  std::unique_ptr<loyalty::testing::PostgresServer> server;
  std::unique_ptr<pg::Pool> pool;
  absl::Status status;
};

// Started on first use; stopped when the process exits.
inline SharedDatabase& Database() {
  static SharedDatabase* const database = [] {
    auto* db = new SharedDatabase();
    auto server = loyalty::testing::PostgresServer::Start();
    if (!server.ok()) {
      db->status = server.status();
      return db;
    }
    db->server = *std::move(server);
    db->pool = std::make_unique<pg::Pool>(
        pg::PoolOptions{.conninfo = db->server->ConnectionString(), .schema = "cards", .size = 16});
    db->status = pg::ApplyMigrations(*db->pool, "cards", AllCardsMigrations());
    return db;
  }();
  return *database;
}

class CardsPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SharedDatabase& db = Database();
    ASSERT_TRUE(db.status.ok()) << db.status;
    pool_ = db.pool.get();
    cards_ = std::make_unique<CardStore>(*pool_, clock_, numbers_);
    ledger_ = std::make_unique<LedgerStore>(*pool_, clock_);
  }

  void TearDown() override {
    if (pool_ == nullptr) return;
    // Whatever a test did, the ledger must still be sound.
    auto violations =
        FindLedgerInvariantViolations(*pool_, {.check_events = true, .max_per_check = 20});
    ASSERT_TRUE(violations.ok()) << violations.status();
    EXPECT_TRUE(violations->empty()) << absl::StrJoin(*violations, "\n");
  }

  // A card of a fresh client in this test's program.
  Card NewCard(absl::string_view program = "") {
    auto card =
        cards_->Issue(program.empty() ? program_ : program, IssueCardInput{.client_id = NewUuid()});
    EXPECT_TRUE(card.ok()) << card.status();
    return card.ok() ? *card : Card{};
  }

  absl::StatusOr<CommitResult> Commit(std::vector<TransferSpec> transfers) {
    return ledger_->CommitTransfers(program_, transfers);
  }

  // Applies one transfer and returns its result, failing the test if refused.
  TransferResult MustCommit(TransferSpec spec) {
    auto result = Commit({std::move(spec)});
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->results.at(0) : TransferResult{};
  }

  Balance BalanceOf(const Card& card) {
    auto balance = ledger_->GetBalance(program_, card.number);
    EXPECT_TRUE(balance.ok()) << balance.status();
    return balance.ok() ? *balance : Balance{};
  }

  // Runs a one-value query, parameterised by this test's program ($1).
  int64_t Scalar(const std::string& sql) {
    int64_t value = -1;
    absl::Status status = pool_->Transact([&](pg::Tx& tx) {
      value = tx.exec_params1(sql, program_)[0].as<int64_t>();
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    return value;
  }

  // Rows this program has in the ledger's tables and the outbox: equal
  // snapshots mean a refused call changed nothing.
  std::vector<int64_t> Footprint() {
    std::vector<int64_t> counts;
    for (const char* table :
         {"transfers", "postings", "lots", "lot_consumptions", "holds", "accounts", "outbox"}) {
      counts.push_back(
          Scalar(absl::StrCat("SELECT count(*) FROM ", table, " WHERE program_id = $1")));
    }
    counts.push_back(
        Scalar("SELECT COALESCE(sum(balance), 0)::bigint FROM accounts WHERE program_id = $1"));
    counts.push_back(
        Scalar("SELECT COALESCE(sum(remaining), 0)::bigint FROM lots WHERE program_id = $1"));
    counts.push_back(
        Scalar("SELECT count(*) FROM holds WHERE program_id = $1 AND state <> 'HELD'"));
    return counts;
  }

  static TransferSpec Spec(std::string id, TransferKind kind, const Card& card, int64_t amount) {
    return TransferSpec{
        .transfer_id = std::move(id), .kind = kind, .card_number = card.number, .amount = amount};
  }
  static TransferSpec Accrual(std::string id, const Card& card, int64_t amount) {
    return Spec(std::move(id), TransferKind::kAccrual, card, amount);
  }
  static TransferSpec Redemption(std::string id, const Card& card, int64_t amount,
                                 std::string hold_id = "") {
    TransferSpec spec = Spec(std::move(id), TransferKind::kRedemption, card, amount);
    spec.hold_id = std::move(hold_id);
    return spec;
  }

  pg::Pool* pool_ = nullptr;
  FakeClock clock_;
  ScriptedNumberGenerator numbers_;
  std::unique_ptr<CardStore> cards_;
  std::unique_ptr<LedgerStore> ledger_;
  const std::string program_ = NewUuid();
};

}  // namespace loyalty::cards::testing
