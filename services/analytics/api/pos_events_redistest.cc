// pos's events, in the exact form the outbox relay writes them to Redis, read
// through the `analytics` consumer group into the sales read model.
#include <pqxx/pqxx>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/common/random_ids.h"
#include "libs/outbox/outbox.h"
#include "libs/redis/client.h"
#include "libs/testing/postgres_server.h"
#include "libs/testing/redis_server.h"
#include "loyalty/pos/v1/events.pb.h"
#include "prometheus/registry.h"
#include "services/analytics/api/pos_events.h"
#include "services/analytics/storage/analytics_store.h"

namespace loyalty::analytics {
namespace {

constexpr char kStream[] = "loyalty.pos.events";
constexpr char kConfirmed[] = "loyalty.pos.v1.ReceiptConfirmed";
constexpr char kRefunded[] = "loyalty.pos.v1.ReceiptRefunded";
const absl::Time kMarch1 = absl::FromUnixSeconds(1'709'251'200);  // 2024-03-01T00:00:00Z

class PosEventsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pg_server = testing::PostgresServer::Start();
    ASSERT_TRUE(pg_server.ok()) << pg_server.status();
    pg_server_ = std::move(*pg_server).release();
    auto redis_server = testing::RedisServer::Start();
    ASSERT_TRUE(redis_server.ok()) << redis_server.status();
    redis_server_ = std::move(*redis_server).release();
    pool_ = new pg::Pool(pg::PoolOptions{.conninfo = pg_server_->ConnectionString(),
                                         .schema = "analytics", .size = 4});
    std::vector<pg::Migration> all;
    for (const auto& m : generated::AnalyticsMigrations()) all.push_back(m);
    for (const auto& m : outbox::Migrations()) all.push_back(m);
    ASSERT_TRUE(pg::ApplyMigrations(*pool_, "analytics", all).ok());
  }
  static void TearDownTestSuite() {
    delete pool_;
    delete redis_server_;
    delete pg_server_;
  }

  void SetUp() override {
    ASSERT_TRUE(redis_server_->FlushAll().ok());
    redis_ = std::make_unique<redis::Client>(
        redis::ClientOptions{.address = absl::StrCat("127.0.0.1:", redis_server_->port())});
  }

  // XADD with the fields and order of outbox::Relay::PublishBatch.
  void Publish(const std::string& event_id, const std::string& type,
               const std::string& program_id, const std::string& payload) {
    auto reply = redis_->Command({"XADD", kStream, "MAXLEN", "~", "1000000", "*", "event_id",
                                  event_id, "type", type, "program_id", program_id, "payload",
                                  payload, "occurred_at", "2024-03-01T12:00:00.000000Z"});
    ASSERT_TRUE(reply.ok()) << reply.status();
  }

  // proto3 JSON as outbox::Append writes it: original field names, int64 as
  // strings, zero values omitted.
  static std::string ConfirmedPayload(const std::string& receipt_id, const std::string& store_id,
                                      int64_t amount, int64_t discount, int64_t earned,
                                      int64_t spent, const std::string& time) {
    return absl::StrCat(
        "{\"receipt_id\":\"", receipt_id, "\",\"store_id\":\"", store_id,
        "\",\"card_number\":\"7000000000001\",\"total_amount\":\"", amount,
        "\",\"total_discount\":\"", discount, "\",\"points_spent\":\"", spent,
        "\",\"points_earned\":\"", earned,
        "\",\"lines\":[{\"sku\":\"A-1\",\"category\":\"food\",\"quantity_milli\":\"1000\","
        "\"amount\":\"", amount, "\",\"discount\":\"", discount, "\"}],\"confirm_time\":\"",
        time, "\"}");
  }

  static std::string RefundedPayload(const std::string& refund_id, const std::string& receipt_id,
                                     const std::string& store_id, int64_t amount,
                                     const std::string& time) {
    return absl::StrCat("{\"refund_id\":\"", refund_id, "\",\"receipt_id\":\"", receipt_id,
                        "\",\"store_id\":\"", store_id, "\",\"amount\":\"", amount,
                        "\",\"points_reversed\":\"3\",\"points_returned\":\"1\","
                        "\"refund_time\":\"", time, "\"}");
  }

