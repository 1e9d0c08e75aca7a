#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/testing/migrated_database.h"
#include "services/notifications/storage/template_store.h"

namespace loyalty::notifications {
namespace {

class TemplateStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto database =
        testing::StartMigratedDatabase("notifications", generated::NotificationsMigrations());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database).release();
    server_ = database_->server.get();
    pool_ = database_->pool.get();
  }
  static void TearDownTestSuite() { delete database_; }

  void SetUp() override { program_id_ = NewUuid(); }

  static Template Make(const std::string& name, Channel channel = Channel::kSms) {
    Template t;
    t.name = name;
    t.channel = channel;
    t.body = "Hi {{first_name}}";
    if (channel == Channel::kEmail) t.subject = "News";
    return t;
  }

  static testing::MigratedDatabase* database_;
  static testing::PostgresServer* server_;
  static pg::Pool* pool_;
  TemplateStore store_{*pool_};
  std::string program_id_;
};

testing::MigratedDatabase* TemplateStoreTest::database_ = nullptr;
testing::PostgresServer* TemplateStoreTest::server_ = nullptr;
pg::Pool* TemplateStoreTest::pool_ = nullptr;

TEST_F(TemplateStoreTest, CreateAndGet) {
  auto created = store_.CreateTemplate(program_id_, Make("Welcome", Channel::kEmail), "");
  ASSERT_TRUE(created.ok()) << created.status();
  auto fetched = store_.GetTemplate(program_id_, created->template_id);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_EQ(fetched->name, "Welcome");
  EXPECT_EQ(fetched->channel, Channel::kEmail);
  EXPECT_EQ(fetched->subject, "News");
  EXPECT_EQ(fetched->body, "Hi {{first_name}}");
  EXPECT_EQ(fetched->create_time, created->create_time);
}

TEST_F(TemplateStoreTest, DuplicateNameIsAlreadyExistsNamingTheField) {
  ASSERT_TRUE(store_.CreateTemplate(program_id_, Make("Welcome"), "").ok());
  absl::Status status =
      store_.CreateTemplate(program_id_, Make("Welcome", Channel::kPush), "").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(status), "template.name");
  // Names are per program.
  EXPECT_TRUE(store_.CreateTemplate(NewUuid(), Make("Welcome"), "").ok());
}

TEST_F(TemplateStoreTest, SameRequestIdReturnsTheFirstTemplate) {
  auto first = store_.CreateTemplate(program_id_, Make("Once"), "req-1");
  auto second = store_.CreateTemplate(program_id_, Make("Once"), "req-1");
  ASSERT_TRUE(first.ok() && second.ok()) << second.status();
  EXPECT_EQ(first->template_id, second->template_id);
}

TEST_F(TemplateStoreTest, ConcurrentSameNameCreatesOne) {
  std::atomic<int> created{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto result = store_.CreateTemplate(program_id_, Make("Race"), absl::StrCat("r", i));
      if (result.ok()) {
        ++created;
      } else if (result.status().code() == absl::StatusCode::kAlreadyExists &&
                 ViolatedField(result.status()) == "template.name") {
        ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created, 1);
  EXPECT_EQ(refused, 5);
}

TEST_F(TemplateStoreTest, ConcurrentRetriesReturnOneTemplate) {
  std::vector<std::string> ids(6);
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto result = store_.CreateTemplate(program_id_, Make("Retry"), "same");
      if (result.ok()) ids[i] = result->template_id;
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct(ids.begin(), ids.end());
  ASSERT_EQ(distinct.size(), 1u);
  EXPECT_FALSE(distinct.begin()->empty());
}

TEST_F(TemplateStoreTest, ProgramsAreIsolated) {
  auto mine = store_.CreateTemplate(program_id_, Make("Mine"), "");
  ASSERT_TRUE(mine.ok());
  std::string other = NewUuid();
  EXPECT_EQ(store_.GetTemplate(other, mine->template_id).status().code(),
            absl::StatusCode::kNotFound);
  auto page = store_.ListTemplates(other, 10, "");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->templates.empty());
}

TEST_F(TemplateStoreTest, ListingPagesByNameOnce) {
  const std::vector<std::string> names = {"delta", "alpha", "echo", "charlie", "bravo"};
  for (const std::string& name : names) {
    ASSERT_TRUE(store_.CreateTemplate(program_id_, Make(name), "").ok());
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = store_.ListTemplates(program_id_, 2, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const Template& t : page->templates) seen.push_back(t.name);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"alpha", "bravo", "charlie", "delta", "echo"}));
  absl::Status bad = store_.ListTemplates(program_id_, 2, "%%%").status();
  EXPECT_EQ(ViolatedField(bad), "page_token");
}

}  // namespace
}  // namespace loyalty::notifications
