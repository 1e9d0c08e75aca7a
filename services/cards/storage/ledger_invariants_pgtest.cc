// The invariant checker must notice broken ledgers, or its silence after
// the concurrency and fault tests means nothing. Each case corrupts a
// database of its own.

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "services/cards/storage/ledger_invariants.h"
#include "services/cards/storage/master_account_store.h"
#include "services/cards/testing/pg_fixture.h"

namespace loyalty::cards {
namespace {

using testing::Database;
using testing::FakeClock;
using testing::ScriptedNumberGenerator;

class LedgerInvariantsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Database().status.ok()) << Database().status;
    loyalty::testing::PostgresServer& server = *Database().server;
    static int databases = 0;
    database_ = absl::StrCat("invariants_", ++databases);
    ASSERT_TRUE(server.CreateDatabase(database_).ok());
    conninfo_ = server.ConnectionString(database_);
    pool_ = std::make_unique<pg::Pool>(
        pg::PoolOptions{.conninfo = conninfo_, .schema = "cards", .size = 2});
    ASSERT_TRUE(pg::ApplyMigrations(*pool_, "cards", AllCardsMigrations()).ok());

    CardStore cards(*pool_, clock_, numbers_);
    LedgerStore ledger(*pool_, clock_);
    auto card = cards.Issue("p1", {.client_id = NewUuid()});
    ASSERT_TRUE(card.ok()) << card.status();
    std::vector<TransferSpec> transfers = {{.transfer_id = "a-1",
                                            .kind = TransferKind::kAccrual,
                                            .card_number = card->number,
                                            .amount = 100},
                                           {.transfer_id = "r-1",
                                            .kind = TransferKind::kRedemption,
                                            .card_number = card->number,
                                            .amount = 30,
                                            .hold_id = "h-1"}};
    ASSERT_TRUE(ledger.CommitTransfers("p1", std::span(transfers).first(1)).ok());
    ASSERT_TRUE(
        ledger.HoldPoints("p1", {.hold_id = "h-1", .card_number = card->number, .amount = 30})
            .ok());
    ASSERT_TRUE(ledger.CommitTransfers("p1", std::span(transfers).subspan(1)).ok());
    auto clean = FindLedgerInvariantViolations(*pool_, {.check_events = true});
    ASSERT_TRUE(clean.ok()) << clean.status();
    ASSERT_TRUE(clean->empty()) << absl::StrJoin(*clean, "\n");
  }

  // Runs `sql` as the database owner, bypassing the service's rules.
  void Corrupt(const std::string& sql) {
    auto done =
        Database().server->Query(absl::StrCat("SET search_path TO cards; ", sql), database_);
    ASSERT_TRUE(done.ok()) << done.status();
  }

  // The violations found over a plain connection string, as end-to-end
  // tests will call it.
  std::vector<std::string> Violations() {
    auto violations = FindLedgerInvariantViolations(conninfo_, "cards", {.check_events = true});
    EXPECT_TRUE(violations.ok()) << violations.status();
    return violations.ok() ? *violations : std::vector<std::string>{};
  }

  static bool Mentions(const std::vector<std::string>& violations, absl::string_view what) {
    for (const std::string& violation : violations) {
      if (absl::StartsWith(violation, what)) return true;
    }
    return false;
  }

  FakeClock clock_;
  ScriptedNumberGenerator numbers_;
  std::string database_;
  std::string conninfo_;
  std::unique_ptr<pg::Pool> pool_;
};

TEST_F(LedgerInvariantsTest, StoredBalanceDrift) {
  Corrupt("UPDATE accounts SET balance = balance + 5 WHERE kind = 'member'");
  std::vector<std::string> violations = Violations();
  EXPECT_TRUE(Mentions(violations, "member balance equals the sum of its postings"))
      << absl::StrJoin(violations, "\n");
  EXPECT_TRUE(Mentions(violations, "member balance equals the points left in its lots"));
}

