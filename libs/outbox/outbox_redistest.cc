#include <span>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/outbox/outbox.h"
#include "libs/redis/client.h"
#include "libs/testing/postgres_server.h"
#include "libs/testing/redis_server.h"
#include "loyalty/pos/v1/events.pb.h"
#include "prometheus/registry.h"

namespace loyalty::outbox {
namespace {

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto postgres = testing::PostgresServer::Start();
    ASSERT_TRUE(postgres.ok()) << postgres.status();
    postgres_ = *std::move(postgres);
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_server_ = *std::move(redis);
    pool_ = std::make_unique<pg::Pool>(
        pg::PoolOptions{.conninfo = postgres_->ConnectionString(), .schema = "svc"});
    ASSERT_TRUE(pg::ApplyMigrations(*pool_, "svc", Migrations()).ok());
    redis_ = std::make_unique<redis::Client>(
        redis::ClientOptions{.address = absl::StrCat("127.0.0.1:", redis_server_->port())});
  }

  absl::Status AppendReceipt(const std::string& receipt_id, bool commit) {
    return pool_->Transact([&](pg::Tx& tx) -> absl::Status {
      pos::v1::ReceiptConfirmed event;
      event.set_receipt_id(receipt_id);
      event.set_total_amount(12345);
      Append(tx, StreamFor("svc"), "program-1", event);
      return commit ? absl::OkStatus() : absl::AbortedError("rolled back");
    });
  }

  int64_t StreamLength() {
    auto reply = redis_->Command({"XLEN", StreamFor("svc")});
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? reply->integer : -1;
  }

  std::unique_ptr<testing::PostgresServer> postgres_;
  std::unique_ptr<testing::RedisServer> redis_server_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<redis::Client> redis_;
  prometheus::Registry registry_;
};

TEST_F(OutboxTest, OnlyCommittedEventsArePublishedAndEachOnce) {
  ASSERT_TRUE(AppendReceipt("r-1", true).ok());
  ASSERT_FALSE(AppendReceipt("r-rolled-back", false).ok());
  ASSERT_TRUE(AppendReceipt("r-2", true).ok());

  Relay relay(*pool_, *redis_, registry_);
  auto published = relay.PublishBatch();
  ASSERT_TRUE(published.ok()) << published.status();
  EXPECT_EQ(*published, 2);
  auto again = relay.PublishBatch();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(StreamLength(), 2);

  std::vector<StreamEvent> seen;
  StreamConsumer consumer(*redis_, StreamFor("svc"), "test-group", "c1",
                          [&](const StreamEvent& event) {
                            seen.push_back(event);
                            return absl::OkStatus();
                          });
  auto handled = consumer.PollOnce(absl::Milliseconds(100));
  ASSERT_TRUE(handled.ok()) << handled.status();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].type, "loyalty.pos.v1.ReceiptConfirmed");
  EXPECT_EQ(seen[0].program_id, "program-1");
  EXPECT_NE(seen[0].payload.find("\"receipt_id\":\"r-1\""), std::string::npos) << seen[0].payload;
  EXPECT_NE(seen[0].event_id, seen[1].event_id);
}

TEST_F(OutboxTest, AppendAllPublishesEveryEventInOrder) {
  ASSERT_TRUE(pool_
                  ->Transact([&](pg::Tx& tx) -> absl::Status {
                    std::vector<pos::v1::ReceiptConfirmed> events(3);
                    std::vector<const google::protobuf::Message*> pointers;
                    for (size_t i = 0; i < events.size(); ++i) {
                      // Quotes and backslashes travel inside an array literal.
                      events[i].set_receipt_id(absl::StrCat("r-", i, " \"q\" \\ ,{}"));
                      pointers.push_back(&events[i]);
                    }
                    AppendAll(tx, StreamFor("svc"), "program-1", pointers);
                    return absl::OkStatus();
                  })
                  .ok());
  Relay relay(*pool_, *redis_, registry_);
  auto published = relay.PublishBatch();
  ASSERT_TRUE(published.ok()) << published.status();
  EXPECT_EQ(*published, 3);
  std::vector<StreamEvent> seen;
  StreamConsumer consumer(*redis_, StreamFor("svc"), "g", "c1", [&](const StreamEvent& event) {
    seen.push_back(event);
    return absl::OkStatus();
  });
  ASSERT_TRUE(consumer.PollOnce(absl::Milliseconds(100)).ok());
  ASSERT_EQ(seen.size(), 3u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].type, "loyalty.pos.v1.ReceiptConfirmed");
    EXPECT_NE(seen[i].payload.find(absl::StrCat("r-", i, " \\\"q\\\" \\\\ ,{}")), std::string::npos)
        << seen[i].payload;
  }
}

