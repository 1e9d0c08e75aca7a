#pragma once

// Set-up shared by the level and template *_pgtest suites: the cards
// fixture (throwaway PostgreSQL, fresh program per test, fake clock) plus
// the template, level and card-level stores wired as main() wires them,
// and helpers that build a ladder and issue cards on it.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/common/random_ids.h"
#include "services/cards/storage/card_level_store.h"
#include "services/cards/storage/level_activity_store.h"
#include "services/cards/storage/level_bonus.h"
#include "services/cards/storage/level_recalculation.h"
#include "services/cards/storage/level_store.h"
#include "services/cards/storage/template_store.h"
#include "services/cards/testing/pg_fixture.h"

namespace loyalty::cards::testing {

class LevelsPgTest : public CardsPgTest {
 protected:
  void SetUp() override {
    CardsPgTest::SetUp();
    if (HasFatalFailure()) return;
    templates_ = std::make_unique<TemplateStore>(*pool_, clock_);
    levels_ = std::make_unique<LevelStore>(*pool_, clock_);
    card_levels_ = std::make_unique<CardLevelStore>(*pool_, clock_);
    cards_->SetIssueExtension(card_levels_.get());
    activity_ = std::make_unique<LevelActivityStore>(*pool_, clock_);
    recalculation_ = std::make_unique<LevelRecalculation>(*pool_, /*batch_size=*/3);
    bonuses_ = std::make_unique<LevelBonuses>(*pool_, *ledger_);
  }

  // A level type of this test's program, failing the test if refused.
  LevelType MakeLevelType(LevelMetric metric = LevelMetric::kPurchaseAmount,
                          LevelWindow window = {.kind = WindowKind::kRollingDays, .days = 30},
                          std::string time_zone = "UTC") {
    LevelTypeSpec spec{.name = absl::StrCat("Type ", NewUuid().substr(0, 8)),
                       .metric = metric,
                       .window = window,
                       .time_zone = std::move(time_zone)};
    EXPECT_TRUE(NormalizeLevelTypeSpec(spec, "level_type.").ok());
    auto created = levels_->CreateLevelType(program_, spec, "");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.value_or(LevelType{});
  }

  Level MakeLevel(const LevelType& type, std::string name, int64_t threshold,
                  LevelSpec extra = {}) {
    extra.name = std::move(name);
    extra.threshold = threshold;
    auto created = levels_->CreateLevel(program_, type.level_type_id, extra, "");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.value_or(Level{});
  }

  CardTemplate MakeTemplate(const std::string& level_type_id, CardKind kind = CardKind::kBonus,
                            int32_t discount_bp = 0) {
    TemplateSpec spec{.name = absl::StrCat("Template ", NewUuid().substr(0, 8)),
                      .kind = kind,
                      .level_type_id = level_type_id,
                      .discount_bp = discount_bp};
    EXPECT_TRUE(NormalizeTemplateSpec(spec, "template.").ok());
    auto created = templates_->Create(program_, spec, "");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.value_or(CardTemplate{});
  }

  Card IssueWith(const CardTemplate& card_template) {
    auto card = cards_->Issue(
        program_, IssueCardInput{.client_id = NewUuid(), .template_id = card_template.template_id});
    EXPECT_TRUE(card.ok()) << card.status();
    return card.value_or(Card{});
  }

  CardLevelView View(const Card& card) {
    auto view = card_levels_->Describe(program_, card.number);
    EXPECT_TRUE(view.ok()) << view.status();
    return view.value_or(CardLevelView{});
  }

  // The card's level name, "" without one.
  std::string LevelOf(const Card& card) {
    CardLevelView view = View(card);
    return view.level ? view.level->name : "";
  }

  std::vector<LevelChangeRecord> HistoryOf(const Card& card) {
    auto page = card_levels_->History(program_, card.number, 100, "");
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->changes : std::vector<LevelChangeRecord>{};
  }

  // A confirmed receipt with the card, paid `amount`, now.
  ActivityResult Purchase(const Card& card, int64_t amount, std::string receipt_id = "") {
    if (receipt_id.empty()) receipt_id = NewUuid();
    auto result = activity_->ApplyPurchase(PurchaseFact{.event_id = NewUuid(),
                                                        .program_id = program_,
                                                        .receipt_id = std::move(receipt_id),
                                                        .card_number = card.number,
                                                        .amount = amount,
                                                        .time = clock_.Now()});
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(ActivityResult{});
  }

  RecalculationStats Recalculate(bool due_only = false) {
    auto stats = recalculation_->Run(
        RecalculationScope{.program_id = program_, .due_only = due_only}, clock_.Now());
    EXPECT_TRUE(stats.ok()) << stats.status();
    return stats.value_or(RecalculationStats{});
  }

  int64_t OutboxCount(const std::string& type) {
    return Scalar(absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = $1",
                               " AND event_type = '", type, "'"));
  }

  std::unique_ptr<TemplateStore> templates_;
  std::unique_ptr<LevelStore> levels_;
  std::unique_ptr<CardLevelStore> card_levels_;
  std::unique_ptr<LevelActivityStore> activity_;
  std::unique_ptr<LevelRecalculation> recalculation_;
  std::unique_ptr<LevelBonuses> bonuses_;
};

}  // namespace loyalty::cards::testing