TEST_F(LedgerInvariantsTest, UnbalancedPosting) {
  Corrupt(
      "INSERT INTO postings (program_id, transfer_id, account_id, amount, created_at)"
      " SELECT 'p1', 'a-1', account_id, 1, now() FROM accounts WHERE kind = 'issued'");
  std::vector<std::string> violations = Violations();
  EXPECT_TRUE(Mentions(violations, "postings of a program sum to zero"))
      << absl::StrJoin(violations, "\n");
  EXPECT_TRUE(Mentions(violations, "transfer has exactly its two postings"));
}

TEST_F(LedgerInvariantsTest, LotOutOfStepWithConsumptions) {
  Corrupt("UPDATE lots SET remaining = remaining - 1");
  std::vector<std::string> violations = Violations();
  EXPECT_TRUE(Mentions(violations, "lot remaining equals amount less consumptions"))
      << absl::StrJoin(violations, "\n");
}

TEST_F(LedgerInvariantsTest, HoldResolvedTwice) {
  Corrupt("UPDATE holds SET state = 'VOIDED', posted_transfer_id = NULL");
  std::vector<std::string> violations = Violations();
  EXPECT_TRUE(Mentions(violations, "hold is resolved at most once"))
      << absl::StrJoin(violations, "\n");
}

// A balance below zero is right only as far as reversals took debt.
TEST_F(LedgerInvariantsTest, NegativeMemberBalanceWithoutDebt) {
  Corrupt("UPDATE accounts SET balance = -1 WHERE kind = 'member'");
  EXPECT_TRUE(Mentions(Violations(), "member balance equals the points left in its lots less"));
}

TEST_F(LedgerInvariantsTest, DebtRepaidBeyondWhatWasOwed) {
  // transfers are append-only (a trigger refuses UPDATE): a replica-role
  // session, as the owner, skips ordinary triggers.
  Corrupt(
      "SET session_replication_role = replica;"
      " UPDATE transfers SET debt_change = -1 WHERE kind = 'ACCRUAL';"
      " UPDATE lots SET amount = amount - 1, remaining = remaining - 1"
      " WHERE origin_kind = 'ACCRUAL' AND remaining > 0");
  EXPECT_TRUE(Mentions(Violations(), "member debt is not negative"));
}

TEST_F(LedgerInvariantsTest, OrphanLedgerRows) {
  Corrupt(
      "INSERT INTO postings (program_id, transfer_id, account_id, amount, created_at)"
      " SELECT 'p1', 'no-such-transfer', account_id, 1, now() FROM accounts"
      " WHERE kind = 'member';"
      " INSERT INTO lots (program_id, account_id, transfer_id, origin_kind, amount, remaining,"
      "                   activate_at)"
      " VALUES ('p1', gen_random_uuid(), 'a-1-twin', 'ACCRUAL', 5, 5, now());"
      " INSERT INTO lot_consumptions (program_id, lot_id, transfer_id, amount)"
      " VALUES ('p1', -7, 'r-1', 1);"
      // A posting of a stored transfer on an account that does not exist.
      " INSERT INTO postings (program_id, transfer_id, account_id, amount, created_at)"
      " VALUES ('p1', 'a-1', gen_random_uuid(), 1, now())");
  std::vector<std::string> violations = Violations();
  int postings = 0;
  for (const std::string& violation : violations) {
    postings += absl::StartsWith(violation, "ledger rows belong to a stored transfer and account: posting ");
  }
  EXPECT_EQ(postings, 2) << absl::StrJoin(violations, "\n");  // no transfer; no account
  for (const char* orphan : {": posting ", ": lot ", ": consumption of lot -7 by r-1"}) {
    bool found = false;
    for (const std::string& violation : violations) {
      found |= absl::StartsWith(violation, "ledger rows belong to a stored transfer and account") &&
               absl::StrContains(violation, orphan);
    }
    EXPECT_TRUE(found) << orphan << " in\n" << absl::StrJoin(violations, "\n");
  }
}

