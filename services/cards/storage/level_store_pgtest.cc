// Level types and ladders against a real PostgreSQL.

#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "services/cards/storage/level_store.h"
#include "services/cards/testing/levels_fixture.h"

namespace loyalty::cards {
namespace {

using testing::LevelsPgTest;

class LevelStoreTest : public LevelsPgTest {
 protected:
  std::vector<std::string> LadderNames(const LevelType& type, bool show_archived = false) {
    auto page = levels_->ListLevels(program_, type.level_type_id, 500, "", show_archived);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> names;
    if (page.ok()) {
      for (const Level& level : page->levels) names.push_back(level.spec.name);
    }
    return names;
  }
};

TEST_F(LevelStoreTest, LevelTypeLifecycle) {
  LevelTypeSpec spec{.name = "Yearly spend",
                     .metric = LevelMetric::kPurchaseAmount,
                     .window = {.kind = WindowKind::kCalendarYear},
                     .time_zone = "Europe/Moscow"};
  auto created = levels_->CreateLevelType(program_, spec, "lt-1");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(levels_->CreateLevelType(program_, spec, "lt-1")->level_type_id,
            created->level_type_id);
  auto clash = levels_->CreateLevelType(program_, spec, "");
  EXPECT_EQ(ViolatedField(clash.status()), "level_type.name");

  auto got = levels_->GetLevelType(program_, created->level_type_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->spec, spec);
  EXPECT_EQ(levels_->GetLevelType(NewUuid(), created->level_type_id).status().code(),
            absl::StatusCode::kNotFound);

  auto updated =
      levels_->UpdateLevelType(program_, created->level_type_id, 1, [](LevelTypeSpec& s) {
        s.window = {WindowKind::kRollingDays, 365};
        return absl::OkStatus();
      });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(levels_->GetLevelType(program_, created->level_type_id)->spec.window.days, 365);
  auto stale = levels_->UpdateLevelType(program_, created->level_type_id, 1,
                                        [](LevelTypeSpec&) { return absl::OkStatus(); });
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ViolatedField(stale.status()), "level_type.etag");

  auto page = levels_->ListLevelTypes(program_, 10, "", false);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->level_types.size(), 1u);
  EXPECT_EQ(page->level_types[0].spec.name, "Yearly spend");
}

