// Cards on ladders against a real PostgreSQL: levels at issue, upgrades by
// activity, the scheduled recalculation, manual changes, bonuses through the
// ledger, history, and several recalculations at once.

#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "services/cards/storage/card_level_store.h"
#include "services/cards/testing/levels_fixture.h"

namespace loyalty::cards {
namespace {

using testing::LevelsPgTest;

constexpr char kLevelChanged[] = "loyalty.cards.v1.LevelChanged";

class CardLevelStoreTest : public LevelsPgTest {
 protected:
  // Base 0 < Silver 1000 (bonus 100) < Gold 5000 (bonus 500, 3% off, 7%
  // points), purchases over the last 30 days.
  void SetUp() override {
    LevelsPgTest::SetUp();
    if (HasFatalFailure()) return;
    type_ = MakeLevelType();
    base_ = MakeLevel(type_, "Base", 0);
    silver_ = MakeLevel(type_, "Silver", 1000, LevelSpec{.bonus_points = 100});
    gold_ = MakeLevel(type_, "Gold", 5000,
                      LevelSpec{.discount_bp = 300, .accrual_bp = 700, .bonus_points = 500});
    template_ = MakeTemplate(type_.level_type_id);
  }

  // Grants the bonus a result says is pending, as the event handler does.
  void GrantBonusOf(const ActivityResult& result) {
    ASSERT_TRUE(result.bonus_change_id.has_value());
    auto granted = bonuses_->Grant(program_, *result.bonus_change_id);
    ASSERT_TRUE(granted.ok()) << granted.status();
    EXPECT_TRUE(*granted);
  }

  absl::StatusOr<CardLevelStore::ManualResult> SetLevel(const Card& card, const Level& level,
                                                        ManualLevelChange change = {}) {
    change.card_number = card.number;
    change.level_id = level.level_id;
    if (change.comment.empty()) change.comment = "VIP guest";
    change.principal_id = "operator-1";
    return card_levels_->SetManual(program_, change);
  }

  LevelType type_;
  Level base_, silver_, gold_;
  CardTemplate template_;
};

TEST_F(CardLevelStoreTest, IssueWithTemplateStartsOnTheBaseLevel) {
  Card card = IssueWith(template_);
  CardLevelView view = View(card);
  EXPECT_EQ(view.template_id, template_.template_id);
  ASSERT_TRUE(view.level.has_value());
  EXPECT_EQ(view.level->name, "Base");
  EXPECT_EQ(view.level->rank, 1);
  EXPECT_EQ(view.level->level_type_id, type_.level_type_id);
  EXPECT_EQ(view.level->reason, LevelChangeReason::kInitial);
  EXPECT_EQ(view.level->start_time, card.create_time);
  EXPECT_EQ(view.level->expire_time, std::nullopt);
  EXPECT_EQ(view.benefits, (CardBenefits{CardKind::kBonus, 0, 0}));

  std::vector<LevelChangeRecord> history = HistoryOf(card);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].reason, LevelChangeReason::kInitial);
  EXPECT_EQ(history[0].previous_level_id, "");
  EXPECT_EQ(history[0].bonus_state, LevelBonusState::kNone);
  EXPECT_EQ(OutboxCount(kLevelChanged), 1);

  // Without a template: no level, a plain bonus card.
  Card plain = NewCard();
  CardLevelView plain_view = View(plain);
  EXPECT_EQ(plain_view.template_id, "");
  EXPECT_FALSE(plain_view.level.has_value());
  EXPECT_TRUE(HistoryOf(plain).empty());
}

