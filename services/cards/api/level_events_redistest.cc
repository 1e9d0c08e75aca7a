// The level consumers against real Redis and PostgreSQL: pos's receipt
// events in the exact form the outbox relay writes them, and this service's
// own ledger events published by a real relay, read through the
// `cards-levels` consumer group into the activity model and the levels.

#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/common/random_ids.h"
#include "libs/outbox/outbox.h"
#include "libs/redis/client.h"
#include "libs/testing/redis_server.h"
#include "prometheus/registry.h"
#include "services/cards/api/level_events.h"
#include "services/cards/api/level_metrics.h"
#include "services/cards/testing/levels_fixture.h"

namespace loyalty::cards {
namespace {

constexpr char kPosStream[] = "loyalty.pos.events";
constexpr char kCardsStream[] = "loyalty.cards.events";
constexpr char kConfirmed[] = "loyalty.pos.v1.ReceiptConfirmed";
constexpr char kRefunded[] = "loyalty.pos.v1.ReceiptRefunded";

class LevelEventsTest : public testing::LevelsPgTest {
 protected:
  static void SetUpTestSuite() {
    auto server = loyalty::testing::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    redis_server_ = std::move(*server).release();
  }
  static void TearDownTestSuite() {
    delete redis_server_;
    redis_server_ = nullptr;
  }

  void SetUp() override {
    LevelsPgTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(redis_server_->FlushAll().ok());
    redis_ =
        std::make_unique<redis::Client>(redis::ClientOptions{.address = redis_server_->address()});
    metrics_ = std::make_unique<LevelMetrics>(registry_);
    handler_ = std::make_unique<LevelEventHandler>(*activity_, *bonuses_, *metrics_);
    type_ = MakeLevelType();
    MakeLevel(type_, "Base", 0);
    MakeLevel(type_, "Gold", 5000, LevelSpec{.bonus_points = 250});
    card_ = IssueWith(MakeTemplate(type_.level_type_id));
  }

  // XADD with the fields and order of outbox::Relay::PublishBatch.
  void Publish(const std::string& event_id, const std::string& type, const std::string& payload,
               const std::string& program = "") {
    auto reply = redis_->Command({"XADD", kPosStream, "*", "event_id", event_id, "type", type,
                                  "program_id", program.empty() ? program_ : program, "payload",
                                  payload, "occurred_at", "2025-06-15T12:00:00.000000Z"});
    ASSERT_TRUE(reply.ok()) << reply.status();
  }

  // proto3 JSON as outbox::Append writes it.
  std::string Confirmed(const std::string& receipt_id, int64_t total, int64_t discount,
                        const std::string& card_number) {
    return absl::StrCat(
        "{\"receipt_id\":\"", receipt_id, "\",\"store_id\":\"s-1\",",
        card_number.empty() ? "" : absl::StrCat("\"card_number\":\"", card_number, "\","),
        "\"total_amount\":\"", total, "\",\"total_discount\":\"", discount,
        "\",\"confirm_time\":\"",
        absl::FormatTime(absl::RFC3339_full, clock_.Now(), absl::UTCTimeZone()), "\"}");
  }

  // Reads `stream` with `handler`, or by default as the service does: every
  // entry of a read at once.
  outbox::StreamConsumer Consumer(const char* stream, const std::string& name,
                                  outbox::StreamConsumer::Handler handler = nullptr) {
    if (handler) {
      return outbox::StreamConsumer(*redis_, stream, kLevelEventsGroup, name, std::move(handler));
    }
    return outbox::StreamConsumer(
        *redis_, stream, kLevelEventsGroup, name,
        [this, stream](std::span<const outbox::StreamEvent> events) {
          return std::string(stream) == kPosStream ? handler_->HandlePosEvents(events)
                                                   : handler_->HandleCardsEvents(events);
        });
  }

  // A PointsTransferred entry as the relay publishes it.
  static outbox::StreamEvent PointsEvent(const std::string& program_id,
                                         const std::string& card_number, int64_t amount) {
    return outbox::StreamEvent{
        .entry_id = "0-1",
        .event_id = NewUuid(),
        .type = "loyalty.cards.v1.PointsTransferred",
        .program_id = program_id,
        .payload = absl::StrCat("{\"transfer_id\":\"", NewUuid(), "\",\"card_number\":\"",
                                card_number, "\",\"kind\":\"TRANSFER_KIND_ACCRUAL\",\"amount\":\"",
                                amount, "\"}"),
        .occurred_at = "2025-06-15T12:00:00.000000Z"};
  }

