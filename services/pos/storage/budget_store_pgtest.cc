#include <atomic>
#include <latch>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "gtest/gtest.h"
#include "libs/common/random_ids.h"
#include "libs/testing/migrated_database.h"
#include "services/pos/storage/budget_store.h"
#include "services/pos/storage/pos_store.h"

namespace loyalty::pos {
namespace {

constexpr char kProgram[] = "budget-program";
constexpr int kParallel = 16;

class BudgetStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // One connection per parallel receipt, and one to spare.
    auto database =
        testing::StartMigratedDatabase("pos", generated::PosMigrations(), kParallel + 1);
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database).release();
  }
  static void TearDownTestSuite() {
    delete database_;
    database_ = nullptr;
  }

  // Opens every connection of the pool first, concurrently: connecting
  // would otherwise space the receipts out so that they never overlap.
  static void WarmThePool() {
    std::vector<std::thread> threads;
    for (int i = 0; i < kParallel; ++i) {
      threads.emplace_back([] {
        EXPECT_TRUE(database_->pool
                        ->Transact([](pg::Tx& tx) {
                          tx.exec("SELECT pg_sleep(0.2)");
                          return absl::OkStatus();
                        })
                        .ok());
      });
    }
    for (std::thread& thread : threads) thread.join();
  }

  BudgetKey Key(std::string card = "7000") {
    return {.program_id = kProgram,
            .receipt_id = NewUuid(),
            .calculation = 1,
            .card_number = std::move(card)};
  }

  BudgetUsage Usage(absl::Time now) {
    absl::StatusOr<BudgetUsage> usage = store_.GetUsage(kProgram, campaign_, now);
    EXPECT_TRUE(usage.ok()) << usage.status();
    return usage.value_or(BudgetUsage{});
  }

  // Reserves `claim` for `keys.size()` receipts at once; returns the keys
  // that got it.
  std::vector<BudgetKey> ReserveTogether(const std::vector<BudgetKey>& keys,
                                         const BudgetClaim& claim, absl::Time now) {
    WarmThePool();
    std::vector<char> granted(keys.size(), 0);
    std::latch start(static_cast<std::ptrdiff_t>(keys.size()));
    std::vector<std::thread> threads;
    for (size_t i = 0; i < keys.size(); ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        absl::StatusOr<std::vector<std::string>> refused = store_.Reserve(keys[i], {claim}, now);
        ASSERT_TRUE(refused.ok()) << refused.status();
        granted[i] = refused->empty();
        if (!refused->empty()) {
          EXPECT_EQ(*refused, std::vector<std::string>{claim.campaign_id});
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    std::vector<BudgetKey> winners;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (granted[i]) winners.push_back(keys[i]);
    }
    return winners;
  }

  static inline testing::MigratedDatabase* database_ = nullptr;
  BudgetStore store_{*database_->pool, absl::Minutes(30)};
  // A campaign of its own per test: the database is shared by the suite.
  std::string campaign_ = NewUuid();
  const absl::Time t0_ = absl::FromUnixSeconds(1'800'000'000);
};

// CMP-5, the proof: 16 receipts each worth 300 of a campaign capped at
// 1000, all at once. Exactly floor(1000 / 300) = 3 get it, nothing is
// overspent, and confirming them all uses exactly what they reserved.
TEST_F(BudgetStoreTest, ParallelReceiptsNeverOverspendTheCap) {
  constexpr int64_t kCap = 1000, kEach = 300;
  const BudgetClaim claim{
      .campaign_id = campaign_, .budget = {.max_discount = kCap}, .discount = kEach};
  std::vector<BudgetKey> keys;
  for (int i = 0; i < kParallel; ++i) keys.push_back(Key(absl::StrCat("card-", i)));

  std::vector<BudgetKey> winners = ReserveTogether(keys, claim, t0_);
  ASSERT_EQ(winners.size(), static_cast<size_t>(kCap / kEach));
  BudgetUsage usage = Usage(t0_);
  EXPECT_EQ(usage.reserved_discount, 3 * kEach);
  EXPECT_LE(usage.used_discount + usage.reserved_discount, kCap);

  // Confirmed together too.
  std::latch start(static_cast<std::ptrdiff_t>(winners.size()));
  std::vector<std::thread> threads;
  for (const BudgetKey& key : winners) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      EXPECT_TRUE(store_.Consume(kProgram, key.receipt_id, key.calculation, t0_).ok());
    });
  }
  for (std::thread& thread : threads) thread.join();
  // A retried confirmation uses nothing more.
  ASSERT_TRUE(store_.Consume(kProgram, winners[0].receipt_id, 1, t0_).ok());
  usage = Usage(t0_);
  EXPECT_EQ(usage.used_discount, 3 * kEach);
  EXPECT_EQ(usage.used_receipts, 3);
  EXPECT_EQ(usage.reserved_discount, 0);

  // What is left is exactly 100.
  BudgetClaim rest = claim;
  rest.discount = kCap - 3 * kEach + 1;
  EXPECT_EQ(*store_.Reserve(Key(), {rest}, t0_), std::vector<std::string>{campaign_});
  rest.discount = kCap - 3 * kEach;
  EXPECT_TRUE(store_.Reserve(Key(), {rest}, t0_)->empty());
}

