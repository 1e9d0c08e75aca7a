#include <atomic>
#include <functional>
#include <optional>
#include <set>
#include <thread>
#include <variant>
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

// --- Versions, lifecycle and the active snapshot --------------------------------

promotions::Rule PercentOff(const std::string& rule_id, int32_t percent_bp) {
  promotions::Rule rule;
  rule.rule_id = rule_id;
  rule.effects.push_back(
      promotions::DiscountEffect{promotions::Target::kReceipt, {}, percent_bp, 0});
  return rule;
}

// What the API does on update: new values, then the domain's checks.
CampaignStore::EditFn Edit(std::function<void(Campaign&)> change) {
  return [change](const Campaign& current, Campaign& edited) {
    change(edited);
    return CheckEdit(current, edited, "campaign.");
  };
}

CampaignStore::CheckFn Activation() {
  return [](const Campaign& current) { return CheckActivation(current); };
}

CampaignStore::CheckFn NoCheck() {
  return [](const Campaign&) { return absl::OkStatus(); };
}

class CampaignLifecycleTest : public CampaignStoreTest {
 protected:
  // A draft with one rule, ready to activate.
  Campaign CreateWithRule(const std::string& name) {
    Campaign input = Make(name, 10);
    input.rules.push_back(PercentOff("r1", 1000));
    auto created = store_.CreateCampaign(program_id_, input, "");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : Campaign{};
  }

  int64_t SnapshotVersion() {
    auto active = store_.GetActiveCampaigns(program_id_);
    EXPECT_TRUE(active.ok()) << active.status();
    return active.ok() ? active->snapshot_version : -1;
  }

  int64_t CountEvents(const std::string& type) {
    return Count("SELECT count(*) FROM outbox WHERE program_id = '" + program_id_ +
                 "' AND event_type = '" + type + "'");
  }
};

TEST_F(CampaignLifecycleTest, EditsMakeVersionsAndOldOnesStayReadable) {
  Campaign created = CreateWithRule("Spring");
  EXPECT_EQ(created.version, 1);
  auto updated = store_.UpdateCampaign(program_id_, created.campaign_id, 1, "", Author{"op-1"},
                                       Edit([](Campaign& c) {
                                         c.name = "Spring 2";
                                         c.rules.push_back(PercentOff("r2", 500));
                                       }));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->version, 2);

  auto current = store_.GetCampaign(program_id_, created.campaign_id);
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->version, 2);
  EXPECT_EQ(current->name, "Spring 2");
  ASSERT_EQ(current->rules.size(), 2u);
  EXPECT_EQ(std::get<promotions::DiscountEffect>(current->rules[1].effects[0]).percent_bp, 500);

  auto first = store_.GetCampaignVersion(program_id_, created.campaign_id, 1);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->version, 1);
  EXPECT_EQ(first->name, "Spring");
  EXPECT_EQ(first->rules.size(), 1u);
  EXPECT_EQ(store_.GetCampaignVersion(program_id_, created.campaign_id, 3).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Count("SELECT count(*) FROM campaign_versions WHERE campaign_id = '" +
                  created.campaign_id + "' AND author = 'op-1'"),
            1);
  EXPECT_EQ(CountEvents("loyalty.campaigns.v1.CampaignChanged"), 1);
  // A draft is not in the snapshot: editing it changes nothing there.
  EXPECT_EQ(CountEvents("loyalty.campaigns.v1.ActiveCampaignsChanged"), 0);
  EXPECT_EQ(SnapshotVersion(), 0);
}

TEST_F(CampaignLifecycleTest, StaleVersionIsAbortedAndChangesNothing) {
  Campaign created = CreateWithRule("Stale");
  ASSERT_TRUE(store_
                  .UpdateCampaign(program_id_, created.campaign_id, 1, "", {},
                                  Edit([](Campaign& c) { c.priority = 20; }))
                  .ok());
  absl::Status stale = store_
                           .UpdateCampaign(program_id_, created.campaign_id, 1, "", {},
                                           Edit([](Campaign& c) { c.priority = 30; }))
                           .status();
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ViolatedField(stale), "campaign.etag");
  EXPECT_EQ(store_.GetCampaign(program_id_, created.campaign_id)->priority, 20);
}

TEST_F(CampaignLifecycleTest, RefusedEditStoresNothing) {
  Campaign created = CreateWithRule("Refused");
  absl::Status refused =
      store_
          .UpdateCampaign(program_id_, created.campaign_id, std::nullopt, "", {},
                          Edit([](Campaign& c) { c.rules[0] = PercentOff("r1", 20000); }))
          .status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(refused), "campaign.rules[0].effects[0].discount.percent_bp");
  EXPECT_EQ(store_.GetCampaign(program_id_, created.campaign_id)->version, 1);
  EXPECT_EQ(CountEvents("loyalty.campaigns.v1.CampaignChanged"), 0);
}