  // Polls until `entries` stream entries have been handled, with a deadline
  // instead of a sleep.
  static int PollUntil(outbox::StreamConsumer& consumer, int entries) {
    int handled = 0;
    absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (handled < entries && absl::Now() < deadline) {
      absl::StatusOr<int> round = consumer.PollOnce(absl::Milliseconds(100));
      if (round.ok()) handled += *round;
    }
    return handled;
  }

  SalesSummary Summary(const std::string& program_id, const std::string& store_id = "") {
    auto summary = store_.GetSalesSummary(
        program_id, SummaryQuery{.start = kMarch1, .end = kMarch1 + absl::Hours(24),
                                 .store_id = store_id});
    EXPECT_TRUE(summary.ok()) << summary.status();
    return summary.value_or(SalesSummary{});
  }

  int64_t Count(const std::string& sql) {
    int64_t value = -1;
    EXPECT_TRUE(pool_->Transact([&](pg::Tx& tx) {
      value = tx.exec1(sql)[0].as<int64_t>();
      return absl::OkStatus();
    }).ok());
    return value;
  }

  outbox::StreamConsumer MakeConsumer(const std::string& name) {
    return outbox::StreamConsumer(
        *redis_, kStream, kPosEventsGroup, name,
        [this](const outbox::StreamEvent& event) { return handler_.Handle(event); });
  }