TEST_F(LevelStoreTest, ThresholdsStrictlyIncreaseAlongTheLadder) {
  LevelType type = MakeLevelType();
  Level gold = MakeLevel(type, "Gold", 50'000);
  Level base = MakeLevel(type, "Base", 0);
  Level silver = MakeLevel(type, "Silver", 10'000);
  EXPECT_EQ(LadderNames(type), (std::vector<std::string>{"Base", "Silver", "Gold"}));
  auto got = levels_->GetLevel(program_, type.level_type_id, gold.level_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->rank, 3);

  auto same = levels_->CreateLevel(program_, type.level_type_id,
                                   LevelSpec{.name = "Copper", .threshold = 10'000}, "");
  EXPECT_EQ(same.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(same.status()), "level.threshold");
  auto name = levels_->CreateLevel(program_, type.level_type_id,
                                   LevelSpec{.name = "silver", .threshold = 20'000}, "");
  EXPECT_EQ(ViolatedField(name.status()), "level.name");

  // Moving a level to another's threshold is refused too; a free one
  // reorders the ladder.
  auto onto_gold = levels_->UpdateLevel(program_, type.level_type_id, silver.level_id, std::nullopt,
                                        [](LevelSpec& s) {
                                          s.threshold = 50'000;
                                          return absl::OkStatus();
                                        });
  EXPECT_EQ(ViolatedField(onto_gold.status()), "level.threshold");
  auto above =
      levels_->UpdateLevel(program_, type.level_type_id, silver.level_id, 1, [](LevelSpec& s) {
        s.threshold = 90'000;
        return absl::OkStatus();
      });
  ASSERT_TRUE(above.ok()) << above.status();
  EXPECT_EQ(above->rank, 3);
  EXPECT_EQ(LadderNames(type), (std::vector<std::string>{"Base", "Gold", "Silver"}));

  // A level of another type is not found under this one.
  LevelType other = MakeLevelType();
  EXPECT_EQ(levels_->GetLevel(program_, other.level_type_id, base.level_id).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(LevelStoreTest, ConcurrentLevelsCannotShareAThreshold) {
  LevelType type = MakeLevelType();
  constexpr int kThreads = 6;
  std::vector<absl::StatusCode> codes(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      codes[i] = levels_
                     ->CreateLevel(program_, type.level_type_id,
                                   LevelSpec{.name = absl::StrCat("L", i), .threshold = 777}, "")
                     .status()
                     .code();
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(std::count(codes.begin(), codes.end(), absl::StatusCode::kOk), 1);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), absl::StatusCode::kInvalidArgument),
            kThreads - 1);
  EXPECT_EQ(LadderNames(type).size(), 1u);
}

TEST_F(LevelStoreTest, ArchivingRespectsWhatUsesIt) {
  LevelType type = MakeLevelType();
  Level base = MakeLevel(type, "Base", 0);
  Level silver = MakeLevel(type, "Silver", 1000);
  CardTemplate card_template = MakeTemplate(type.level_type_id);
  IssueWith(card_template);  // holds Base

  auto held = levels_->ArchiveLevel(program_, type.level_type_id, base.level_id, std::nullopt);
  EXPECT_EQ(held.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(held.status()), "level_id");
  auto free = levels_->ArchiveLevel(program_, type.level_type_id, silver.level_id, 1);
  ASSERT_TRUE(free.ok()) << free.status();
  EXPECT_EQ(free->rank, 0);
  EXPECT_EQ(LadderNames(type), (std::vector<std::string>{"Base"}));
  EXPECT_EQ(LadderNames(type, true), (std::vector<std::string>{"Base", "Silver"}));
  // Its threshold may be used again.
  MakeLevel(type, "Silver 2", 1000);
  auto change = levels_->UpdateLevel(program_, type.level_type_id, silver.level_id, std::nullopt,
                                     [](LevelSpec&) { return absl::OkStatus(); });
  EXPECT_EQ(change.status().code(), absl::StatusCode::kFailedPrecondition);

  auto in_use = levels_->ArchiveLevelType(program_, type.level_type_id, std::nullopt);
  EXPECT_EQ(in_use.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(in_use.status()), "level_type_id");
  ASSERT_TRUE(templates_->Archive(program_, card_template.template_id, std::nullopt).ok());
  auto archived = levels_->ArchiveLevelType(program_, type.level_type_id, std::nullopt);
  ASSERT_TRUE(archived.ok()) << archived.status();
  EXPECT_EQ(archived->state, DefinitionState::kArchived);
  auto add = levels_->CreateLevel(program_, type.level_type_id,
                                  LevelSpec{.name = "Late", .threshold = 5}, "");
  EXPECT_EQ(add.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(LevelStoreTest, ListLevelsPages) {
  LevelType type = MakeLevelType();
  for (int i = 0; i < 5; ++i) MakeLevel(type, absl::StrCat("L", i), i * 100);
  std::vector<int32_t> ranks;
  std::string token;
  do {
    auto page = levels_->ListLevels(program_, type.level_type_id, 2, token, false);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const Level& level : page->levels) ranks.push_back(level.rank);
    token = page->next_page_token;
  } while (!token.empty() && ranks.size() < 10);
  EXPECT_EQ(ranks, (std::vector<int32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(
      ViolatedField(levels_->ListLevels(program_, type.level_type_id, 2, "x", false).status()),
      "page_token");
  EXPECT_EQ(levels_->ListLevels(NewUuid(), type.level_type_id, 2, "", false).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace loyalty::cards
