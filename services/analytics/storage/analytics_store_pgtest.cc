#include <vector>

#include "gtest/gtest.h"
#include "libs/common/random_ids.h"
#include "libs/testing/migrated_database.h"
#include "services/analytics/storage/analytics_store.h"

namespace loyalty::analytics {
namespace {

const absl::Time kDay = absl::FromUnixSeconds(1'709'251'200);  // 2024-03-01T00:00:00Z

class AnalyticsStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto database =
        testing::StartMigratedDatabase("analytics", generated::AnalyticsMigrations(), 4);
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database).release();
    server_ = database_->server.get();
    pool_ = database_->pool.get();
  }
  static void TearDownTestSuite() { delete database_; }

  void SetUp() override {
    program_id_ = NewUuid();
    store_a_ = NewUuid();
    store_b_ = NewUuid();
  }

  SaleFact Sale(const std::string& store_id, absl::Time at, int64_t amount) {
    return SaleFact{.event_id = NewUuid(),
                    .program_id = program_id_,
                    .receipt_id = NewUuid(),
                    .store_id = store_id,
                    .confirm_time = at,
                    .total_amount = amount,
                    .total_discount = amount / 10,
                    .points_earned = amount / 100,
                    .points_spent = 5};
  }

  RefundFact Refund(const std::string& store_id, absl::Time at, int64_t amount) {
    return RefundFact{.event_id = NewUuid(),
                      .program_id = program_id_,
                      .refund_id = NewUuid(),
                      .receipt_id = NewUuid(),
                      .store_id = store_id,
                      .refund_time = at,
                      .amount = amount,
                      .points_reversed = 1,
                      .points_returned = 2};
  }

  SalesSummary Summary(std::optional<absl::Time> start, absl::Time end,
                       const std::string& store_id = "") {
    auto summary = store_.GetSalesSummary(
        program_id_, SummaryQuery{.start = start, .end = end, .store_id = store_id});
    EXPECT_TRUE(summary.ok()) << summary.status();
    return summary.value_or(SalesSummary{});
  }

  static testing::MigratedDatabase* database_;
  static testing::PostgresServer* server_;
  static pg::Pool* pool_;
  AnalyticsStore store_{*pool_};
  std::string program_id_;
  std::string store_a_;
  std::string store_b_;
};

testing::MigratedDatabase* AnalyticsStoreTest::database_ = nullptr;
testing::PostgresServer* AnalyticsStoreTest::server_ = nullptr;
pg::Pool* AnalyticsStoreTest::pool_ = nullptr;

TEST_F(AnalyticsStoreTest, SumsThePeriodStartInclusiveEndExclusive) {
  const absl::Time start = kDay;
  const absl::Time end = kDay + absl::Hours(24);
  ASSERT_TRUE(store_.ApplySale(Sale(store_a_, start, 10000)).ok());                          // in
  ASSERT_TRUE(store_.ApplySale(Sale(store_b_, end - absl::Microseconds(1), 2000)).ok());     // in
  ASSERT_TRUE(store_.ApplySale(Sale(store_a_, end, 50000)).ok());                            // out
  ASSERT_TRUE(store_.ApplySale(Sale(store_a_, start - absl::Microseconds(1), 70000)).ok());  // out
  ASSERT_TRUE(store_.ApplyRefund(Refund(store_a_, start + absl::Hours(1), 900)).ok());
  ASSERT_TRUE(store_.ApplyRefund(Refund(store_a_, end, 111)).ok());  // out

  SalesSummary day = Summary(start, end);
  EXPECT_EQ(day.receipts, 2);
  EXPECT_EQ(day.revenue, (10000 - 1000) + (2000 - 200));
  EXPECT_EQ(day.points_earned, 100 + 20);
  EXPECT_EQ(day.points_spent, 10);
  EXPECT_EQ(day.refunded, 900);

  SalesSummary only_a = Summary(start, end, store_a_);
  EXPECT_EQ(only_a.receipts, 1);
  EXPECT_EQ(only_a.revenue, 9000);
  EXPECT_EQ(only_a.refunded, 900);

  SalesSummary everything = Summary(std::nullopt, end + absl::Hours(1));
  EXPECT_EQ(everything.receipts, 4);
  EXPECT_EQ(everything.refunded, 1011);

  SalesSummary empty = Summary(start, start);
  EXPECT_EQ(empty.receipts, 0);
  EXPECT_EQ(empty.revenue, 0);
}

TEST_F(AnalyticsStoreTest, EachEventAndReceiptCountsOnce) {
  SaleFact sale = Sale(store_a_, kDay, 1000);
  auto first = store_.ApplySale(sale);
  auto again = store_.ApplySale(sale);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*again);
  // The same receipt under another event id is still one receipt.
  SaleFact republished = sale;
  republished.event_id = NewUuid();
  ASSERT_TRUE(store_.ApplySale(republished).ok());

  RefundFact refund = Refund(store_a_, kDay, 300);
  ASSERT_TRUE(store_.ApplyRefund(refund).ok());
  auto refund_again = store_.ApplyRefund(refund);
  ASSERT_TRUE(refund_again.ok());
  EXPECT_FALSE(*refund_again);

  SalesSummary summary = Summary(std::nullopt, kDay + absl::Hours(1));
  EXPECT_EQ(summary.receipts, 1);
  EXPECT_EQ(summary.revenue, 900);
  EXPECT_EQ(summary.refunded, 300);
}

// POS-5: a cancelled sale stops counting, with the refunds it had, once.
TEST_F(AnalyticsStoreTest, ACancelledSaleCountsNeitherAsReceiptNorAsRevenue) {
  ASSERT_TRUE(store_.ApplySale(Sale(store_a_, kDay, 2000)).ok());
  SaleFact sale = Sale(store_a_, kDay, 1000);
  ASSERT_TRUE(store_.ApplySale(sale).ok());
  RefundFact partial = Refund(store_a_, kDay, 300);
  partial.receipt_id = sale.receipt_id;
  ASSERT_TRUE(store_.ApplyRefund(partial).ok());
  RefundFact cancel = Refund(store_a_, kDay + absl::Minutes(5), 600);
  cancel.receipt_id = sale.receipt_id;
  cancel.cancels_sale = true;
  auto applied = store_.ApplyRefund(cancel);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_TRUE(*applied);
  auto again = store_.ApplyRefund(cancel);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);

  SalesSummary summary = Summary(std::nullopt, kDay + absl::Hours(1));
  EXPECT_EQ(summary.receipts, 1);
  EXPECT_EQ(summary.revenue, 1800);
  EXPECT_EQ(summary.refunded, 0);
  EXPECT_EQ(summary.points_earned, 20);
}

TEST_F(AnalyticsStoreTest, ProgramsAreIsolated) {
  ASSERT_TRUE(store_.ApplySale(Sale(store_a_, kDay, 1000)).ok());
  std::string mine = program_id_;
  program_id_ = NewUuid();
  SalesSummary theirs = Summary(std::nullopt, kDay + absl::Hours(1));
  EXPECT_EQ(theirs.receipts, 0);
  // Even when filtering by my store.
  EXPECT_EQ(Summary(std::nullopt, kDay + absl::Hours(1), store_a_).receipts, 0);
  program_id_ = mine;
  EXPECT_EQ(Summary(std::nullopt, kDay + absl::Hours(1)).receipts, 1);
}

}  // namespace
}  // namespace loyalty::analytics
