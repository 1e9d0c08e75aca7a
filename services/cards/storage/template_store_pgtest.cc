// Card templates against a real PostgreSQL.

#include <set>

#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "services/cards/storage/template_store.h"
#include "services/cards/testing/levels_fixture.h"

namespace loyalty::cards {
namespace {

using testing::LevelsPgTest;

class TemplateStoreTest : public LevelsPgTest {
 protected:
  static TemplateSpec Spec(std::string name, CardKind kind = CardKind::kBonus) {
    TemplateSpec spec{.name = std::move(name),
                      .kind = kind,
                      .discount_bp = kind == CardKind::kDiscount ? 500 : 0,
                      .background_color = "#112233",
                      .logo_url = "https://cdn.example.ru/logo.png",
                      .wallet = {.logo_text = "Shop"}};
    EXPECT_TRUE(NormalizeTemplateSpec(spec, "template.").ok());
    return spec;
  }

  static absl::Status Rename(TemplateSpec& spec, std::string name) {
    spec.name = std::move(name);
    return absl::OkStatus();
  }
};

TEST_F(TemplateStoreTest, CreateGetAndIdempotentRetry) {
  auto created = templates_->Create(program_, Spec("Standard"), "req-1");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(IsUuid(created->template_id));
  EXPECT_EQ(created->version, 1);
  EXPECT_EQ(created->state, DefinitionState::kActive);

  auto found = templates_->Get(program_, created->template_id);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->spec, created->spec);
  EXPECT_EQ(found->create_time, created->create_time);

  // The same request again returns the first template.
  auto retried = templates_->Create(program_, Spec("Standard"), "req-1");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->template_id, created->template_id);
  // The same key for something else is refused.
  auto other = templates_->Create(program_, Spec("VIP"), "req-1");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(other.status()), "request_id");
}

TEST_F(TemplateStoreTest, NamesAreUniqueAmongActiveTemplates) {
  ASSERT_TRUE(templates_->Create(program_, Spec("Standard"), "").ok());
  auto clash = templates_->Create(program_, Spec("STANDARD"), "");
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(clash.status()), "template.name");
  // Another program may use the name.
  EXPECT_TRUE(templates_->Create(NewUuid(), Spec("Standard"), "").ok());
}

TEST_F(TemplateStoreTest, AnotherProgramsTemplateIsNotFound) {
  auto created = templates_->Create(program_, Spec("Standard"), "");
  ASSERT_TRUE(created.ok());
  const std::string other = NewUuid();
  auto get = templates_->Get(other, created->template_id);
  EXPECT_EQ(get.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(get.status()), "template_id");
  EXPECT_EQ(templates_->Archive(other, created->template_id, std::nullopt).status().code(),
            absl::StatusCode::kNotFound);
  auto update = templates_->Update(other, created->template_id, std::nullopt,
                                   [](TemplateSpec& spec) { return Rename(spec, "X"); });
  EXPECT_EQ(update.status().code(), absl::StatusCode::kNotFound);
  auto list = templates_->List(other, 50, "", true);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->templates.empty());
}

TEST_F(TemplateStoreTest, UpdateChecksTheEtagAndMovesTheVersion) {
  auto created = templates_->Create(program_, Spec("Standard"), "");
  ASSERT_TRUE(created.ok());
  clock_.Advance(absl::Minutes(1));
  auto updated = templates_->Update(program_, created->template_id, 1,
                                    [](TemplateSpec& spec) { return Rename(spec, "Classic"); });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->spec.name, "Classic");
  EXPECT_EQ(updated->update_time, clock_.Now());
  EXPECT_EQ(templates_->Get(program_, created->template_id)->spec.name, "Classic");

  // A writer that read version 1 loses.
  auto stale = templates_->Update(program_, created->template_id, 1,
                                  [](TemplateSpec& spec) { return Rename(spec, "Lost"); });
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ViolatedField(stale.status()), "template.etag");
  EXPECT_EQ(templates_->Get(program_, created->template_id)->spec.name, "Classic");

  // An update that changes nothing keeps the version.
  auto same = templates_->Update(program_, created->template_id, std::nullopt,
                                 [](TemplateSpec& spec) { return Rename(spec, "Classic"); });
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->version, 2);
  // A failing change writes nothing.
  auto refused = templates_->Update(program_, created->template_id, std::nullopt,
                                    [](TemplateSpec&) { return InvalidField("template.x", "no"); });
  EXPECT_EQ(ViolatedField(refused.status()), "template.x");
}

