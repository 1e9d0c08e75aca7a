#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/testing/migrated_database.h"
#include "services/segmentation/storage/segment_store.h"

namespace loyalty::segmentation {
namespace {

using ::testing::HasSubstr;

class SegmentStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto database =
        testing::StartMigratedDatabase("segmentation", generated::SegmentationMigrations());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database).release();
    server_ = database_->server.get();
    pool_ = database_->pool.get();
  }
  static void TearDownTestSuite() { delete database_; }

  void SetUp() override { program_id_ = NewUuid(); }

  // A client that segmentation has seen registered in `program_id`.
  std::string KnownClient(const std::string& program_id) {
    std::string client_id = NewUuid();
    auto applied = store_.ApplyClientRegistered(ClientRegistration{.event_id = NewUuid(),
                                                                   .program_id = program_id,
                                                                   .client_id = client_id,
                                                                   .registered_at = absl::Now()});
    EXPECT_TRUE(applied.ok() && *applied);
    return client_id;
  }

  Segment NewSegment(const std::string& name = "Buyers") {
    auto created = store_.CreateSegment(program_id_, Segment{.name = name}, "");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.value_or(Segment{});
  }

  static MemberBatch Batch(const std::vector<std::string>& ids) {
    auto batch = PrepareMemberBatch(ids);
    EXPECT_TRUE(batch.ok()) << batch.status();
    return batch.value_or(MemberBatch{});
  }

  int64_t Count(const std::string& sql) {
    int64_t value = -1;
    EXPECT_TRUE(pool_
                    ->Transact([&](pg::Tx& tx) {
                      value = tx.exec1(sql)[0].as<int64_t>();
                      return absl::OkStatus();
                    })
                    .ok());
    return value;
  }

  static testing::MigratedDatabase* database_;
  static testing::PostgresServer* server_;
  static pg::Pool* pool_;
  SegmentStore store_{*pool_};
  std::string program_id_;
};

testing::MigratedDatabase* SegmentStoreTest::database_ = nullptr;
testing::PostgresServer* SegmentStoreTest::server_ = nullptr;
pg::Pool* SegmentStoreTest::pool_ = nullptr;

TEST_F(SegmentStoreTest, CreateAndGetEmptySegment) {
  Segment created = NewSegment("VIP");
  EXPECT_TRUE(IsUuid(created.segment_id));
  auto fetched = store_.GetSegment(program_id_, created.segment_id);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_EQ(fetched->name, "VIP");
  EXPECT_EQ(fetched->size, 0);
  EXPECT_EQ(fetched->create_time, created.create_time);
}

TEST_F(SegmentStoreTest, SameRequestIdReturnsTheFirstSegment) {
  auto first = store_.CreateSegment(program_id_, Segment{.name = "Once"}, "req");
  auto second = store_.CreateSegment(program_id_, Segment{.name = "Once"}, "req");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->segment_id, second->segment_id);
  EXPECT_EQ(
      Count(absl::StrCat("SELECT count(*) FROM segments WHERE program_id = '", program_id_, "'")),
      1);
}

TEST_F(SegmentStoreTest, AddsKnownClientsSkippingMembers) {
  Segment segment = NewSegment();
  std::string a = KnownClient(program_id_);
  std::string b = KnownClient(program_id_);
  std::string c = KnownClient(program_id_);

  auto after_first = store_.AddSegmentMembers(program_id_, segment.segment_id, Batch({a, b}));
  ASSERT_TRUE(after_first.ok()) << after_first.status();
  EXPECT_EQ(after_first->size, 2);

  // Repeating a call changes nothing; new clients in it are added.
  auto again = store_.AddSegmentMembers(program_id_, segment.segment_id, Batch({a, b}));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size, 2);
  auto more = store_.AddSegmentMembers(program_id_, segment.segment_id, Batch({b, c, a}));
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(more->size, 3);

  auto fetched = store_.GetSegment(program_id_, segment.segment_id);
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->size, 3);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM segment_members WHERE segment_id = '",
                               segment.segment_id, "'")),
            3);
}

TEST_F(SegmentStoreTest, UnknownClientIsRefusedAndNothingIsAdded) {
  Segment segment = NewSegment();
  std::string known = KnownClient(program_id_);
  std::string unknown = NewUuid();
  absl::Status status =
      store_.AddSegmentMembers(program_id_, segment.segment_id, Batch({known, known, unknown}))
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  // Named by its position in the request, repeats included.
  EXPECT_EQ(ViolatedField(status), "client_ids[2]");
  EXPECT_THAT(status.message(), HasSubstr("retry"));
  auto fetched = store_.GetSegment(program_id_, segment.segment_id);
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->size, 0);
}

TEST_F(SegmentStoreTest, ProgramsAreIsolated) {
  Segment mine = NewSegment();
  std::string other_program = NewUuid();
  std::string theirs = KnownClient(other_program);

  // Another program's client cannot join my segment...
  absl::Status status =
      store_.AddSegmentMembers(program_id_, mine.segment_id, Batch({theirs})).status();
  EXPECT_EQ(ViolatedField(status), "client_ids[0]");
  // ...and another program cannot see or change my segment.
  EXPECT_EQ(store_.GetSegment(other_program, mine.segment_id).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(
      store_.AddSegmentMembers(other_program, mine.segment_id, Batch({theirs})).status().code(),
      absl::StatusCode::kNotFound);
}

TEST_F(SegmentStoreTest, RegistrationIsAppliedOncePerEventId) {
  ClientRegistration registration{.event_id = NewUuid(),
                                  .program_id = program_id_,
                                  .client_id = NewUuid(),
                                  .registered_at = absl::Now()};
  auto first = store_.ApplyClientRegistered(registration);
  auto second = store_.ApplyClientRegistered(registration);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM known_clients WHERE program_id = '",
                               program_id_, "'")),
            1);
}

TEST_F(SegmentStoreTest, ConcurrentAdditionsKeepSizeEqualToMembers) {
  Segment segment = NewSegment();
  std::vector<std::string> clients;
  for (int i = 0; i < 3 * 7 + 20; ++i) clients.push_back(KnownClient(program_id_));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      // Overlapping windows of 20 clients each.
      std::vector<std::string> window(clients.begin() + t * 7, clients.begin() + t * 7 + 20);
      auto result = store_.AddSegmentMembers(program_id_, segment.segment_id, Batch(window));
      EXPECT_TRUE(result.ok()) << result.status();
    });
  }
  for (auto& thread : threads) thread.join();
  auto fetched = store_.GetSegment(program_id_, segment.segment_id);
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->size, 3 * 7 + 20);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM segment_members WHERE segment_id = '",
                               segment.segment_id, "'")),
            fetched->size);
}

TEST_F(SegmentStoreTest, LargestBatchInOneCall) {
  Segment segment = NewSegment();
  // Seed the facts in bulk; the event path is covered above.
  std::vector<std::string> clients;
  for (int i = 0; i < kMaxMembersPerCall; ++i) clients.push_back(NewUuid());
  ASSERT_TRUE(pool_
                  ->Transact([&](pg::Tx& tx) {
                    for (const std::string& id : clients) {
                      tx.exec_params(
                          "INSERT INTO known_clients (program_id, client_id, registered_at)"
                          " VALUES ($1, $2, now())",
                          program_id_, id);
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  auto result = store_.AddSegmentMembers(program_id_, segment.segment_id, Batch(clients));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->size, kMaxMembersPerCall);
}

}  // namespace
}  // namespace loyalty::segmentation