TEST_F(CampaignLifecycleTest, SameUpdateRequestIdHasOneEffect) {
  Campaign created = CreateWithRule("Retry");
  auto bump = Edit([](Campaign& c) { c.priority += 1; });
  auto first = store_.UpdateCampaign(program_id_, created.campaign_id, 1, "upd-1", {}, bump);
  auto retry = store_.UpdateCampaign(program_id_, created.campaign_id, 1, "upd-1", {}, bump);
  ASSERT_TRUE(first.ok() && retry.ok()) << first.status() << retry.status();
  EXPECT_EQ(retry->version, 2);
  EXPECT_EQ(retry->priority, 11);
  EXPECT_EQ(CountEvents("loyalty.campaigns.v1.CampaignChanged"), 1);
}

TEST_F(CampaignLifecycleTest, TransitionsAndRefusals) {
  Campaign created = CreateWithRule("Lifecycle");
  const std::string& id = created.campaign_id;
  EXPECT_EQ(store_.SetState(program_id_, id, CampaignState::kPaused, NoCheck()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_.SetState(program_id_, id, CampaignState::kFinished, NoCheck()).status().code(),
            absl::StatusCode::kFailedPrecondition);

  auto active = store_.SetState(program_id_, id, CampaignState::kActive, Activation());
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_EQ(active->state, CampaignState::kActive);
  // Again: unchanged, nothing emitted.
  auto again = store_.SetState(program_id_, id, CampaignState::kActive, Activation());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->state, CampaignState::kActive);
  EXPECT_EQ(CountEvents("loyalty.campaigns.v1.CampaignChanged"), 1);

  EXPECT_EQ(store_.SetState(program_id_, id, CampaignState::kPaused, NoCheck())->state,
            CampaignState::kPaused);
  EXPECT_EQ(store_.SetState(program_id_, id, CampaignState::kActive, Activation())->state,
            CampaignState::kActive);
  EXPECT_EQ(store_.SetState(program_id_, id, CampaignState::kFinished, NoCheck())->state,
            CampaignState::kFinished);
  absl::Status reopen =
      store_.SetState(program_id_, id, CampaignState::kActive, Activation()).status();
  EXPECT_EQ(reopen.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(reopen.message().find("FINISHED"), absl::string_view::npos);
  EXPECT_EQ(store_
                .UpdateCampaign(program_id_, id, std::nullopt, "", {},
                                Edit([](Campaign& c) { c.name = "Late"; }))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_.GetCampaign(program_id_, id)->state, CampaignState::kFinished);
}

TEST_F(CampaignLifecycleTest, ActivationNeedsARule) {
  auto created = store_.CreateCampaign(program_id_, Make("Empty", 1), "");
  ASSERT_TRUE(created.ok());
  absl::Status refused =
      store_.SetState(program_id_, created->campaign_id, CampaignState::kActive, Activation())
          .status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(refused), "rules");
  EXPECT_EQ(store_.GetCampaign(program_id_, created->campaign_id)->state, CampaignState::kDraft);
  EXPECT_EQ(SnapshotVersion(), 0);
}