TEST_F(LedgerInvariantsTest, MissingEvent) {
  Corrupt("DELETE FROM outbox WHERE event_type = 'loyalty.cards.v1.PointsTransferred'");
  EXPECT_TRUE(Mentions(Violations(), "transfer emitted exactly one PointsTransferred event"));
}

// A master account of two cards, then one broken fact at a time.
class MasterAccountInvariantsTest : public LedgerInvariantsTest {
 protected:
  void SetUp() override {
    LedgerInvariantsTest::SetUp();
    CardStore cards(*pool_, clock_, numbers_);
    LedgerStore ledger(*pool_, clock_);
    MasterAccountStore masters(*pool_, clock_);
    std::vector<std::string> numbers;
    for (int i = 0; i < 2; ++i) {
      auto card = cards.Issue("p1", {.client_id = NewUuid()});
      ASSERT_TRUE(card.ok()) << card.status();
      const TransferSpec accrual{.transfer_id = absl::StrCat("m-", i),
                                 .kind = TransferKind::kAccrual,
                                 .card_number = card->number,
                                 .amount = 40};
      ASSERT_TRUE(ledger.CommitTransfers("p1", {&accrual, 1}).ok());
      numbers.push_back(card->number);
    }
    auto master = masters.Create("p1", numbers, LeaveRule::kProportional, "family", "");
    ASSERT_TRUE(master.ok()) << master.status();
    auto left = masters.RemoveMember("p1", master->master_account_id, numbers[1],
                                     LeaveRule::kProportional, "leave", "");
    ASSERT_TRUE(left.ok()) << left.status();
    member_ = numbers[0];
    ASSERT_TRUE(Violations().empty()) << absl::StrJoin(Violations(), "\n");
  }

  std::string member_;
};

TEST_F(MasterAccountInvariantsTest, JoinedPointsOff) {
  Corrupt("UPDATE master_members SET joined_points = joined_points + 1 WHERE left_at IS NULL");
  EXPECT_TRUE(Mentions(Violations(), "membership's joined and taken points"));
}

TEST_F(MasterAccountInvariantsTest, TakenPointsOff) {
  Corrupt("UPDATE master_members SET taken_points = taken_points + 1 WHERE left_at IS NOT NULL");
  EXPECT_TRUE(Mentions(Violations(), "membership's joined and taken points"));
}

TEST_F(MasterAccountInvariantsTest, MemberCardBackOnItsOwnAccount) {
  Corrupt(
      absl::StrCat("UPDATE cards c SET account_id = m.own_account_id FROM master_members m"
                   " WHERE m.card_number = c.number AND c.number = '",
                   member_, "'"));
  EXPECT_TRUE(Mentions(Violations(), "member cards and only they point at their master account"));
}

TEST_F(MasterAccountInvariantsTest, StrangerOnTheMasterAccount) {
  Corrupt("DELETE FROM master_members WHERE left_at IS NULL");
  EXPECT_TRUE(Mentions(Violations(), "member cards and only they point at their master account"));
}

TEST_F(MasterAccountInvariantsTest, CardOnASystemAccount) {
  Corrupt(
      absl::StrCat("UPDATE cards SET account_id = (SELECT account_id FROM accounts"
                   " WHERE kind = 'issued') WHERE number = '",
                   member_, "'"));
  EXPECT_TRUE(Mentions(Violations(), "card's account is a member account"));
}

TEST_F(MasterAccountInvariantsTest, DissolvedButNotEmpty) {
  Corrupt("UPDATE master_accounts SET state = 'DISSOLVED', dissolved_at = now()");
  EXPECT_TRUE(Mentions(Violations(), "dissolved master account is empty"));
}

}  // namespace
}  // namespace loyalty::cards
