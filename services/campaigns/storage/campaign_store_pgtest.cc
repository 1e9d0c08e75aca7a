#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/testing/migrated_database.h"
#include "loyalty/campaigns/v1/events.pb.h"
#include "services/campaigns/storage/campaign_store.h"

namespace loyalty::campaigns {
namespace {

class CampaignStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto database = testing::StartMigratedDatabase("campaigns", generated::CampaignsMigrations());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database).release();
    server_ = database_->server.get();
    pool_ = database_->pool.get();
  }
  static void TearDownTestSuite() { delete database_; }

  // Every test works in a program of its own.
  void SetUp() override { program_id_ = NewUuid(); }

  static Campaign Make(const std::string& name, int32_t priority) {
    Campaign campaign;
    campaign.name = name;
    campaign.priority = priority;
    return campaign;
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

  int64_t CountEvents() {
    return Count("SELECT count(*) FROM outbox WHERE program_id = '" + program_id_ + "'");
  }

  static testing::MigratedDatabase* database_;
  static testing::PostgresServer* server_;
  static pg::Pool* pool_;
  CampaignStore store_{*pool_};
  std::string program_id_;
};

testing::MigratedDatabase* CampaignStoreTest::database_ = nullptr;
testing::PostgresServer* CampaignStoreTest::server_ = nullptr;
pg::Pool* CampaignStoreTest::pool_ = nullptr;

TEST_F(CampaignStoreTest, CreateGetAndEvent) {
  Campaign input = Make("Spring", 5);
  input.description = "Double points";
  input.start_time = absl::FromUnixMicros(1'700'000'000'123'456);
  input.end_time = *input.start_time + absl::Hours(24 * 30);
  auto created = store_.CreateCampaign(program_id_, input, "");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(IsUuid(created->campaign_id));
  EXPECT_EQ(created->state, CampaignState::kDraft);

  auto fetched = store_.GetCampaign(program_id_, created->campaign_id);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_EQ(fetched->name, "Spring");
  EXPECT_EQ(fetched->description, "Double points");
  EXPECT_EQ(fetched->priority, 5);
  EXPECT_EQ(fetched->start_time, input.start_time);  // microseconds survive
  EXPECT_EQ(fetched->end_time, input.end_time);
  EXPECT_EQ(fetched->create_time, created->create_time);

  // The event is in the outbox, as proto3 JSON of CampaignCreated.
  std::string type;
  std::string payload;
  ASSERT_TRUE(pool_
                  ->Transact([&](pg::Tx& tx) {
                    pqxx::row row = tx.exec_params1(
                        "SELECT event_type, payload FROM outbox WHERE program_id = $1",
                        program_id_);
                    type = row[0].as<std::string>();
                    payload = row[1].as<std::string>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(type, "loyalty.campaigns.v1.CampaignCreated");
  v1::CampaignCreated event;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(payload, &event).ok());
  EXPECT_EQ(event.campaign().campaign_id(), created->campaign_id);
  EXPECT_EQ(event.campaign().state(), v1::CAMPAIGN_STATE_DRAFT);
  EXPECT_EQ(event.campaign().priority(), 5);
}

TEST_F(CampaignStoreTest, OpenScheduleIsStoredAsUnset) {
  auto created = store_.CreateCampaign(program_id_, Make("Always", 0), "");
  ASSERT_TRUE(created.ok()) << created.status();
  auto fetched = store_.GetCampaign(program_id_, created->campaign_id);
  ASSERT_TRUE(fetched.ok());
  EXPECT_FALSE(fetched->start_time.has_value());
  EXPECT_FALSE(fetched->end_time.has_value());
}

TEST_F(CampaignStoreTest, SameRequestIdHasOneEffect) {
  auto first = store_.CreateCampaign(program_id_, Make("Once", 1), "req-1");
  auto second = store_.CreateCampaign(program_id_, Make("Once", 1), "req-1");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->campaign_id, second->campaign_id);
  EXPECT_EQ(CountEvents(), 1);
  // The same key in another program is another request.
  auto other = store_.CreateCampaign(NewUuid(), Make("Once", 1), "req-1");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->campaign_id, first->campaign_id);
}

TEST_F(CampaignStoreTest, ConcurrentRetriesCreateOneCampaign) {
  std::vector<std::thread> threads;
  std::vector<std::string> ids(6);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto result = store_.CreateCampaign(program_id_, Make("Race", 1), "race");
      if (result.ok()) ids[i] = result->campaign_id;
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), 1u);
  EXPECT_FALSE(distinct.begin()->empty());
  EXPECT_EQ(CountEvents(), 1);
}

TEST_F(CampaignStoreTest, ProgramsAreIsolated) {
  auto mine = store_.CreateCampaign(program_id_, Make("Mine", 1), "");
  ASSERT_TRUE(mine.ok());
  std::string other = NewUuid();
  EXPECT_EQ(store_.GetCampaign(other, mine->campaign_id).status().code(),
            absl::StatusCode::kNotFound);
  auto page = store_.ListCampaigns(other, 50, "");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->campaigns.empty());
}

TEST_F(CampaignStoreTest, GetRejectsMalformedId) {
  absl::Status status = store_.GetCampaign(program_id_, "not-a-uuid").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(status), "campaign_id");
}

TEST_F(CampaignStoreTest, ListingOrdersByPriorityThenNameAcrossPages) {
  // Names with separators and equal priorities exercise the token.
  const std::vector<std::pair<std::string, int32_t>> input = {
      {"b", 10}, {"a", 10}, {"z", 1000}, {"m\nline", 10},
      {"c", 0},  {"a", 10}, {"y", 500},  {"x,y", 500}};
  for (const auto& [name, priority] : input) {
    ASSERT_TRUE(store_.CreateCampaign(program_id_, Make(name, priority), "").ok());
  }
  std::vector<std::pair<int32_t, std::string>> seen;
  std::set<std::string> ids;
  std::string token;
  int pages = 0;
  do {
    auto page = store_.ListCampaigns(program_id_, 3, token);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_LE(page->campaigns.size(), 3u);
    for (const Campaign& c : page->campaigns) {
      seen.emplace_back(c.priority, c.name);
      ids.insert(c.campaign_id);
    }
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(ids.size(), input.size());
  const std::vector<std::pair<int32_t, std::string>> expected = {
      {1000, "z"}, {500, "x,y"}, {500, "y"},      {10, "a"},
      {10, "a"},   {10, "b"},    {10, "m\nline"}, {0, "c"}};
  EXPECT_EQ(seen, expected);
}

TEST_F(CampaignStoreTest, ListingRejectsForeignToken) {
  absl::Status status = store_.ListCampaigns(program_id_, 10, "garbage!").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(status), "page_token");
}

}  // namespace
}  // namespace loyalty::campaigns