  // Polls until `done` holds, with a deadline instead of a sleep.
  static bool PollUntil(outbox::StreamConsumer& consumer, const std::function<bool()>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      if (done()) return true;
      (void)consumer.PollOnce(absl::Milliseconds(50));
    }
    return done();
  }

  // Handles everything in the stream so far.
  static int Drain(outbox::StreamConsumer& consumer) {
    int handled = 0;
    for (;;) {
      absl::StatusOr<int> round = consumer.PollOnce(absl::Milliseconds(50));
      if (!round.ok() || *round == 0) return handled;
      handled += *round;
    }
  }

  // Publishes what the cards outbox holds, as the service's relay does.
  void RelayOutbox() {
    prometheus::Registry relay_registry;
    outbox::Relay relay(*pool_, *redis_, relay_registry);
    for (;;) {
      auto published = relay.PublishBatch();
      ASSERT_TRUE(published.ok()) << published.status();
      if (*published == 0) return;
    }
  }

  int64_t ActivitySum(const char* column) {
    return Scalar(absl::StrCat("SELECT COALESCE(sum(", column,
                               "), 0)::bigint FROM card_activity_days WHERE program_id = $1"));
  }

  double Consumed(const std::string& stream, const std::string& outcome) {
    for (const auto& family : registry_.Collect()) {
      if (family.name != "loyalty_events_consumed_total") continue;
      for (const auto& metric : family.metric) {
        int matched = 0;
        for (const auto& label : metric.label) {
          if ((label.name == "stream" && label.value == stream) ||
              (label.name == "outcome" && label.value == outcome)) {
            ++matched;
          }
        }
        if (matched == 2) return metric.counter.value;
      }
    }
    return 0;
  }

  static loyalty::testing::RedisServer* redis_server_;
  std::unique_ptr<redis::Client> redis_;
  prometheus::Registry registry_;
  std::unique_ptr<LevelMetrics> metrics_;
  std::unique_ptr<LevelEventHandler> handler_;
  LevelType type_;
  Card card_;
};

loyalty::testing::RedisServer* LevelEventsTest::redis_server_ = nullptr;

TEST_F(LevelEventsTest, ReceiptsMoveTheCardUpOnceWithItsBonus) {
  const std::string first_event = NewUuid();
  Publish(first_event, kConfirmed, Confirmed("R-1", 3500, 500, card_.number));  // paid 3000
  Publish(NewUuid(), kConfirmed, Confirmed("R-2", 2000, 0, card_.number));      // 5000: Gold
  Publish(first_event, kConfirmed, Confirmed("R-1", 3500, 500, card_.number));  // redelivery
  Publish(NewUuid(), kRefunded,
          "{\"refund_id\":\"F-1\",\"receipt_id\":\"R-2\",\"amount\":\"500\"}");
  Publish(NewUuid(), kConfirmed, Confirmed("R-3", 9999, 0, ""));                       // anonymous
  Publish(NewUuid(), kConfirmed, Confirmed("R-4", 9999, 0, card_.number), NewUuid());  // other
  Publish(NewUuid(), "loyalty.pos.v1.ReceiptCancelled", "{}");
  Publish(NewUuid(), kConfirmed, "{\"total_amount\": \"lots\"}");

  outbox::StreamConsumer consumer = Consumer(kPosStream, "test-1");
  EXPECT_EQ(Drain(consumer), 8);
  EXPECT_EQ(LevelOf(card_), "Gold");
  EXPECT_EQ(BalanceOf(card_).available, 250);  // the bonus, through the ledger
  EXPECT_EQ(ActivitySum("purchase_amount"), 4500);
  EXPECT_EQ(ActivitySum("visits"), 2);
  EXPECT_EQ(Consumed(kPosStream, "applied"), 3);
  EXPECT_EQ(Consumed(kPosStream, "duplicate"), 1);
  EXPECT_EQ(Consumed(kPosStream, "ignored"), 3);
  EXPECT_EQ(Consumed(kPosStream, "malformed"), 1);

  auto pending = redis_->Command({"XPENDING", kPosStream, kLevelEventsGroup});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->elements.at(0).integer, 0);
}