  static testing::PostgresServer* pg_server_;
  static testing::RedisServer* redis_server_;
  static pg::Pool* pool_;
  std::unique_ptr<redis::Client> redis_;
  AnalyticsStore store_{*pool_};
  prometheus::Registry registry_;
  PosEventHandler handler_{store_, registry_};
};

testing::PostgresServer* PosEventsTest::pg_server_ = nullptr;
testing::RedisServer* PosEventsTest::redis_server_ = nullptr;
pg::Pool* PosEventsTest::pool_ = nullptr;

TEST_F(PosEventsTest, EachEventCountsOnce) {
  std::string program = NewUuid();
  std::string other_program = NewUuid();
  std::string store_1 = NewUuid();
  std::string store_2 = NewUuid();
  std::string receipt_1 = NewUuid();
  std::string first_event = NewUuid();

  Publish(first_event, kConfirmed, program,
          ConfirmedPayload(receipt_1, store_1, 15000, 1500, 135, 20,
                           "2024-03-01T10:15:00.250Z"));
  Publish(NewUuid(), kConfirmed, program,
          ConfirmedPayload(NewUuid(), store_2, 4000, 0, 40, 0, "2024-03-01T11:00:00Z"));
  Publish(first_event, kConfirmed, program,  // redelivery of the first event
          ConfirmedPayload(receipt_1, store_1, 15000, 1500, 135, 20,
                           "2024-03-01T10:15:00.250Z"));
  Publish(NewUuid(), kRefunded, program,
          RefundedPayload(NewUuid(), receipt_1, store_1, 2700, "2024-03-01T18:00:00Z"));
  // Outside the period (next day), another program, other types, garbage.
  Publish(NewUuid(), kConfirmed, program,
          ConfirmedPayload(NewUuid(), store_1, 99900, 0, 999, 0, "2024-03-02T00:00:00Z"));
  Publish(NewUuid(), kConfirmed, other_program,
          ConfirmedPayload(NewUuid(), store_1, 777, 0, 7, 0, "2024-03-01T09:00:00Z"));
  Publish(NewUuid(), "loyalty.pos.v1.ReceiptCancelled", program, "{}");
  Publish(NewUuid(), kRefunded, program, "{\"amount\": \"not a number\"}");

  outbox::StreamConsumer consumer = MakeConsumer("test-1");
  EXPECT_EQ(PollUntil(consumer, 8), 8);

  SalesSummary summary = Summary(program);
  EXPECT_EQ(summary.receipts, 2);
  EXPECT_EQ(summary.revenue, (15000 - 1500) + 4000);
  EXPECT_EQ(summary.points_earned, 135 + 40);
  EXPECT_EQ(summary.points_spent, 20);
  EXPECT_EQ(summary.refunded, 2700);

  SalesSummary store_2_only = Summary(program, store_2);
  EXPECT_EQ(store_2_only.receipts, 1);
  EXPECT_EQ(store_2_only.revenue, 4000);
  EXPECT_EQ(store_2_only.refunded, 0);

  EXPECT_EQ(Summary(other_program).receipts, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM processed_events"), 5);

  auto pending = redis_->Command({"XPENDING", kStream, kPosEventsGroup});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->elements.at(0).integer, 0);
}

TEST_F(PosEventsTest, FailedEntryIsRedeliveredAndCountedOnce) {
  std::string program = NewUuid();
  Publish(NewUuid(), kConfirmed, program,
          ConfirmedPayload(NewUuid(), NewUuid(), 1000, 0, 10, 0, "2024-03-01T08:00:00Z"));
  int calls = 0;
  outbox::StreamConsumer consumer(*redis_, kStream, kPosEventsGroup, "test-2",
                                  [&](const outbox::StreamEvent& event) -> absl::Status {
                                    // Applied, then "crashed" before the ack.
                                    absl::Status status = handler_.Handle(event);
                                    if (++calls == 1) return absl::UnavailableError("boom");
                                    return status;
                                  });
  EXPECT_FALSE(consumer.PollOnce(absl::ZeroDuration()).ok());
  EXPECT_EQ(PollUntil(consumer, 1), 1);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(Summary(program).receipts, 1);
  EXPECT_EQ(Summary(program).revenue, 1000);
}

TEST_F(PosEventsTest, EventsFromARealOutboxRelay) {
  pg::Pool pos_pool(pg::PoolOptions{.conninfo = pg_server_->ConnectionString(),
                                    .schema = "pos_fake", .size = 2});
  ASSERT_TRUE(pg::ApplyMigrations(pos_pool, "pos_fake", outbox::Migrations()).ok());
  std::string program = NewUuid();
  ASSERT_TRUE(pos_pool.Transact([&](pg::Tx& tx) {
    pos::v1::ReceiptConfirmed confirmed;
    confirmed.set_receipt_id(NewUuid());
    confirmed.set_store_id(NewUuid());
    confirmed.set_total_amount(12345);
    confirmed.set_total_discount(345);
    confirmed.set_points_earned(120);
    confirmed.set_points_spent(7);
    confirmed.mutable_confirm_time()->set_seconds(absl::ToUnixSeconds(kMarch1) + 60);
    outbox::Append(tx, outbox::StreamFor("pos"), program, confirmed);
    pos::v1::ReceiptRefunded refunded;
    refunded.set_refund_id(NewUuid());
    refunded.set_receipt_id(confirmed.receipt_id());
    refunded.set_store_id(confirmed.store_id());
    refunded.set_amount(1000);
    refunded.mutable_refund_time()->set_seconds(absl::ToUnixSeconds(kMarch1) + 120);
    outbox::Append(tx, outbox::StreamFor("pos"), program, refunded);
    return absl::OkStatus();
  }).ok());
  prometheus::Registry relay_registry;
  outbox::Relay relay(pos_pool, *redis_, relay_registry);
  auto published = relay.PublishBatch();
  ASSERT_TRUE(published.ok()) << published.status();
  ASSERT_EQ(*published, 2);

  outbox::StreamConsumer consumer = MakeConsumer("test-3");
  EXPECT_EQ(PollUntil(consumer, 2), 2);
  SalesSummary summary = Summary(program);
  EXPECT_EQ(summary.receipts, 1);
  EXPECT_EQ(summary.revenue, 12000);
  EXPECT_EQ(summary.points_earned, 120);
  EXPECT_EQ(summary.points_spent, 7);
  EXPECT_EQ(summary.refunded, 1000);
}

}  // namespace
}  // namespace loyalty::analytics