// One use per client: of 16 receipts of one card at once only one gets the
// campaign; another card still gets it; a discount cap per client is kept
// across receipts.
TEST_F(BudgetStoreTest, PerClientCapsHoldUnderConcurrency) {
  const BudgetClaim claim{
      .campaign_id = campaign_, .budget = {.max_uses_per_client = 1}, .discount = 10};
  std::vector<BudgetKey> keys;
  for (int i = 0; i < kParallel; ++i) keys.push_back(Key("card-a"));
  EXPECT_EQ(ReserveTogether(keys, claim, t0_).size(), 1u);
  EXPECT_TRUE(store_.Reserve(Key("card-b"), {claim}, t0_)->empty());
  EXPECT_FALSE(store_.Reserve(Key("card-b"), {claim}, t0_)->empty());

  const std::string other = NewUuid();
  const BudgetClaim per_client_discount{
      .campaign_id = other, .budget = {.max_discount_per_client = 500}, .discount = 200};
  BudgetKey first = Key("card-c");
  ASSERT_TRUE(store_.Reserve(first, {per_client_discount}, t0_)->empty());
  ASSERT_TRUE(store_.Consume(kProgram, first.receipt_id, 1, t0_).ok());
  EXPECT_TRUE(store_.Reserve(Key("card-c"), {per_client_discount}, t0_)->empty());   // 400
  EXPECT_FALSE(store_.Reserve(Key("card-c"), {per_client_discount}, t0_)->empty());  // 600
  EXPECT_TRUE(store_.Reserve(Key("card-d"), {per_client_discount}, t0_)->empty());
}

// All or nothing: a receipt refused one campaign holds nothing of the
// others it asked for.
TEST_F(BudgetStoreTest, AReservationIsAllOrNothing) {
  const std::string roomy = NewUuid();
  std::vector<BudgetClaim> claims = {
      {.campaign_id = roomy, .budget = {.max_discount = 1000}, .discount = 100},
      {.campaign_id = campaign_, .budget = {.max_bonus_points = 5}, .bonus_points = 6}};
  EXPECT_EQ(*store_.Reserve(Key(), claims, t0_), std::vector<std::string>{campaign_});
  absl::StatusOr<BudgetUsage> usage = store_.GetUsage(kProgram, roomy, t0_);
  // Rolled back with the refusal: not even the usage row was kept.
  EXPECT_EQ(usage.status().code(), absl::StatusCode::kNotFound);
}

// A recalculation reserves beside the calculation it replaces; the receipt
// counts once, with the larger; cancel releases everything.
TEST_F(BudgetStoreTest, ARecalculatedReceiptCountsOnceAndCancelReleases) {
  const BudgetClaim claim{
      .campaign_id = campaign_, .budget = {.max_discount = 300}, .discount = 300};
  BudgetKey key = Key();
  ASSERT_TRUE(store_.Reserve(key, {claim}, t0_)->empty());
  key.calculation = 2;
  ASSERT_TRUE(store_.Reserve(key, {claim}, t0_)->empty());
  EXPECT_EQ(Usage(t0_).reserved_discount, 300);
  EXPECT_FALSE(store_.Reserve(Key(), {claim}, t0_)->empty());  // someone else: full
  ASSERT_TRUE(store_.ReleaseBefore(kProgram, key.receipt_id, 2).ok());
  EXPECT_EQ(Usage(t0_).reserved_discount, 300);
  ASSERT_TRUE(store_.Release(kProgram, key.receipt_id, 0).ok());
  EXPECT_EQ(Usage(t0_).reserved_discount, 0);
  EXPECT_TRUE(store_.Reserve(Key(), {claim}, t0_)->empty());
}