TEST_F(LevelEventsTest, AFailedEntryIsRedeliveredAndCountedOnce) {
  Publish(NewUuid(), kConfirmed, Confirmed("R-1", 6000, 0, card_.number));
  int calls = 0;
  outbox::StreamConsumer consumer =
      Consumer(kPosStream, "test-2", [&](const outbox::StreamEvent& event) -> absl::Status {
        absl::Status status = handler_->HandlePosEvent(event);
        // Applied, then "crashed" before the acknowledgement.
        if (++calls == 1) return absl::UnavailableError("boom");
        return status;
      });
  EXPECT_FALSE(consumer.PollOnce(absl::ZeroDuration()).ok());
  EXPECT_TRUE(PollUntil(consumer, [&] { return calls >= 2; }));
  EXPECT_EQ(ActivitySum("purchase_amount"), 6000);
  EXPECT_EQ(ActivitySum("visits"), 1);
  EXPECT_EQ(LevelOf(card_), "Gold");
  EXPECT_EQ(BalanceOf(card_).available, 250);
  EXPECT_EQ(Scalar("SELECT count(*) FROM card_level_history WHERE program_id = $1"
                   " AND reason = 'THRESHOLD_UPGRADE'"),
            1);
}

TEST_F(LevelEventsTest, LedgerAccrualsFromTheRelayCountButBonusesDoNot) {
  LevelType points =
      MakeLevelType(LevelMetric::kPointsEarned, LevelWindow{.kind = WindowKind::kLifetime});
  MakeLevel(points, "Earner", 300, LevelSpec{.bonus_points = 50});
  Card earner = IssueWith(MakeTemplate(points.level_type_id));
  outbox::StreamConsumer consumer = Consumer(kCardsStream, "test-3");
  auto points_earned = [&] {
    return Scalar(
        absl::StrCat("SELECT COALESCE(sum(points_earned), 0)::bigint FROM card_activity_days",
                     " WHERE program_id = $1 AND card_number = '", earner.number, "'"));
  };

  MustCommit(Accrual("receipt-1:accrual", earner, 200));
  RelayOutbox();
  EXPECT_TRUE(PollUntil(consumer, [&] { return points_earned() == 200; }));
  EXPECT_EQ(LevelOf(earner), "");

  MustCommit(Accrual("receipt-2:accrual", earner, 150));
  RelayOutbox();
  EXPECT_TRUE(PollUntil(consumer, [&] { return LevelOf(earner) == "Earner"; }));
  EXPECT_EQ(BalanceOf(earner).available, 400);  // 350 earned + the 50 bonus

  // The bonus's own PointsTransferred goes through the stream too, and is
  // not counted as earned.
  RelayOutbox();
  Drain(consumer);
  EXPECT_EQ(points_earned(), 350);
  EXPECT_GE(Consumed(kCardsStream, "ignored"), 1);

  TransferSpec reversal = Spec("refund-1:reversal", TransferKind::kAccrualReversal, earner, 100);
  reversal.reference = "receipt-2";
  MustCommit(reversal);
  RelayOutbox();
  EXPECT_TRUE(PollUntil(consumer, [&] { return points_earned() == 250; }));
  EXPECT_EQ(LevelOf(earner), "Earner");  // activity never moves a card down
}

TEST_F(LevelEventsTest, AFactTheDatabaseRefusesStopsItsBatchAfterTheFactsBeforeIt) {
  LevelType points =
      MakeLevelType(LevelMetric::kPointsEarned, LevelWindow{.kind = WindowKind::kLifetime});
  Card earner = IssueWith(MakeTemplate(points.level_type_id));
  const int64_t max = std::numeric_limits<int64_t>::max();
  // The third overflows the day's bigint sum, so the batch's transaction
  // fails as a whole: the two before it must still count, each once, and
  // the one after it must wait (not be tried, not be answered).
  const std::vector<outbox::StreamEvent> events = {
      PointsEvent(program_, earner.number, 10), PointsEvent(program_, earner.number, 20),
      PointsEvent(program_, earner.number, max), PointsEvent(program_, earner.number, 5)};
  std::vector<absl::Status> statuses = handler_->HandleCardsEvents(events);
  ASSERT_EQ(statuses.size(), 3u);
  EXPECT_TRUE(statuses[0].ok()) << statuses[0];
  EXPECT_TRUE(statuses[1].ok()) << statuses[1];
  EXPECT_FALSE(statuses[2].ok());
  EXPECT_EQ(ActivitySum("points_earned"), 30);
  EXPECT_EQ(Consumed(kCardsStream, "applied"), 2);

  // Redelivered in a batch with one of the first again: nothing twice, and
  // the one that waited counts.
  statuses = handler_->HandleCardsEvents(std::vector<outbox::StreamEvent>{events[0], events[3]});
  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_TRUE(statuses[0].ok() && statuses[1].ok());
  EXPECT_EQ(ActivitySum("points_earned"), 35);
  EXPECT_EQ(Consumed(kCardsStream, "duplicate"), 1);
}

}  // namespace
}  // namespace loyalty::cards