TEST_F(OutboxTest, PruningDeletesOnlyRowsPublishedLongerThanTheRetention) {
  ASSERT_TRUE(AppendReceipt("old", true).ok());
  ASSERT_TRUE(AppendReceipt("recent", true).ok());
  ASSERT_TRUE(AppendReceipt("unsent", true).ok());
  auto execute = [&](const std::string& sql) {
    ASSERT_TRUE(pool_->Transact([&](pg::Tx& tx) -> absl::Status {
                       tx.exec(sql);
                       return absl::OkStatus();
                     }).ok());
  };
  execute("UPDATE outbox SET published_at = now() - interval '2 hours'"
          " WHERE payload LIKE '%\"old\"%'");
  execute("UPDATE outbox SET published_at = now() - interval '10 minutes'"
          " WHERE payload LIKE '%\"recent\"%'");
  Relay relay(*pool_, *redis_, registry_,
              RelayOptions{.retention = absl::Hours(1), .prune_limit = 10});
  auto pruned = relay.PruneOnce();
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 1);
  std::vector<std::string> left;
  ASSERT_TRUE(pool_->Transact([&](pg::Tx& tx) -> absl::Status {
                     for (const auto& row : tx.exec("SELECT payload FROM outbox ORDER BY id")) {
                       left.push_back(row[0].as<std::string>());
                     }
                     return absl::OkStatus();
                   }).ok());
  ASSERT_EQ(left.size(), 2u);
  EXPECT_NE(left[0].find("recent"), std::string::npos);
  EXPECT_NE(left[1].find("unsent"), std::string::npos);
  EXPECT_EQ(*relay.PruneOnce(), 0);
}

TEST_F(OutboxTest, RedisOutageKeepsEventsPendingUntilItReturns) {
  ASSERT_TRUE(AppendReceipt("r-1", true).ok());
  Relay relay(*pool_, *redis_, registry_);
  ASSERT_TRUE(redis_server_->Stop().ok());
  EXPECT_FALSE(relay.PublishBatch().ok());
  ASSERT_TRUE(redis_server_->Restart().ok());
  auto published = relay.PublishBatch();
  ASSERT_TRUE(published.ok()) << published.status();
  EXPECT_EQ(*published, 1);
  EXPECT_EQ(StreamLength(), 1);
}

TEST_F(OutboxTest, FailedHandlerLeavesTheEntryForRedelivery) {
  ASSERT_TRUE(AppendReceipt("r-1", true).ok());
  Relay relay(*pool_, *redis_, registry_);
  ASSERT_TRUE(relay.PublishBatch().ok());
  int calls = 0;
  StreamConsumer consumer(*redis_, StreamFor("svc"), "g", "c1", [&](const StreamEvent&) {
    return ++calls == 1 ? absl::UnavailableError("database down") : absl::OkStatus();
  });
  EXPECT_FALSE(consumer.PollOnce(absl::Milliseconds(50)).ok());
  auto handled = consumer.PollOnce(absl::Milliseconds(50));
  ASSERT_TRUE(handled.ok()) << handled.status();
  EXPECT_EQ(*handled, 1);
  EXPECT_EQ(calls, 2);
  auto pending = redis_->Command({"XPENDING", StreamFor("svc"), "g"});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->elements.at(0).integer, 0);
}

