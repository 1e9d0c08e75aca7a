// identity's events, in the exact form the outbox relay writes them to Redis,
// read through the `segmentation` consumer group into the client facts.
#include <pqxx/pqxx>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/outbox/outbox.h"
#include "libs/redis/client.h"
#include "libs/testing/postgres_server.h"
#include "libs/testing/redis_server.h"
#include "loyalty/identity/v1/events.pb.h"
#include "prometheus/registry.h"
#include "services/segmentation/api/identity_events.h"
#include "services/segmentation/storage/segment_store.h"

namespace loyalty::segmentation {
namespace {

constexpr char kStream[] = "loyalty.identity.events";
constexpr char kRegistered[] = "loyalty.identity.v1.ClientRegistered";

class IdentityEventsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pg_server = testing::PostgresServer::Start();
    ASSERT_TRUE(pg_server.ok()) << pg_server.status();
    pg_server_ = std::move(*pg_server).release();
    auto redis_server = testing::RedisServer::Start();
    ASSERT_TRUE(redis_server.ok()) << redis_server.status();
    redis_server_ = std::move(*redis_server).release();
    pool_ = new pg::Pool(pg::PoolOptions{.conninfo = pg_server_->ConnectionString(),
                                         .schema = "segmentation", .size = 4});
    std::vector<pg::Migration> all;
    for (const auto& m : generated::SegmentationMigrations()) all.push_back(m);
    for (const auto& m : outbox::Migrations()) all.push_back(m);
    ASSERT_TRUE(pg::ApplyMigrations(*pool_, "segmentation", all).ok());
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
                                  payload, "occurred_at", "2024-03-01T10:00:00.000000Z"});
    ASSERT_TRUE(reply.ok()) << reply.status();
  }

  static std::string RegisteredPayload(const std::string& client_id) {
    // proto3 JSON with the original field names, as outbox::Append writes it.
    return absl::StrCat("{\"client_id\":\"", client_id,
                        "\",\"create_time\":\"2024-03-01T09:59:59.500Z\","
                        "\"marketing_consent\":true}");
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

  int64_t Count(const std::string& sql) {
    int64_t value = -1;
    EXPECT_TRUE(pool_->Transact([&](pg::Tx& tx) {
      value = tx.exec1(sql)[0].as<int64_t>();
      return absl::OkStatus();
    }).ok());
    return value;
  }

  int64_t KnownIn(const std::string& program_id) {
    return Count(absl::StrCat("SELECT count(*) FROM known_clients WHERE program_id = '",
                              program_id, "'"));
  }

  static testing::PostgresServer* pg_server_;
  static testing::RedisServer* redis_server_;
  static pg::Pool* pool_;
  std::unique_ptr<redis::Client> redis_;
  SegmentStore store_{*pool_};
  prometheus::Registry registry_;
  IdentityEventHandler handler_{store_, registry_};
};

testing::PostgresServer* IdentityEventsTest::pg_server_ = nullptr;
testing::RedisServer* IdentityEventsTest::redis_server_ = nullptr;
pg::Pool* IdentityEventsTest::pool_ = nullptr;