// A receipt never confirmed stops holding budget when its reservation
// lapses; confirming it later checks the budget again.
TEST_F(BudgetStoreTest, LapsedReservationsStopCountingAndConfirmChecksAgain) {
  const BudgetClaim claim{
      .campaign_id = campaign_, .budget = {.max_discount = 500}, .discount = 300};
  BudgetKey slow = Key();
  ASSERT_TRUE(store_.Reserve(slow, {claim}, t0_)->empty());
  EXPECT_FALSE(store_.Reserve(Key(), {claim}, t0_ + absl::Minutes(29))->empty());
  const absl::Time later = t0_ + absl::Minutes(31);
  EXPECT_EQ(Usage(later).reserved_discount, 0);
  BudgetKey fast = Key();
  ASSERT_TRUE(store_.Reserve(fast, {claim}, later)->empty());
  EXPECT_EQ(store_.Consume(kProgram, slow.receipt_id, 1, later).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_.Consume(kProgram, fast.receipt_id, 1, later).ok());
  EXPECT_EQ(Usage(later).used_discount, 300);

  // A lapsed reservation the budget still covers is confirmed.
  const std::string roomy = NewUuid();
  BudgetKey lazy = Key();
  ASSERT_TRUE(
      store_
          .Reserve(lazy,
                   {{.campaign_id = roomy, .budget = {.max_discount = 1000}, .discount = 300}}, t0_)
          ->empty());
  EXPECT_TRUE(store_.Consume(kProgram, lazy.receipt_id, 1, later).ok());

  // The ledger refused: reserved again, then released by a cancel.
  ASSERT_TRUE(store_.Unconsume(kProgram, fast.receipt_id, 1, later).ok());
  BudgetUsage usage = Usage(later);
  EXPECT_EQ(usage.used_discount, 0);
  EXPECT_EQ(usage.reserved_discount, 300);
}

// Refunds give back the returned share of the receipt's value, cumulative:
// half the goods back is half the discount, the rest back is the rest and
// the receipt's use.
TEST_F(BudgetStoreTest, RefundsGiveBackTheirShare) {
  constexpr char kReceiptProgram[] = "11111111-2222-4333-8444-555555555555";
  PosStore receipts(*database_->pool);
  absl::StatusOr<Store> shop = receipts.CreateStore(kReceiptProgram, Store{.name = "Main"}, "");
  ASSERT_TRUE(shop.ok()) << shop.status();
  Receipt receipt;
  receipt.receipt_id = NewUuid();
  receipt.program_id = kReceiptProgram;
  receipt.store_id = shop->store_id;
  receipt.receipt_number = "B-1";
  receipt.card_number = "7000";
  receipt.lines = *PriceLines({{.sku = "a", .quantity = "2", .price = 10000}});
  receipt.lines[0].discount = 2001;
  receipt.total_amount = 20000;
  receipt.create_time = t0_;
  ASSERT_TRUE(receipts.SaveCalculation(receipt).ok());
  const BudgetKey key{.program_id = kReceiptProgram,
                      .receipt_id = receipt.receipt_id,
                      .calculation = 1,
                      .card_number = "7000"};
  const BudgetClaim claim{.campaign_id = campaign_,
                          .budget = {.max_discount = 10000, .max_uses_per_client = 1},
                          .discount = 2001};
  ASSERT_TRUE(store_.Reserve(key, {claim}, t0_)->empty());
  ASSERT_TRUE(receipts.BeginConfirm(kReceiptProgram, "", receipt.receipt_id, "").ok());
  ASSERT_TRUE(store_.Consume(kReceiptProgram, receipt.receipt_id, 1, t0_).ok());
  ASSERT_TRUE(receipts.FinishConfirm(kReceiptProgram, receipt.receipt_id, {}).ok());
  auto usage = [&] { return *store_.GetUsage(kReceiptProgram, campaign_, t0_); };
  EXPECT_EQ(usage().used_discount, 2001);

  ASSERT_TRUE(
      receipts.BeginRefund(kReceiptProgram, "", receipt.receipt_id, "half", {{1, "1"}}).ok());
  ASSERT_TRUE(store_.GiveBack(kReceiptProgram, receipt.receipt_id).ok());
  ASSERT_TRUE(store_.GiveBack(kReceiptProgram, receipt.receipt_id).ok());  // a retry
  EXPECT_EQ(usage().used_discount, 2001 - 1000);  // half of 2001, rounded down
  EXPECT_EQ(usage().used_receipts, 1);
  // The card's one use is still taken.
  BudgetKey again = Key("7000");
  again.program_id = kReceiptProgram;
  EXPECT_FALSE(store_.Reserve(again, {claim}, t0_)->empty());

  ASSERT_TRUE(
      receipts.BeginRefund(kReceiptProgram, "", receipt.receipt_id, "rest", {{1, "1"}}).ok());
  ASSERT_TRUE(store_.GiveBack(kReceiptProgram, receipt.receipt_id).ok());
  EXPECT_EQ(usage().used_discount, 0);
  EXPECT_EQ(usage().used_receipts, 0);
  again.receipt_id = NewUuid();
  EXPECT_TRUE(store_.Reserve(again, {claim}, t0_)->empty());
}

}  // namespace
}  // namespace loyalty::pos