TEST_F(TemplateStoreTest, LevelTypeMustBeActiveInTheProgram) {
  TemplateSpec spec = Spec("Levels");
  spec.level_type_id = NewUuid();
  auto unknown = templates_->Create(program_, spec, "");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(unknown.status()), "template.level_type_id");

  LevelType type = MakeLevelType();
  spec.level_type_id = type.level_type_id;
  auto foreign = templates_->Create(NewUuid(), spec, "");  // the type is of another program
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(levels_->ArchiveLevelType(program_, type.level_type_id, std::nullopt).ok());
  auto archived = templates_->Create(program_, spec, "");
  EXPECT_EQ(archived.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(archived.status()), "template.level_type_id");
}

TEST_F(TemplateStoreTest, KindAndLevelTypeAreFixedOnceCardsUseTheTemplate) {
  LevelType type = MakeLevelType();
  CardTemplate card_template = MakeTemplate(type.level_type_id);
  auto to_discount = [](TemplateSpec& spec) {
    spec.kind = CardKind::kDiscount;
    spec.discount_bp = 300;
    return absl::OkStatus();
  };
  // No card yet: the template can still become a discount template.
  ASSERT_TRUE(
      templates_->Update(program_, card_template.template_id, std::nullopt, to_discount).ok());
  IssueWith(card_template);
  auto back =
      templates_->Update(program_, card_template.template_id, std::nullopt, [](TemplateSpec& spec) {
        spec.kind = CardKind::kBonus;
        spec.discount_bp = 0;
        return absl::OkStatus();
      });
  EXPECT_EQ(back.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(back.status()), "template.kind");
  auto retype =
      templates_->Update(program_, card_template.template_id, std::nullopt, [](TemplateSpec& spec) {
        spec.level_type_id.clear();
        return absl::OkStatus();
      });
  EXPECT_EQ(ViolatedField(retype.status()), "template.level_type_id");
  // Looks may change any time.
  EXPECT_TRUE(templates_
                  ->Update(program_, card_template.template_id, std::nullopt,
                           [](TemplateSpec& spec) {
                             spec.background_color = "#FFFFFF";
                             return absl::OkStatus();
                           })
                  .ok());
}

TEST_F(TemplateStoreTest, ArchiveIsIdempotentAndFreesTheName) {
  auto created = templates_->Create(program_, Spec("Standard"), "");
  ASSERT_TRUE(created.ok());
  auto archived = templates_->Archive(program_, created->template_id, 1);
  ASSERT_TRUE(archived.ok()) << archived.status();
  EXPECT_EQ(archived->state, DefinitionState::kArchived);
  EXPECT_EQ(archived->version, 2);
  auto again = templates_->Archive(program_, created->template_id, std::nullopt);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version, 2);
  // Archived templates cannot change, and their name is free again.
  auto update = templates_->Update(program_, created->template_id, std::nullopt,
                                   [](TemplateSpec& spec) { return Rename(spec, "X"); });
  EXPECT_EQ(update.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(templates_->Create(program_, Spec("Standard"), "").ok());
}

TEST_F(TemplateStoreTest, ListPagesOldestFirstAndHidesArchived) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto created = templates_->Create(program_, Spec(absl::StrCat("T", i)), "");
    ASSERT_TRUE(created.ok());
    ids.push_back(created->template_id);
    clock_.Advance(absl::Seconds(i % 2));  // some share a creation time
  }
  ASSERT_TRUE(templates_->Archive(program_, ids[2], std::nullopt).ok());

  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = templates_->List(program_, 2, token, /*show_archived=*/true);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const CardTemplate& t : page->templates) seen.push_back(t.template_id);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()),
            std::set<std::string>(ids.begin(), ids.end()));
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(pages, 3);

  auto active = templates_->List(program_, 50, "", /*show_archived=*/false);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->templates.size(), 4u);
  EXPECT_TRUE(active->next_page_token.empty());

  auto bad = templates_->List(program_, 2, "not-a-token", true);
  EXPECT_EQ(ViolatedField(bad.status()), "page_token");
}

}  // namespace
}  // namespace loyalty::cards