TEST_F(CardLevelStoreTest, BadTemplateLeavesNoCard) {
  const int64_t cards_before = Scalar("SELECT count(*) FROM cards WHERE program_id = $1");
  auto unknown =
      cards_->Issue(program_, IssueCardInput{.client_id = NewUuid(), .template_id = NewUuid()});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(unknown.status()), "template_id");

  auto foreign = cards_->Issue(
      NewUuid(), IssueCardInput{.client_id = NewUuid(), .template_id = template_.template_id});
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(templates_->Archive(program_, template_.template_id, std::nullopt).ok());
  auto archived = cards_->Issue(
      program_, IssueCardInput{.client_id = NewUuid(), .template_id = template_.template_id});
  EXPECT_EQ(archived.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Scalar("SELECT count(*) FROM cards WHERE program_id = $1"), cards_before);
  EXPECT_EQ(Scalar("SELECT count(*) FROM accounts WHERE program_id = $1 AND kind = 'member'"),
            cards_before);
}

TEST_F(CardLevelStoreTest, DiscountCardsTakeTheBetterDiscountAndNoPoints) {
  CardTemplate discount = MakeTemplate(type_.level_type_id, CardKind::kDiscount, 500);
  Card card = IssueWith(discount);
  EXPECT_EQ(View(card).benefits, (CardBenefits{CardKind::kDiscount, 500, 0}));
  Purchase(card, 6000);
  EXPECT_EQ(LevelOf(card), "Gold");
  EXPECT_EQ(View(card).benefits, (CardBenefits{CardKind::kDiscount, 500, 0}));
  ASSERT_TRUE(levels_
                  ->UpdateLevel(program_, type_.level_type_id, gold_.level_id, std::nullopt,
                                [](LevelSpec& spec) {
                                  spec.discount_bp = 800;
                                  return absl::OkStatus();
                                })
                  .ok());
  EXPECT_EQ(View(card).benefits, (CardBenefits{CardKind::kDiscount, 800, 0}));

  Card bonus_card = IssueWith(template_);
  Purchase(bonus_card, 5000);
  EXPECT_EQ(View(bonus_card).benefits, (CardBenefits{CardKind::kBonus, 800, 700}));
}