TEST_F(CampaignLifecycleTest, SnapshotBumpsOnlyWhenTheActiveSetChanges) {
  Campaign a = CreateWithRule("A");
  Campaign b = CreateWithRule("B");
  EXPECT_EQ(SnapshotVersion(), 0);
  ASSERT_TRUE(
      store_.SetState(program_id_, a.campaign_id, CampaignState::kActive, Activation()).ok());
  EXPECT_EQ(SnapshotVersion(), 1);
  ASSERT_TRUE(
      store_.SetState(program_id_, a.campaign_id, CampaignState::kActive, Activation()).ok());
  EXPECT_EQ(SnapshotVersion(), 1);  // no change
  ASSERT_TRUE(store_
                  .UpdateCampaign(program_id_, b.campaign_id, std::nullopt, "", {},
                                  Edit([](Campaign& c) { c.name = "B2"; }))
                  .ok());
  EXPECT_EQ(SnapshotVersion(), 1);  // B is a draft
  auto edited =
      store_.UpdateCampaign(program_id_, a.campaign_id, std::nullopt, "", {},
                            Edit([](Campaign& c) { c.rules[0] = PercentOff("r1", 700); }));
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_EQ(SnapshotVersion(), 2);  // an active definition changed
  // An active campaign keeps a rule.
  EXPECT_EQ(store_
                .UpdateCampaign(program_id_, a.campaign_id, std::nullopt, "", {},
                                Edit([](Campaign& c) { c.rules.clear(); }))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SnapshotVersion(), 2);

  ASSERT_TRUE(
      store_.SetState(program_id_, b.campaign_id, CampaignState::kActive, Activation()).ok());
  auto active = store_.GetActiveCampaigns(program_id_);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->snapshot_version, 3);
  ASSERT_EQ(active->campaigns.size(), 2u);
  for (const Campaign& c : active->campaigns) {
    if (c.campaign_id == a.campaign_id) {
      EXPECT_EQ(c.version, 2);
      EXPECT_EQ(std::get<promotions::DiscountEffect>(c.rules[0].effects[0]).percent_bp, 700);
    }
  }

  ASSERT_TRUE(store_.SetState(program_id_, a.campaign_id, CampaignState::kPaused, NoCheck()).ok());
  EXPECT_EQ(SnapshotVersion(), 4);
  ASSERT_TRUE(store_
                  .UpdateCampaign(program_id_, a.campaign_id, std::nullopt, "", {},
                                  Edit([](Campaign& c) { c.name = "A paused"; }))
                  .ok());
  EXPECT_EQ(SnapshotVersion(), 4);  // paused: not in the set
  ASSERT_TRUE(
      store_.SetState(program_id_, b.campaign_id, CampaignState::kFinished, NoCheck()).ok());
  active = store_.GetActiveCampaigns(program_id_);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->snapshot_version, 5);
  EXPECT_TRUE(active->campaigns.empty());
  // Finishing a paused campaign leaves the active set as it was.
  ASSERT_TRUE(
      store_.SetState(program_id_, a.campaign_id, CampaignState::kFinished, NoCheck()).ok());
  EXPECT_EQ(SnapshotVersion(), 5);
  EXPECT_EQ(CountEvents("loyalty.campaigns.v1.ActiveCampaignsChanged"), 5);
}

TEST_F(CampaignLifecycleTest, OtherProgramsSeeNothing) {
  Campaign mine = CreateWithRule("Mine");
  ASSERT_TRUE(
      store_.SetState(program_id_, mine.campaign_id, CampaignState::kActive, Activation()).ok());
  std::string other = NewUuid();
  EXPECT_EQ(store_.GetCampaignVersion(other, mine.campaign_id, 1).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_
                .UpdateCampaign(other, mine.campaign_id, std::nullopt, "", {},
                                Edit([](Campaign& c) { c.name = "Theirs"; }))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(
      store_.SetState(other, mine.campaign_id, CampaignState::kPaused, NoCheck()).status().code(),
      absl::StatusCode::kNotFound);
  auto theirs = store_.GetActiveCampaigns(other);
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(theirs->snapshot_version, 0);
  EXPECT_TRUE(theirs->campaigns.empty());
  EXPECT_EQ(store_.GetCampaign(program_id_, mine.campaign_id)->state, CampaignState::kActive);
}

}  // namespace
}  // namespace loyalty::campaigns

namespace loyalty::campaigns {
namespace {

// CMP-5: a budget is part of the definition: stored and read back with it,
// and changing it on an active campaign is a new version and a new
// snapshot, so pos enforces the new caps.
TEST_F(CampaignLifecycleTest, ABudgetEditOfAnActiveCampaignMovesTheSnapshot) {
  Campaign campaign = CreateWithRule("Capped");
  ASSERT_TRUE(
      store_.SetState(program_id_, campaign.campaign_id, CampaignState::kActive, Activation())
          .ok());
  const int64_t before = SnapshotVersion();
  auto edited = store_.UpdateCampaign(
      program_id_, campaign.campaign_id, std::nullopt, "", {},
      Edit([](Campaign& c) { c.budget = {.max_discount = 50000, .max_uses_per_client = 2}; }));
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_EQ(edited->version, campaign.version + 1);
  EXPECT_EQ(SnapshotVersion(), before + 1);
  auto read = store_.GetCampaign(program_id_, campaign.campaign_id);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->budget.max_discount, 50000);
  EXPECT_EQ(read->budget.max_uses_per_client, 2);
  auto active = store_.GetActiveCampaigns(program_id_);
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->campaigns.size(), 1u);
  EXPECT_EQ(active->campaigns[0].budget.max_discount, 50000);
}

}  // namespace
}  // namespace loyalty::campaigns