TEST_F(IdentityEventsTest, EachRegistrationCountsOnceAndEnablesMembership) {
  std::string program_a = NewUuid();
  std::string program_b = NewUuid();
  std::string anna = NewUuid();
  std::string boris = NewUuid();
  std::string vera = NewUuid();  // registered in program B
  std::string anna_event = NewUuid();

  Publish(anna_event, kRegistered, program_a, RegisteredPayload(anna));
  Publish(NewUuid(), kRegistered, program_a, RegisteredPayload(boris));
  Publish(anna_event, kRegistered, program_a, RegisteredPayload(anna));  // redelivery
  Publish(NewUuid(), kRegistered, program_b, RegisteredPayload(vera));
  // Other types and broken entries are acknowledged without effect.
  Publish(NewUuid(), "loyalty.identity.v1.ClientUpdated", program_a, "{}");
  Publish(NewUuid(), "loyalty.identity.v1.ClientTagsChanged", program_a,
          absl::StrCat("{\"client_id\":\"", anna, "\",\"added_tag_ids\":[\"", NewUuid(),
                       "\"],\"change_time\":\"2024-03-01T10:00:00Z\"}"));
  Publish(NewUuid(), kRegistered, program_a, "not json");

  outbox::StreamConsumer consumer(*redis_, kStream, kIdentityEventsGroup, "test-1",
                                  [this](const outbox::StreamEvent& event) {
                                    return handler_.Handle(event);
                                  });
  EXPECT_EQ(PollUntil(consumer, 7), 7);

  EXPECT_EQ(KnownIn(program_a), 2);
  EXPECT_EQ(KnownIn(program_b), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM processed_events"), 3);
  EXPECT_EQ(Count(absl::StrCat("SELECT (extract(epoch FROM registered_at) * 1000)::bigint"
                               " FROM known_clients WHERE client_id = '", anna, "'")),
            absl::ToUnixMillis(absl::FromUnixSeconds(1709287199) + absl::Milliseconds(500)));
  // Everything was acknowledged: nothing is pending for the group.
  auto pending = redis_->Command({"XPENDING", kStream, kIdentityEventsGroup});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->elements.at(0).integer, 0);

  auto segment = store_.CreateSegment(program_a, Segment{.name = "A"}, "");
  ASSERT_TRUE(segment.ok());
  auto batch = PrepareMemberBatch({anna, boris});
  ASSERT_TRUE(batch.ok());
  auto added = store_.AddSegmentMembers(program_a, segment->segment_id, *batch);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->size, 2);
  // Vera is a member of program B only.
  auto foreign = PrepareMemberBatch({anna, vera});
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(ViolatedField(
                store_.AddSegmentMembers(program_a, segment->segment_id, *foreign).status()),
            "client_ids[1]");
}

TEST_F(IdentityEventsTest, FailedEntryIsRedeliveredAndAppliedOnce) {
  std::string program = NewUuid();
  Publish(NewUuid(), kRegistered, program, RegisteredPayload(NewUuid()));
  Publish(NewUuid(), kRegistered, program, RegisteredPayload(NewUuid()));

  int calls = 0;
  outbox::StreamConsumer consumer(*redis_, kStream, kIdentityEventsGroup, "test-2",
                                  [&](const outbox::StreamEvent& event) -> absl::Status {
                                    // The first attempt applies the event but then
                                    // "crashes" before the acknowledgement.
                                    absl::Status status = handler_.Handle(event);
                                    if (++calls == 1) return absl::UnavailableError("boom");
                                    return status;
                                  });
  EXPECT_FALSE(consumer.PollOnce(absl::ZeroDuration()).ok());
  EXPECT_EQ(PollUntil(consumer, 2), 2);
  EXPECT_EQ(calls, 3);  // the first entry twice
  EXPECT_EQ(KnownIn(program), 2);
}

TEST_F(IdentityEventsTest, EventsFromARealOutboxRelay) {
  // identity's side: an outbox in a schema of its own, published by the relay.
  pg::Pool identity_pool(pg::PoolOptions{.conninfo = pg_server_->ConnectionString(),
                                         .schema = "identity_fake", .size = 2});
  ASSERT_TRUE(pg::ApplyMigrations(identity_pool, "identity_fake", outbox::Migrations()).ok());
  std::string program = NewUuid();
  std::string client = NewUuid();
  ASSERT_TRUE(identity_pool.Transact([&](pg::Tx& tx) {
    identity::v1::ClientRegistered event;
    event.set_client_id(client);
    event.mutable_create_time()->set_seconds(1'700'000'000);
    outbox::Append(tx, outbox::StreamFor("identity"), program, event);
    return absl::OkStatus();
  }).ok());
  prometheus::Registry relay_registry;
  outbox::Relay relay(identity_pool, *redis_, relay_registry);
  auto published = relay.PublishBatch();
  ASSERT_TRUE(published.ok()) << published.status();
  ASSERT_EQ(*published, 1);

  outbox::StreamConsumer consumer(*redis_, outbox::StreamFor("identity"),
                                  kIdentityEventsGroup, "test-3",
                                  [this](const outbox::StreamEvent& event) {
                                    return handler_.Handle(event);
                                  });
  EXPECT_EQ(PollUntil(consumer, 1), 1);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM known_clients WHERE program_id = '",
                               program, "' AND client_id = '", client, "'")),
            1);
}

}  // namespace
}  // namespace loyalty::segmentation