TEST_F(CardLevelStoreTest, PurchasesMoveUpAtOnceAndEachBonusComesOnce) {
  Card card = IssueWith(template_);
  ActivityResult first = Purchase(card, 600);
  EXPECT_EQ(first.outcome, ActivityOutcome::kApplied);
  EXPECT_FALSE(first.level_changed);
  EXPECT_EQ(LevelOf(card), "Base");

  ActivityResult second = Purchase(card, 400);  // 1000: Silver exactly
  EXPECT_TRUE(second.level_changed);
  EXPECT_EQ(LevelOf(card), "Silver");
  GrantBonusOf(second);
  EXPECT_EQ(BalanceOf(card).available, 100);

  ActivityResult big = Purchase(card, 10'000);
  EXPECT_EQ(LevelOf(card), "Gold");
  GrantBonusOf(big);
  EXPECT_EQ(BalanceOf(card).available, 600);
  // Granting again changes nothing.
  EXPECT_FALSE(*bonuses_->Grant(program_, *big.bonus_change_id));
  EXPECT_EQ(BalanceOf(card).available, 600);

  std::vector<LevelChangeRecord> history = HistoryOf(card);
  ASSERT_EQ(history.size(), 3u);  // newest first
  EXPECT_EQ(history[0].level_id, gold_.level_id);
  EXPECT_EQ(history[0].previous_level_id, silver_.level_id);
  EXPECT_EQ(history[0].reason, LevelChangeReason::kThresholdUpgrade);
  EXPECT_EQ(history[0].qualifying_value, 11'000);
  EXPECT_EQ(history[0].bonus_state, LevelBonusState::kGranted);
  EXPECT_EQ(history[0].bonus_transfer_id, LevelBonusTransferId(gold_.level_id, card.number));
  EXPECT_EQ(OutboxCount(kLevelChanged), 3);

  // Down after the window, up again: no second Gold bonus.
  clock_.Advance(absl::Hours(24 * 31));
  EXPECT_EQ(Recalculate().downgraded, 1);
  EXPECT_EQ(LevelOf(card), "Base");
  ActivityResult again = Purchase(card, 7000);
  EXPECT_EQ(LevelOf(card), "Gold");
  EXPECT_FALSE(again.bonus_change_id.has_value());
  EXPECT_EQ(HistoryOf(card)[0].bonus_state, LevelBonusState::kNone);
  EXPECT_EQ(BalanceOf(card).available, 600);
}

TEST_F(CardLevelStoreTest, OneBatchMovesUpStepByStepAndSumsPlainCardsActivity) {
  Card laddered = IssueWith(template_);
  Card plain = NewCard();
  auto purchase = [&](const Card& card, int64_t amount) -> ActivityFact {
    return PurchaseFact{.event_id = NewUuid(),
                        .program_id = program_,
                        .receipt_id = NewUuid(),
                        .card_number = card.number,
                        .amount = amount,
                        .time = clock_.Now()};
  };
  auto points = [&](const Card& card, int64_t amount) -> ActivityFact {
    return PointsFact{.event_id = NewUuid(),
                      .program_id = program_,
                      .card_number = card.number,
                      .points = amount,
                      .time = clock_.Now()};
  };
  const std::vector<ActivityFact> facts = {
      purchase(laddered, 600), purchase(plain, 250),    points(plain, 40),
      purchase(laddered, 400),  // 1000: Silver
      points(plain, -15),       purchase(laddered, 10'000),  // 11000: Gold
      purchase(plain, 100)};
  std::vector<absl::StatusOr<ActivityResult>> results = activity_->ApplyAll(facts);
  ASSERT_EQ(results.size(), facts.size());
  for (const auto& result : results) ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(results[0]->level_changed);
  EXPECT_TRUE(results[3]->level_changed);
  EXPECT_TRUE(results[5]->level_changed);
  EXPECT_EQ(LevelOf(laddered), "Gold");
  // Each step from the level the step before left: the second fact on the
  // card read its row again.
  std::vector<LevelChangeRecord> history = HistoryOf(laddered);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].level_id, gold_.level_id);
  EXPECT_EQ(history[0].previous_level_id, silver_.level_id);
  EXPECT_EQ(history[0].qualifying_value, 11'000);

  // The plain card's activity, held back and written once, adds up.
  EXPECT_EQ(Scalar("SELECT purchase_amount FROM card_activity_days"
                   " WHERE program_id = $1 AND card_number = '" + plain.number + "'"),
            350);
  EXPECT_EQ(Scalar("SELECT visits FROM card_activity_days"
                   " WHERE program_id = $1 AND card_number = '" + plain.number + "'"),
            2);
  EXPECT_EQ(Scalar("SELECT points_earned FROM card_activity_days"
                   " WHERE program_id = $1 AND card_number = '" + plain.number + "'"),
            25);
}

TEST_F(CardLevelStoreTest, RedeliveredEventsCountOnce) {
  Card card = IssueWith(template_);
  PurchaseFact fact{.event_id = NewUuid(),
                    .program_id = program_,
                    .receipt_id = "R-1",
                    .card_number = card.number,
                    .amount = 700,
                    .time = clock_.Now()};
  EXPECT_EQ(activity_->ApplyPurchase(fact)->outcome, ActivityOutcome::kApplied);
  EXPECT_EQ(activity_->ApplyPurchase(fact)->outcome, ActivityOutcome::kDuplicate);
  // The same receipt under another event id is not counted twice either.
  fact.event_id = NewUuid();
  EXPECT_EQ(activity_->ApplyPurchase(fact)->outcome, ActivityOutcome::kIgnored);
  Purchase(card, 299);
  EXPECT_EQ(LevelOf(card), "Base");  // 999
  // Unknown cards and other programs' cards are ignored.
  fact.event_id = NewUuid();
  fact.receipt_id = "R-2";
  fact.card_number = "999999999";
  EXPECT_EQ(activity_->ApplyPurchase(fact)->outcome, ActivityOutcome::kIgnored);
  fact.event_id = NewUuid();
  fact.program_id = NewUuid();
  fact.card_number = card.number;
  EXPECT_EQ(activity_->ApplyPurchase(fact)->outcome, ActivityOutcome::kIgnored);
  EXPECT_EQ(Scalar("SELECT COALESCE(sum(purchase_amount), 0)::bigint FROM card_activity_days"
                   " WHERE program_id = $1"),
            999);
}

TEST_F(CardLevelStoreTest, RefundsTakeBackFromThePurchaseDayAndVisit) {
  Card card = IssueWith(template_);
  Purchase(card, 1000, "R-1");
  clock_.Advance(absl::Hours(48));
  auto refund = [&](int64_t amount, std::string receipt = "R-1") {
    auto result = activity_->ApplyRefund(RefundFact{.event_id = NewUuid(),
                                                    .program_id = program_,
                                                    .receipt_id = std::move(receipt),
                                                    .amount = amount});
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(ActivityResult{}).outcome;
  };
  auto day_sum = [&](const char* column) {
    return Scalar(absl::StrCat("SELECT ", column, "::bigint FROM card_activity_days",
                               " WHERE program_id = $1"));
  };
  EXPECT_EQ(refund(400), ActivityOutcome::kApplied);
  EXPECT_EQ(day_sum("purchase_amount"), 600);  // one row: the purchase's day
  EXPECT_EQ(day_sum("visits"), 1);
  EXPECT_EQ(refund(5000), ActivityOutcome::kApplied);  // capped at what is left
  EXPECT_EQ(day_sum("purchase_amount"), 0);
  EXPECT_EQ(day_sum("visits"), 0);
  EXPECT_EQ(refund(1), ActivityOutcome::kIgnored);
  EXPECT_EQ(refund(100, "unknown"), ActivityOutcome::kIgnored);
  // Refunds never move a card down by themselves.
  EXPECT_EQ(LevelOf(card), "Silver");
  EXPECT_EQ(Recalculate().downgraded, 1);
  EXPECT_EQ(LevelOf(card), "Base");
}

TEST_F(CardLevelStoreTest, ACancelTakesBackTheWholeSaleAndItsVisit) {
  Card card = IssueWith(template_);
  Purchase(card, 1000, "R-C");
  auto day_sum = [&](const char* column) {
    return Scalar(absl::StrCat("SELECT ", column, "::bigint FROM card_activity_days",
                               " WHERE program_id = $1"));
  };
  auto refund = [&](int64_t amount, bool cancels) {
    auto result = activity_->ApplyRefund(RefundFact{.event_id = NewUuid(),
                                                    .program_id = program_,
                                                    .receipt_id = "R-C",
                                                    .amount = amount,
                                                    .cancels_receipt = cancels});
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(ActivityResult{}).outcome;
  };
  EXPECT_EQ(refund(300, false), ActivityOutcome::kApplied);
  // 200 of the rest was paid with points: the cancel returns 500 in money
  // but undoes the whole sale, visit included.
  EXPECT_EQ(refund(500, true), ActivityOutcome::kApplied);
  EXPECT_EQ(day_sum("purchase_amount"), 0);
  EXPECT_EQ(day_sum("visits"), 0);
}

TEST_F(CardLevelStoreTest, VisitsAndPointsLadders) {
  LevelType visits = MakeLevelType(LevelMetric::kVisits);
  MakeLevel(visits, "Newcomer", 0);
  MakeLevel(visits, "Regular", 3);
  Card regular = IssueWith(MakeTemplate(visits.level_type_id));
  Purchase(regular, 10);
  Purchase(regular, 10);
  EXPECT_EQ(LevelOf(regular), "Newcomer");
  Purchase(regular, 0);  // a visit paid fully by points still counts
  EXPECT_EQ(LevelOf(regular), "Regular");

  LevelType points =
      MakeLevelType(LevelMetric::kPointsEarned, LevelWindow{.kind = WindowKind::kLifetime});
  MakeLevel(points, "Earner", 200);  // no base level: cards start without one
  Card earner = IssueWith(MakeTemplate(points.level_type_id));
  EXPECT_EQ(LevelOf(earner), "");
  auto apply = [&](int64_t amount) {
    auto result = activity_->ApplyPoints(PointsFact{.event_id = NewUuid(),
                                                    .program_id = program_,
                                                    .card_number = earner.number,
                                                    .points = amount,
                                                    .time = clock_.Now()});
    EXPECT_TRUE(result.ok()) << result.status();
  };
  apply(150);
  apply(-20);
  apply(60);
  EXPECT_EQ(LevelOf(earner), "");  // 190
  apply(10);
  EXPECT_EQ(LevelOf(earner), "Earner");
}

TEST_F(CardLevelStoreTest, CalendarWindowsCountTheLocalDayAndHoldThroughTheNextPeriod) {
  LevelType monthly =
      MakeLevelType(LevelMetric::kPurchaseAmount, LevelWindow{.kind = WindowKind::kCalendarMonth},
                    "Europe/Moscow");
  MakeLevel(monthly, "Base", 0);
  MakeLevel(monthly, "Silver", 1000);
  // 2025-06-30 22:00 UTC is already July 1st in Moscow.
  clock_.Set(absl::FromCivil(absl::CivilSecond(2025, 6, 30, 22, 0, 0), absl::UTCTimeZone()));
  Card card = IssueWith(MakeTemplate(monthly.level_type_id));
  Purchase(card, 1000);
  EXPECT_EQ(Scalar("SELECT count(*) FROM card_activity_days WHERE program_id = $1"
                   " AND day = '2025-07-01'"),
            1);
  EXPECT_EQ(LevelOf(card), "Silver");
  // Through August (July was enough), down in September.
  clock_.Set(absl::FromCivil(absl::CivilSecond(2025, 8, 31, 12, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(Recalculate().downgraded, 0);
  clock_.Set(absl::FromCivil(absl::CivilSecond(2025, 8, 31, 21, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(Recalculate().downgraded, 1);  // September 1st, 00:00 in Moscow
  EXPECT_EQ(LevelOf(card), "Base");
}

TEST_F(CardLevelStoreTest, ValidityProtectsThenExpiresOrRenews) {
  LevelType type = MakeLevelType(LevelMetric::kPurchaseAmount,
                                 LevelWindow{.kind = WindowKind::kRollingDays, .days = 3});
  MakeLevel(type, "Base", 0);
  MakeLevel(type, "Silver", 1000, LevelSpec{.validity_days = 10});
  CardTemplate card_template = MakeTemplate(type.level_type_id);
  Card leaver = IssueWith(card_template);
  Card loyal = IssueWith(card_template);
  Purchase(leaver, 1000);
  Purchase(loyal, 1000);
  const absl::Time expiry = clock_.Now() + absl::Hours(24 * 10);
  EXPECT_EQ(View(leaver).level->expire_time, expiry);

  clock_.Advance(absl::Hours(24 * 5));  // outside the window, inside validity
  EXPECT_EQ(Recalculate().downgraded, 0);
  EXPECT_EQ(LevelOf(leaver), "Silver");

  clock_.Advance(absl::Hours(24 * 4));
  Purchase(loyal, 1000);  // qualifies again before the end: no change yet
  EXPECT_EQ(View(loyal).level->expire_time, expiry);

  clock_.Advance(absl::Hours(24));  // the validity ends
  RecalculationStats stats = Recalculate();
  EXPECT_EQ(stats.downgraded, 1);
  EXPECT_EQ(stats.renewed, 1);
  EXPECT_EQ(LevelOf(leaver), "Base");
  EXPECT_EQ(HistoryOf(leaver)[0].reason, LevelChangeReason::kValidityExpired);
  EXPECT_EQ(LevelOf(loyal), "Silver");
  EXPECT_EQ(View(loyal).level->expire_time, clock_.Now() + absl::Hours(24 * 10));
  EXPECT_EQ(HistoryOf(loyal).size(), 2u);  // renewals add no history
}

TEST_F(CardLevelStoreTest, RecalculationIsIdempotentAndDueOnlyWhenDue) {
  Card card = IssueWith(template_);
  Purchase(card, 2000);
  // Nothing is due before the next midnight.
  EXPECT_EQ(Recalculate(/*due_only=*/true).examined, 0);
  EXPECT_EQ(Recalculate(/*due_only=*/false).examined, 1);
  EXPECT_EQ(Recalculate(/*due_only=*/false).examined, 0);  // already at this time

  clock_.Advance(absl::Hours(24 * 31));
  RecalculationStats first = Recalculate(/*due_only=*/true);
  EXPECT_EQ(first.examined, 1);
  EXPECT_EQ(first.downgraded, 1);
  EXPECT_EQ(HistoryOf(card)[0].reason, LevelChangeReason::kScheduledDowngrade);
  clock_.Advance(absl::Hours(25));
  RecalculationStats second = Recalculate(/*due_only=*/true);
  EXPECT_EQ(second.examined, 1);
  EXPECT_EQ(second.downgraded, 0);
  EXPECT_EQ(HistoryOf(card).size(), 3u);
  EXPECT_EQ(OutboxCount(kLevelChanged), 3);
}

TEST_F(CardLevelStoreTest, ConcurrentRecalculationsShareTheCards) {
  constexpr int kCards = 12;
  std::vector<Card> cards;
  for (int i = 0; i < kCards; ++i) {
    cards.push_back(IssueWith(template_));
    Purchase(cards.back(), 1500);
  }
  clock_.Advance(absl::Hours(24 * 40));
  std::vector<RecalculationStats> stats(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < stats.size(); ++i) {
    threads.emplace_back([&, i] {
      auto run = recalculation_->Run(RecalculationScope{.program_id = program_, .due_only = true},
                                     clock_.Now());
      if (run.ok()) stats[i] = *run;
    });
  }
  for (auto& thread : threads) thread.join();
  int64_t examined = 0, downgraded = 0;
  for (const RecalculationStats& s : stats) {
    examined += s.examined;
    downgraded += s.downgraded;
  }
  EXPECT_EQ(examined, kCards);
  EXPECT_EQ(downgraded, kCards);
  EXPECT_EQ(Scalar("SELECT count(*) FROM card_level_history WHERE program_id = $1"
                   " AND reason = 'SCHEDULED_DOWNGRADE'"),
            kCards);
  EXPECT_EQ(OutboxCount(kLevelChanged), 3 * kCards);  // initial, up, down
  for (const Card& card : cards) EXPECT_EQ(LevelOf(card), "Base");
}

TEST_F(CardLevelStoreTest, ManualLevelsAreKeptAndRecorded) {
  Card card = IssueWith(template_);
  auto set = SetLevel(card, gold_, {.comment = "  Friend of the owner  "});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_FALSE(set->bonus_change_id.has_value());  // no bonus unless asked
  CardLevelView view = View(card);
  EXPECT_EQ(view.level->name, "Gold");
  EXPECT_EQ(view.level->reason, LevelChangeReason::kManual);
  EXPECT_EQ(view.level->expire_time, std::nullopt);
  LevelChangeRecord change = HistoryOf(card)[0];
  EXPECT_EQ(change.comment, "Friend of the owner");
  EXPECT_EQ(change.principal_id, "operator-1");
  EXPECT_EQ(change.reason, LevelChangeReason::kManual);

  // Without an end the level stays whatever the activity.
  clock_.Advance(absl::Hours(24 * 100));
  Recalculate();
  EXPECT_EQ(LevelOf(card), "Gold");

  // With an end it holds until then.
  auto until = SetLevel(card, silver_, {.expire_time = clock_.Now() + absl::Hours(24)});
  ASSERT_TRUE(until.ok()) << until.status();
  clock_.Advance(absl::Hours(23));
  Recalculate();
  EXPECT_EQ(LevelOf(card), "Silver");
  clock_.Advance(absl::Hours(2));
  Recalculate();
  EXPECT_EQ(LevelOf(card), "Base");
  EXPECT_EQ(HistoryOf(card)[0].reason, LevelChangeReason::kValidityExpired);
}

TEST_F(CardLevelStoreTest, ManualChangesAreCheckedAndIdempotent) {
  Card card = IssueWith(template_);
  auto bonus = SetLevel(card, silver_, {.grant_bonus = true, .request_id = "op-1"});
  ASSERT_TRUE(bonus.ok()) << bonus.status();
  ASSERT_TRUE(bonus->bonus_change_id.has_value());
  EXPECT_EQ(*bonuses_->GrantPending(program_), 1);
  EXPECT_EQ(*bonuses_->GrantPending(program_), 0);
  EXPECT_EQ(BalanceOf(card).available, 100);
  // A retry is answered without a second change.
  auto retry = SetLevel(card, silver_, {.grant_bonus = true, .request_id = "op-1"});
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(HistoryOf(card).size(), 2u);
  auto reused = SetLevel(card, gold_, {.request_id = "op-1"});
  EXPECT_EQ(ViolatedField(reused.status()), "request_id");

  LevelType other_type = MakeLevelType();
  Level foreign = MakeLevel(other_type, "Foreign", 0);
  auto other = SetLevel(card, foreign);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(other.status()), "level_id");
  auto unknown = SetLevel(card, Level{.level_id = NewUuid()});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(unknown.status()), "level_id");
  Level spare = MakeLevel(type_, "Spare", 20'000);
  ASSERT_TRUE(
      levels_->ArchiveLevel(program_, type_.level_type_id, spare.level_id, std::nullopt).ok());
  EXPECT_EQ(SetLevel(card, spare).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(SetLevel(card, gold_, {.comment = " "}).status()), "comment");
  EXPECT_EQ(ViolatedField(SetLevel(card, gold_, {.expire_time = clock_.Now()}).status()),
            "expire_time");

  Card plain = NewCard();
  auto no_type = SetLevel(plain, gold_);
  EXPECT_EQ(no_type.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(no_type.status()), "card_number");
  Card ghost{.number = "1234567"};
  EXPECT_EQ(ViolatedField(SetLevel(ghost, gold_).status()), "card_number");
  // Another program sees no card.
  auto foreign_call = card_levels_->SetManual(
      NewUuid(),
      ManualLevelChange{.card_number = card.number, .level_id = gold_.level_id, .comment = "x"});
  EXPECT_EQ(foreign_call.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(LevelOf(card), "Silver");
}

TEST_F(CardLevelStoreTest, BonusRefusedByTheLedgerIsMarkedFailed) {
  Card card = IssueWith(template_);
  Scalar(
      "WITH b AS (UPDATE cards SET status = 'BLOCKED' WHERE program_id = $1 RETURNING 1)"
      " SELECT count(*) FROM b");
  ActivityResult result = Purchase(card, 1000);
  ASSERT_TRUE(result.bonus_change_id.has_value());
  auto granted = bonuses_->Grant(program_, *result.bonus_change_id);
  ASSERT_TRUE(granted.ok()) << granted.status();
  EXPECT_FALSE(*granted);
  LevelChangeRecord change = HistoryOf(card)[0];
  EXPECT_EQ(change.bonus_state, LevelBonusState::kFailed);
  EXPECT_NE(change.bonus_error.find("BLOCKED"), std::string::npos) << change.bonus_error;
  EXPECT_EQ(*bonuses_->GrantPending(program_), 0);
  EXPECT_EQ(BalanceOf(card).available, 0);
}

TEST_F(CardLevelStoreTest, HistoryPagesNewestFirst) {
  Card card = IssueWith(template_);
  for (const Level* level : {&silver_, &gold_, &base_, &silver_}) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_TRUE(SetLevel(card, *level).ok());
  }
  std::vector<std::string> names;
  std::string token;
  do {
    auto page = card_levels_->History(program_, card.number, 2, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const LevelChangeRecord& change : page->changes) names.push_back(change.level_name);
    token = page->next_page_token;
  } while (!token.empty() && names.size() < 20);
  EXPECT_EQ(names, (std::vector<std::string>{"Silver", "Base", "Gold", "Silver", "Base"}));
  EXPECT_EQ(card_levels_->History(NewUuid(), card.number, 2, "").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace loyalty::cards