TEST_F(OutboxTest, BatchHandlerSeesTheWholeReadAndOnlyFailuresComeBack) {
  for (const char* receipt : {"r-1", "r-2", "r-3"}) ASSERT_TRUE(AppendReceipt(receipt, true).ok());
  Relay relay(*pool_, *redis_, registry_);
  ASSERT_TRUE(relay.PublishBatch().ok());
  std::vector<std::vector<std::string>> batches;  // receipt payloads per call
  StreamConsumer consumer(*redis_, StreamFor("svc"), "g", "c1",
                          [&](std::span<const StreamEvent> events) {
                            std::vector<std::string> seen;
                            std::vector<absl::Status> results;
                            for (const StreamEvent& event : events) {
                              const bool second = event.payload.find("r-2") != std::string::npos;
                              seen.push_back(second ? "r-2" : "other");
                              results.push_back(second && batches.empty()
                                                    ? absl::UnavailableError("database down")
                                                    : absl::OkStatus());
                            }
                            batches.push_back(std::move(seen));
                            return results;
                          });
  auto first = consumer.PollOnce(absl::Milliseconds(50));
  EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable);
  auto pending = redis_->Command({"XPENDING", StreamFor("svc"), "g"});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->elements.at(0).integer, 1);  // r-1 and r-3 acknowledged

  auto second = consumer.PollOnce(absl::Milliseconds(50));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, 1);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0], (std::vector<std::string>{"other", "r-2", "other"}));
  EXPECT_EQ(batches[1], (std::vector<std::string>{"r-2"}));  // only the failed one again
  pending = redis_->Command({"XPENDING", StreamFor("svc"), "g"});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->elements.at(0).integer, 0);
}

TEST_F(OutboxTest, EntriesAfterADeadLetteredOneAreStillHandled) {
  ASSERT_TRUE(AppendReceipt("poison", true).ok());
  ASSERT_TRUE(AppendReceipt("fine", true).ok());
  Relay relay(*pool_, *redis_, registry_);
  ASSERT_TRUE(relay.PublishBatch().ok());
  int fine = 0;
  StreamConsumer consumer(
      *redis_, StreamFor("svc"), "g", "c1",
      [&](const StreamEvent& event) {
        if (event.payload.find("poison") != std::string::npos) {
          return absl::InternalError("cannot handle");
        }
        ++fine;
        return absl::OkStatus();
      },
      /*max_attempts=*/1);
  // The poison entry is dead-lettered at once; the one-at-a-time handler
  // stopped before "fine", which must come back on the next round.
  ASSERT_TRUE(consumer.PollOnce(absl::Milliseconds(20)).ok());
  ASSERT_TRUE(consumer.PollOnce(absl::Milliseconds(20)).ok());
  EXPECT_EQ(fine, 1);
  auto pending = redis_->Command({"XPENDING", StreamFor("svc"), "g"});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->elements.at(0).integer, 0);
}

TEST_F(OutboxTest, PoisonEventsGoToTheDeadLetterStream) {
  ASSERT_TRUE(AppendReceipt("poison", true).ok());
  ASSERT_TRUE(AppendReceipt("fine", true).ok());
  Relay relay(*pool_, *redis_, registry_);
  ASSERT_TRUE(relay.PublishBatch().ok());
  std::vector<std::string> handled;
  StreamConsumer consumer(
      *redis_, StreamFor("svc"), "g", "c1",
      [&](const StreamEvent& event) {
        if (event.payload.find("poison") != std::string::npos) {
          return absl::InternalError("cannot handle");
        }
        handled.push_back(event.event_id);
        return absl::OkStatus();
      },
      /*max_attempts=*/3);
  for (int round = 0; round < 5 && handled.empty(); ++round) {
    consumer.PollOnce(absl::Milliseconds(20)).IgnoreError();
  }
  EXPECT_EQ(handled.size(), 1u);
  auto dead = redis_->Command({"XLEN", StreamFor("svc") + ".dead"});
  ASSERT_TRUE(dead.ok());
  EXPECT_EQ(dead->integer, 1);
  auto pending = redis_->Command({"XPENDING", StreamFor("svc"), "g"});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->elements.at(0).integer, 0);
}

// Receipt ids of the payloads a follower handled.
StreamConsumer::Handler Collect(std::vector<std::string>& receipts) {
  return [&receipts](const StreamEvent& event) {
    for (const char* receipt : {"r-old", "r-1", "r-2", "r-3"}) {
      if (event.payload.find(std::string("\"") + receipt + "\"") != std::string::npos) {
        receipts.push_back(receipt);
      }
    }
    return absl::OkStatus();
  };
}

TEST_F(OutboxTest, FollowersEachSeeEveryNewEntryAndLeaveNoGroupBehind) {
  ASSERT_TRUE(AppendReceipt("r-old", true).ok());
  Relay relay(*pool_, *redis_, registry_);
  ASSERT_TRUE(relay.PublishBatch().ok());
  std::vector<std::string> first_seen;
  std::vector<std::string> second_seen;
  StreamFollower first(*redis_, StreamFor("svc"), Collect(first_seen));
  StreamFollower second(*redis_, StreamFor("svc"), Collect(second_seen));
  // The first poll positions each follower at the stream's end: the entry
  // published before it is not handled.
  ASSERT_TRUE(first.PollOnce(absl::ZeroDuration()).ok());
  ASSERT_TRUE(second.PollOnce(absl::ZeroDuration()).ok());
  ASSERT_TRUE(AppendReceipt("r-1", true).ok());
  ASSERT_TRUE(AppendReceipt("r-2", true).ok());
  ASSERT_TRUE(relay.PublishBatch().ok());
  auto handled = first.PollOnce(absl::Milliseconds(50));
  ASSERT_TRUE(handled.ok()) << handled.status();
  EXPECT_EQ(*handled, 2);
  ASSERT_TRUE(second.PollOnce(absl::Milliseconds(50)).ok());
  ASSERT_TRUE(AppendReceipt("r-3", true).ok());
  ASSERT_TRUE(relay.PublishBatch().ok());
  ASSERT_TRUE(first.PollOnce(absl::Milliseconds(50)).ok());
  ASSERT_TRUE(second.PollOnce(absl::Milliseconds(50)).ok());
  EXPECT_EQ(first_seen, (std::vector<std::string>{"r-1", "r-2", "r-3"}));
  EXPECT_EQ(second_seen, first_seen);
  auto groups = redis_->Command({"XINFO", "GROUPS", StreamFor("svc")});
  ASSERT_TRUE(groups.ok()) << groups.status();
  EXPECT_TRUE(groups->elements.empty());
}

TEST_F(OutboxTest, FollowerRetriesAFailingEntryThenSkipsIt) {
  std::vector<std::string> handled;
  int poison_calls = 0;
  StreamFollower follower(
      *redis_, StreamFor("svc"),
      [&](const StreamEvent& event) {
        if (event.payload.find("r-1") != std::string::npos) {
          ++poison_calls;
          return absl::InternalError("cannot handle");
        }
        handled.push_back(event.event_id);
        return absl::OkStatus();
      },
      /*max_attempts=*/3);
  ASSERT_TRUE(follower.PollOnce(absl::ZeroDuration()).ok());  // empty stream
  ASSERT_TRUE(AppendReceipt("r-1", true).ok());
  ASSERT_TRUE(AppendReceipt("r-2", true).ok());
  Relay relay(*pool_, *redis_, registry_);
  ASSERT_TRUE(relay.PublishBatch().ok());
  EXPECT_FALSE(follower.PollOnce(absl::Milliseconds(20)).ok());
  EXPECT_FALSE(follower.PollOnce(absl::Milliseconds(20)).ok());
  EXPECT_TRUE(handled.empty());  // r-2 waits behind the failing entry
  auto third = follower.PollOnce(absl::Milliseconds(20));
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(*third, 1);
  EXPECT_EQ(poison_calls, 3);
  EXPECT_EQ(handled.size(), 1u);
  auto nothing_new = follower.PollOnce(absl::Milliseconds(20));
  ASSERT_TRUE(nothing_new.ok());
  EXPECT_EQ(*nothing_new, 0);
  EXPECT_EQ(poison_calls, 3);
}

}  // namespace
}  // namespace loyalty::outbox
