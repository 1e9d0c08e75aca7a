#include "libs/promotions/engine.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/promotions/validate.h"

namespace loyalty::promotions {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::SizeIs;

absl::TimeZone Moscow() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Moscow", &zone));
  return zone;
}

// Monday 2026-11-23 12:00 in Moscow.
absl::Time Noon() { return absl::FromCivil(absl::CivilSecond(2026, 11, 23, 12, 0, 0), Moscow()); }

ReceiptLine Line(std::string sku, std::string category, int64_t units, int64_t price) {
  return {.sku = std::move(sku),
          .category = std::move(category),
          .quantity_milli = units * 1000,
          .price = price,
          .amount = units * price};
}

ReceiptContext Receipt(std::vector<ReceiptLine> lines) {
  ReceiptContext receipt;
  receipt.lines = std::move(lines);
  receipt.store_id = "s1";
  receipt.partner_id = "p1";
  receipt.channel = "till";
  receipt.time = Noon();
  receipt.base_accrual_rate_bp = 500;
  receipt.point_value = 100;
  return receipt;
}

Rule MakeRule(std::string id, std::vector<Condition> conditions, std::vector<Effect> effects) {
  Rule rule;
  rule.rule_id = std::move(id);
  rule.conditions = std::move(conditions);
  rule.effects = std::move(effects);
  return rule;
}

Campaign MakeCampaign(std::string id, int32_t priority, std::vector<Rule> rules,
                      Stacking stacking = Stacking::kCombinable) {
  Campaign campaign;
  campaign.campaign_id = id;
  campaign.name = "campaign " + id;
  campaign.priority = priority;
  campaign.stacking = stacking;
  campaign.state = CampaignState::kActive;
  campaign.rules = std::move(rules);
  return campaign;
}

// One campaign, one rule.
Campaign Simple(std::string id, std::vector<Condition> conditions, std::vector<Effect> effects,
                int32_t priority = 10, Stacking stacking = Stacking::kCombinable) {
  return MakeCampaign(std::move(id), priority,
                      {MakeRule("r1", std::move(conditions), std::move(effects))}, stacking);
}

Outcome Price(const std::vector<Campaign>& campaigns, const ReceiptContext& receipt,
              EvaluationSettings settings = {}) {
  absl::StatusOr<Snapshot> snapshot = Snapshot::Compile(campaigns, Moscow(), settings);
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  if (!snapshot.ok()) return {};
  absl::StatusOr<Outcome> outcome = Evaluate(*snapshot, receipt);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  return outcome.ok() ? *outcome : Outcome{};
}

std::vector<int64_t> Discounts(const Outcome& outcome) {
  std::vector<int64_t> out;
  for (const LineOutcome& line : outcome.lines) out.push_back(line.discount);
  return out;
}

std::vector<int64_t> Points(const Outcome& outcome) {
  std::vector<int64_t> out;
  for (const LineOutcome& line : outcome.lines) out.push_back(line.bonus_points);
  return out;
}

std::vector<std::string> Applied(const Outcome& outcome) {
  std::vector<std::string> out;
  for (const Explanation& e : outcome.explanations) out.push_back(e.campaign_id + "/" + e.rule_id);
  return out;
}

DiscountEffect Percent(int32_t bp) { return {.target = Target::kReceipt, .percent_bp = bp}; }
DiscountEffect Fixed(int64_t amount) {
  return {.target = Target::kReceipt, .fixed_amount = amount};
}

// ------------------------------------------------------------ discounts

TEST(EvaluateTest, ReceiptPercentSpreadsByLargestRemainder) {
  Outcome outcome =
      Price({Simple("c", {}, {Percent(1000)})},
            Receipt({Line("a", "x", 1, 333), Line("b", "x", 1, 333), Line("c", "x", 1, 334)}));
  // 10% of 1000 = 100: 33.3 + 33.3 + 33.4, the leftover unit to the largest
  // remainder.
  EXPECT_THAT(Discounts(outcome), ElementsAre(33, 33, 34));
  EXPECT_EQ(outcome.discount, 100);
  ASSERT_THAT(outcome.explanations, SizeIs(1));
  const Explanation& explanation = outcome.explanations[0];
  EXPECT_EQ(explanation.campaign_id, "c");
  EXPECT_EQ(explanation.rule_id, "r1");
  EXPECT_EQ(explanation.discount, 100);
  EXPECT_THAT(explanation.lines,
              ElementsAre(Field(&LineShare::discount, 33), Field(&LineShare::discount, 33),
                          Field(&LineShare::discount, 34)));
}

TEST(EvaluateTest, PercentRoundsDownNeverInTheMembersFavour) {
  Outcome outcome = Price({Simple("c", {}, {Percent(1000)})}, Receipt({Line("a", "x", 1, 999)}));
  EXPECT_EQ(outcome.discount, 99);
}

TEST(EvaluateTest, FixedDiscountOnSelectedLinesOnly) {
  Outcome outcome = Price({Simple("c", {},
                                  {DiscountEffect{.target = Target::kLines,
                                                  .lines = {.categories = {"tea"}},
                                                  .fixed_amount = 500}})},
                          Receipt({Line("sencha", "tea", 1, 1000), Line("bread", "bakery", 1, 5000),
                                   Line("oolong", "tea", 3, 1000)}));
  EXPECT_THAT(Discounts(outcome), ElementsAre(125, 0, 375));
}

TEST(EvaluateTest, LinesEffectInheritsTheRuleLinesCondition) {
  Outcome outcome = Price(
      {Simple("c", {LinesCondition{.lines = {.skus = {"sencha"}}, .min_quantity_milli = 2000}},
              {DiscountEffect{.target = Target::kLines, .percent_bp = 5000}})},
      Receipt({Line("sencha", "tea", 2, 1000), Line("bread", "bakery", 1, 500)}));
  EXPECT_THAT(Discounts(outcome), ElementsAre(1000, 0));
}

TEST(EvaluateTest, DiscountNeverBelowZeroNorTheMinimumPrice) {
  ReceiptContext receipt = Receipt({Line("a", "x", 2, 100), Line("b", "x", 1, 50)});
  EXPECT_THAT(Discounts(Price({Simple("c", {}, {Fixed(10000)})}, receipt)), ElementsAre(200, 50));
  // One minor unit per unit must stay: 2 on the first line, 1 on the second.
  Outcome outcome = Price({Simple("c", {}, {Fixed(10000)})}, receipt, {.min_unit_price = 1});
  EXPECT_THAT(Discounts(outcome), ElementsAre(198, 49));
  EXPECT_EQ(outcome.consumption[0].discount, 247);
  // A fractional quantity keeps the rounded-up share of a unit.
  ReceiptContext weighed = Receipt(
      {{.sku = "cheese", .category = "x", .quantity_milli = 250, .price = 1000, .amount = 250}});
  EXPECT_THAT(Discounts(Price({Simple("c", {}, {Fixed(10000)})}, weighed, {.min_unit_price = 3})),
              ElementsAre(249));
}

TEST(EvaluateTest, PercentAppliesToWhatEarlierDiscountsLeft) {
  Outcome outcome =
      Price({Simple("first", {}, {Fixed(100)}, 10), Simple("second", {}, {Percent(1000)}, 5)},
            Receipt({Line("a", "x", 1, 1000)}));
  EXPECT_EQ(outcome.discount, 100 + 90);
  EXPECT_THAT(Applied(outcome), ElementsAre("first/r1", "second/r1"));
  EXPECT_THAT(outcome.consumption,
              ElementsAre(Field(&Consumption::discount, 100), Field(&Consumption::discount, 90)));
}

// ------------------------------------------------------------ points

TEST(EvaluateTest, FixedPointsSpreadOverAmountsAfterDiscounts) {
  Outcome outcome =
      Price({Simple("d", {},
                    {DiscountEffect{
                        .target = Target::kLines, .lines = {.skus = {"a"}}, .percent_bp = 10000}},
                    20),
             Simple("p", {}, {PointsEffect{.fixed_points = 10}}, 10)},
            Receipt({Line("a", "x", 1, 1000), Line("b", "x", 1, 300), Line("c", "x", 1, 200)}));
  // Line a is free after the discount, so it earns nothing.
  EXPECT_THAT(Points(outcome), ElementsAre(0, 6, 4));
  EXPECT_EQ(outcome.bonus_points, 10);
}

TEST(EvaluateTest, PercentPointsOfTheDiscountedAmount) {
  // 10% off 1990 -> 1791; 10% of 1791 minor units is 179.1 -> 1 point of 100.
  Outcome outcome = Price({Simple("c", {}, {Percent(1000), PointsEffect{.percent_bp = 1000}})},
                          Receipt({Line("a", "x", 1, 1990)}));
  EXPECT_EQ(outcome.discount, 199);
  EXPECT_EQ(outcome.bonus_points, 1);
  ReceiptContext receipt = Receipt({Line("a", "x", 1, 1990)});
  receipt.point_value = 1;
  EXPECT_EQ(Price({Simple("c", {}, {Percent(1000), PointsEffect{.percent_bp = 1000}})}, receipt)
                .bonus_points,
            179);
}

TEST(EvaluateTest, MultiplierAddsMultiplesOfTheBaseAccrual) {
  ReceiptContext receipt = Receipt({Line("a", "tea", 1, 10000), Line("b", "bakery", 1, 10000)});
  receipt.base_accrual_rate_bp = 500;  // 5%: 5 points per 100.00 at point value 100
  Outcome outcome = Price(
      {Simple("c", {},
              {PointsEffect{
                  .target = Target::kLines, .lines = {.categories = {"tea"}}, .multiplier = 3}})},
      receipt);
  // Tea earns x3: the base 5 points plus 10 more.
  EXPECT_THAT(Points(outcome), ElementsAre(10, 0));
}

// ------------------------------------------------------------ excluded lines

ReceiptLine NoDiscount(ReceiptLine line) {
  line.discountable = false;
  return line;
}

ReceiptLine NoAccrual(ReceiptLine line) {
  line.accrues_points = false;
  return line;
}

TEST(EvaluateTest, NoDiscountLineCountsForConditionsButGetsNoDiscount) {
  // 600 + 500 reach the 1000 threshold only with the noDiscount line; the
  // 10% is of the discountable line alone.
  ReceiptContext receipt = Receipt({Line("a", "x", 1, 600), NoDiscount(Line("b", "x", 1, 500))});
  Outcome outcome =
      Price({Simple("c", {ReceiptSumCondition{.min_amount = 1000}}, {Percent(1000)})}, receipt);
  EXPECT_THAT(Discounts(outcome), ElementsAre(60, 0));
  EXPECT_THAT(Applied(outcome), ElementsAre("c/r1"));
  // A fixed amount goes to the discountable lines only, capped by them.
  EXPECT_THAT(Discounts(Price({Simple("c", {}, {Fixed(1000)})}, receipt)), ElementsAre(600, 0));
  // Lines conditions count the noDiscount line's quantity too.
  Outcome lines = Price(
      {Simple("c", {LinesCondition{.lines = {.categories = {"x"}}, .min_quantity_milli = 2000}},
              {DiscountEffect{.target = Target::kLines, .percent_bp = 5000}})},
      receipt);
  EXPECT_THAT(Discounts(lines), ElementsAre(300, 0));
}

TEST(EvaluateTest, RuleWithNoEligibleLineIsNotApplied) {
  ReceiptContext receipt =
      Receipt({Line("a", "x", 1, 600), NoDiscount(NoAccrual(Line("tea", "t", 1, 500)))});
  std::vector<Campaign> campaigns = {
      Simple("tea-off", {},
             {DiscountEffect{.target = Target::kLines, .lines = {.skus = {"tea"}}, .percent_bp = 1000}},
             20),
      Simple("tea-points", {},
             {PointsEffect{.target = Target::kLines, .lines = {.skus = {"tea"}}, .fixed_points = 5}},
             10)};
  Outcome outcome = Price(campaigns, receipt);
  EXPECT_EQ(outcome.discount, 0);
  EXPECT_EQ(outcome.bonus_points, 0);
  EXPECT_THAT(outcome.explanations, IsEmpty());
  EXPECT_THAT(outcome.consumption, IsEmpty());
  // A rule with another effect still applies, for that effect.
  campaigns[0].rules[0].effects.push_back(GiftEffect{.sku = "cup"});
  outcome = Price(campaigns, receipt);
  EXPECT_THAT(Applied(outcome), ElementsAre("tea-off/r1"));
  EXPECT_THAT(outcome.gifts, SizeIs(1));
}

TEST(EvaluateTest, NoAccrualLineGetsNoBonusPoints) {
  ReceiptContext receipt =
      Receipt({Line("a", "x", 1, 1000), NoAccrual(Line("b", "x", 1, 3000)), Line("c", "x", 1, 0)});
  receipt.point_value = 1;
  Outcome fixed = Price({Simple("c", {}, {PointsEffect{.fixed_points = 10}})}, receipt);
  EXPECT_THAT(Points(fixed), ElementsAre(10, 0, 0));
  Outcome percent = Price({Simple("c", {}, {PointsEffect{.percent_bp = 1000}})}, receipt);
  EXPECT_THAT(Points(percent), ElementsAre(100, 0, 0));
  // The noAccrual line still gets its discount.
  Outcome discount = Price({Simple("c", {}, {Percent(1000)})}, receipt);
  EXPECT_THAT(Discounts(discount), ElementsAre(100, 300, 0));
}

TEST(SnapshotTest, ReadsMemberFactsOnlyWhenACampaignDoes) {
  auto reads = [](const std::vector<Campaign>& campaigns) {
    absl::StatusOr<Snapshot> snapshot = Snapshot::Compile(campaigns, Moscow());
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    return snapshot.ok() && snapshot->reads_member_facts();
  };
  Campaign plain = Simple("plain", {ReceiptSumCondition{.min_amount = 1}}, {Percent(100)});
  plain.audience.store_ids = {"s1"};
  EXPECT_FALSE(reads({}));
  EXPECT_FALSE(reads({plain}));
  Campaign gold = Simple("gold", {}, {Percent(100)});
  gold.audience.levels = {"gold"};
  EXPECT_TRUE(reads({plain, gold}));
  for (Condition condition :
       std::vector<Condition>{FirstPurchaseCondition{}, BirthdayCondition{.days_before = 1},
                              LevelCondition{.levels = {"gold"}}, TagCondition{.tag = "vip"},
                              AttributeCondition{.key = "city", .values = {"Perm"}}}) {
    EXPECT_TRUE(reads({plain, Simple("member", {condition}, {Percent(100)})}))
        << condition.index();
  }
  // A paused campaign is not in the snapshot, so it reads nothing.
  gold.state = CampaignState::kPaused;
  EXPECT_FALSE(reads({plain, gold}));
}

// ------------------------------------------------------------ stacking

TEST(EvaluateTest, StopFurtherStopsLowerPriorities) {
  ReceiptContext receipt = Receipt({Line("a", "x", 1, 1000)});
  Outcome outcome = Price({Simple("high", {}, {Fixed(10)}, 30),
                           Simple("stop", {}, {Fixed(20)}, 20, Stacking::kStopFurther),
                           Simple("low", {}, {Fixed(40)}, 10)},
                          receipt);
  EXPECT_THAT(Applied(outcome), ElementsAre("high/r1", "stop/r1"));
  EXPECT_EQ(outcome.discount, 30);
  // A stop-further campaign that does not apply stops nothing.
  outcome = Price({Simple("stop", {ReceiptSumCondition{.min_amount = 5000}}, {Fixed(20)}, 20,
                          Stacking::kStopFurther),
                   Simple("low", {}, {Fixed(40)}, 10)},
                  receipt);
  EXPECT_THAT(Applied(outcome), ElementsAre("low/r1"));
}

TEST(EvaluateTest, ExclusiveWinsWhenWorthMoreToTheMember) {
  ReceiptContext receipt = Receipt({Line("a", "x", 1, 1000)});
  std::vector<Campaign> campaigns = {Simple("a", {}, {Fixed(50)}, 10),
                                     Simple("b", {}, {Fixed(50)}, 5),
                                     Simple("x", {}, {Fixed(150)}, 1, Stacking::kExclusive)};
  Outcome outcome = Price(campaigns, receipt);
  EXPECT_THAT(Applied(outcome), ElementsAre("x/r1"));
  EXPECT_EQ(outcome.discount, 150);
  EXPECT_THAT(outcome.consumption, ElementsAre(Field(&Consumption::campaign_id, "x")));

  campaigns[2] = Simple("x", {}, {Fixed(80)}, 1, Stacking::kExclusive);
  EXPECT_THAT(Applied(Price(campaigns, receipt)), ElementsAre("a/r1", "b/r1"));
}

TEST(EvaluateTest, ExclusiveComparesPointsAtTheirValue) {
  ReceiptContext receipt = Receipt({Line("a", "x", 1, 1000)});
  // 2 points at 100 each are worth 200 > a discount of 150.
  Outcome outcome =
      Price({Simple("d", {}, {Fixed(150)}, 10),
             Simple("x", {}, {PointsEffect{.fixed_points = 2}}, 1, Stacking::kExclusive)},
            receipt);
  EXPECT_THAT(Applied(outcome), ElementsAre("x/r1"));
  EXPECT_EQ(outcome.discount, 0);
}

TEST(EvaluateTest, OnATieThePriorityDecides) {
  ReceiptContext receipt = Receipt({Line("a", "x", 1, 1000)});
  std::vector<Campaign> campaigns = {Simple("a", {}, {Fixed(50)}, 10),
                                     Simple("b", {}, {Fixed(50)}, 5),
                                     Simple("x", {}, {Fixed(100)}, 1, Stacking::kExclusive)};
  EXPECT_THAT(Applied(Price(campaigns, receipt)), ElementsAre("a/r1", "b/r1"));
  campaigns[2].priority = 20;
  EXPECT_THAT(Applied(Price(campaigns, receipt)), ElementsAre("x/r1"));
  // Two exclusives alone: the higher priority one; equal priority: by id.
  EXPECT_THAT(Applied(Price({Simple("y", {}, {Fixed(100)}, 7, Stacking::kExclusive),
                             Simple("x", {}, {Fixed(100)}, 7, Stacking::kExclusive)},
                            receipt)),
              ElementsAre("x/r1"));
}

TEST(EvaluateTest, ExclusiveBelowAStopFurtherIsNotConsidered) {
  ReceiptContext receipt = Receipt({Line("a", "x", 1, 1000)});
  Outcome outcome = Price({Simple("stop", {}, {Fixed(10)}, 20, Stacking::kStopFurther),
                           Simple("x", {}, {Fixed(500)}, 10, Stacking::kExclusive)},
                          receipt);
  EXPECT_THAT(Applied(outcome), ElementsAre("stop/r1"));
}

// ------------------------------------------------------------ conditions

struct ConditionCase {
  std::string name;
  Condition condition;
  ReceiptContext holds;
  ReceiptContext fails;
};

MemberFacts Member() {
  MemberFacts member;
  member.level = "gold";
  member.tags = {"vip", "coffee"};
  member.attributes = {{"pet", "cat"}, {"city", "Kazan"}};
  member.segment_ids = {"seg-1"};
  member.birthday = absl::CivilDay(1990, 11, 25);
  return member;
}

ReceiptContext WithMember(ReceiptContext receipt, MemberFacts member) {
  receipt.member = std::move(member);
  return receipt;
}

ReceiptContext At(ReceiptContext receipt, absl::CivilSecond moscow_time) {
  receipt.time = absl::FromCivil(moscow_time, Moscow());
  return receipt;
}

TEST(EvaluateTest, EachConditionHoldsAndFails) {
  ReceiptContext base = Receipt({Line("sencha", "tea", 2, 1000), Line("bread", "bakery", 1, 500)});
  MemberFacts member = Member();
  MemberFacts first = member;
  first.first_purchase = true;
  MemberFacts silver = member;
  silver.level = "silver";
  MemberFacts dog = member;
  dog.attributes = {{"pet", "dog"}};
  ReceiptContext coded = base;
  coded.promo_codes = {{.code = "OTHER"}, {.code = "TEA10"}};
  ReceiptContext pooled = base;
  pooled.promo_codes = {{.code = "X7Q2", .pool_id = "pool-1"}};

  std::vector<ConditionCase> cases = {
      {"receipt sum min", ReceiptSumCondition{.min_amount = 2500}, base,
       Receipt({Line("bread", "bakery", 1, 500)})},
      {"receipt sum max", ReceiptSumCondition{.max_amount = 2500}, base,
       Receipt({Line("sencha", "tea", 3, 1000)})},
      {"lines quantity",
       LinesCondition{.lines = {.categories = {"tea"}}, .min_quantity_milli = 2000}, base,
       Receipt({Line("sencha", "tea", 1, 1000), Line("bread", "bakery", 5, 500)})},
      {"lines amount", LinesCondition{.lines = {.skus = {"sencha"}}, .min_amount = 2000}, base,
       Receipt({Line("sencha", "tea", 1, 1999)})},
      {"lines present", LinesCondition{.lines = {.skus = {"bread"}}}, base,
       Receipt({Line("sencha", "tea", 1, 1000)})},
      {"first purchase", FirstPurchaseCondition{}, WithMember(base, first),
       WithMember(base, member)},
      {"birthday", BirthdayCondition{.days_before = 3}, WithMember(base, member),
       WithMember(At(base, absl::CivilSecond(2026, 11, 21, 12, 0, 0)), member)},
      {"birthday needs a member", BirthdayCondition{.days_before = 3}, WithMember(base, member),
       base},
      {"level", LevelCondition{.levels = {"gold", "platinum"}}, WithMember(base, member),
       WithMember(base, silver)},
      {"tag", TagCondition{.tag = "vip"}, WithMember(base, member), base},
      {"attribute equals", AttributeCondition{.key = "pet", .values = {"cat"}},
       WithMember(base, member), WithMember(base, dog)},
      {"attribute in set", AttributeCondition{.key = "pet", .values = {"dog", "fish"}},
       WithMember(base, dog), WithMember(base, member)},
      {"time of day",
       TimeOfDayCondition{.window = {.start_minute = 11 * 60, .end_minute = 13 * 60}}, base,
       At(base, absl::CivilSecond(2026, 11, 23, 13, 0, 0))},
      {"day of week", DayOfWeekCondition{.days = {absl::Weekday::monday, absl::Weekday::friday}},
       base, At(base, absl::CivilSecond(2026, 11, 24, 12, 0, 0))},
      {"shared promo code", PromoCodeCondition{.code = "TEA10"}, coded, pooled},
      {"pool promo code", PromoCodeCondition{.pool_id = "pool-1"}, pooled, coded},
  };
  for (const ConditionCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<Campaign> campaigns = {Simple("c", {c.condition}, {Fixed(1)})};
    EXPECT_THAT(Applied(Price(campaigns, c.holds)), ElementsAre("c/r1"));
    EXPECT_THAT(Applied(Price(campaigns, c.fails)), IsEmpty());
  }
}

TEST(EvaluateTest, ReportsTheCodesARuleUsed) {
  ReceiptContext receipt = Receipt({Line("a", "x", 1, 1000)});
  receipt.promo_codes = {{.code = "OTHER"}, {.code = "TEA10"}};
  Outcome outcome =
      Price({Simple("c", {PromoCodeCondition{.code = "TEA10"}}, {Fixed(1)})}, receipt);
  ASSERT_THAT(outcome.explanations, SizeIs(1));
  EXPECT_THAT(outcome.explanations[0].promo_codes, ElementsAre(1));
}

TEST(EvaluateTest, AllConditionsOfARuleMustHoldAndRulesApplyIndependently) {
  ReceiptContext receipt = Receipt({Line("a", "x", 1, 1000)});
  Campaign campaign = MakeCampaign(
      "c", 10,
      {MakeRule("both", {ReceiptSumCondition{.min_amount = 500}, FirstPurchaseCondition{}},
                {Fixed(1)}),
       MakeRule("sum", {ReceiptSumCondition{.min_amount = 500}}, {Fixed(2)}),
       MakeRule("always", {}, {Fixed(4)})});
  Outcome outcome = Price({campaign}, receipt);
  EXPECT_THAT(Applied(outcome), ElementsAre("c/sum", "c/always"));
  EXPECT_EQ(outcome.discount, 6);
  ASSERT_THAT(outcome.consumption, SizeIs(1));
  EXPECT_EQ(outcome.consumption[0].discount, 6);
}

// ------------------------------------------------------------ audience, schedule

TEST(EvaluateTest, AudienceAndPlaces) {
  ReceiptContext receipt = WithMember(Receipt({Line("a", "x", 1, 1000)}), Member());
  Campaign campaign = Simple("c", {}, {Fixed(1)});
  auto applies = [&](const Campaign& c, const ReceiptContext& r) {
    return !Price({c}, r).explanations.empty();
  };
  Campaign stores = campaign;
  stores.audience.store_ids = {"s2", "s1"};
  EXPECT_TRUE(applies(stores, receipt));
  stores.audience.store_ids = {"s2"};
  EXPECT_FALSE(applies(stores, receipt));

  Campaign partners = campaign;
  partners.audience.partner_ids = {"p2"};
  EXPECT_FALSE(applies(partners, receipt));
  Campaign channels = campaign;
  channels.audience.channels = {"app"};
  EXPECT_FALSE(applies(channels, receipt));
  channels.audience.channels = {"app", "till"};
  EXPECT_TRUE(applies(channels, receipt));

  Campaign members = campaign;
  members.audience.levels = {"gold"};
  members.audience.tags = {"coffee", "tea"};
  members.audience.segment_ids = {"seg-1"};
  members.audience.attributes = {{.key = "city", .values = {"Kazan", "Perm"}}};
  EXPECT_TRUE(applies(members, receipt));
  ReceiptContext anonymous = receipt;
  anonymous.member.reset();
  EXPECT_FALSE(applies(members, anonymous));
  members.audience.segment_ids = {"seg-2"};
  EXPECT_FALSE(applies(members, receipt));
  members.audience.segment_ids = {};
  members.audience.attributes = {{.key = "city", .values = {"Perm"}}};
  EXPECT_FALSE(applies(members, receipt));
}

TEST(EvaluateTest, ScheduleInTheProgramOrTheCampaignZone) {
  ReceiptContext receipt = Receipt({Line("a", "x", 1, 1000)});  // Monday 12:00 Moscow
  Campaign campaign = Simple("c", {}, {Fixed(1)});
  campaign.schedule.hours = {{.start_minute = 12 * 60, .end_minute = 13 * 60}};
  EXPECT_THAT(Price({campaign}, receipt).explanations, SizeIs(1));
  // In Berlin it is 10:00.
  campaign.schedule.time_zone = "Europe/Berlin";
  EXPECT_THAT(Price({campaign}, receipt).explanations, IsEmpty());
  campaign.schedule.hours = {{.start_minute = 10 * 60, .end_minute = 11 * 60}};
  EXPECT_THAT(Price({campaign}, receipt).explanations, SizeIs(1));

  campaign = Simple("c", {}, {Fixed(1)});
  campaign.schedule.start_time = receipt.time + absl::Seconds(1);
  EXPECT_THAT(Price({campaign}, receipt).explanations, IsEmpty());
  campaign.schedule.start_time = receipt.time;
  campaign.schedule.end_time = receipt.time + absl::Seconds(1);
  EXPECT_THAT(Price({campaign}, receipt).explanations, SizeIs(1));
  campaign.schedule.days = {absl::Weekday::sunday};
  EXPECT_THAT(Price({campaign}, receipt).explanations, IsEmpty());
}

// ------------------------------------------------------------ gifts, actions, hints

TEST(EvaluateTest, GiftsAndActionsAreReturnedNotExecuted) {
  Outcome outcome = Price({Simple("c", {ReceiptSumCondition{.min_amount = 1000}},
                                  {GiftEffect{.sku = "mug", .quantity_milli = 2000, .price = 0},
                                   IssuePromoCodeAction{.pool_id = "next-visit"},
                                   SetAttributeAction{.key = "status", .value = "tea lover"},
                                   AddTagAction{.tag = "gifted"}})},
                          Receipt({Line("a", "x", 1, 1000)}));
  ASSERT_THAT(outcome.gifts, SizeIs(1));
  EXPECT_EQ(outcome.gifts[0].sku, "mug");
  EXPECT_EQ(outcome.gifts[0].quantity_milli, 2000);
  EXPECT_EQ(outcome.gifts[0].campaign_id, "c");
  ASSERT_THAT(outcome.actions, SizeIs(3));
  EXPECT_EQ(std::get<IssuePromoCodeAction>(outcome.actions[0].action).pool_id, "next-visit");
  EXPECT_EQ(std::get<SetAttributeAction>(outcome.actions[1].action).value, "tea lover");
  EXPECT_EQ(std::get<AddTagAction>(outcome.actions[2].action).tag, "gifted");
  EXPECT_EQ(outcome.discount, 0);
  ASSERT_THAT(outcome.consumption, SizeIs(1));
  EXPECT_EQ(outcome.consumption[0].gifts, 1);
}

TEST(EvaluateTest, NearMissTellsHowMuchMoreIsNeeded) {
  Campaign campaign = Simple("c", {ReceiptSumCondition{.min_amount = 100000}}, {Percent(1000)});
  campaign.rules[0].cashier_message = "10% off from 1000.00";
  Campaign needs_member = Simple(
      "m", {ReceiptSumCondition{.min_amount = 100000}, FirstPurchaseCondition{}}, {Percent(1000)});
  Outcome outcome = Price({campaign, needs_member}, Receipt({Line("a", "x", 1, 70000)}));
  EXPECT_THAT(outcome.explanations, IsEmpty());
  ASSERT_THAT(outcome.near_misses, SizeIs(1));
  EXPECT_EQ(outcome.near_misses[0].campaign_id, "c");
  EXPECT_EQ(outcome.near_misses[0].missing_amount, 30000);
  EXPECT_EQ(outcome.near_misses[0].cashier_message, "10% off from 1000.00");
}

// ------------------------------------------------------------ bad input, snapshot

TEST(EvaluateTest, RejectsReceiptsOutOfRange) {
  absl::StatusOr<Snapshot> snapshot = Snapshot::Compile({}, Moscow());
  ASSERT_TRUE(snapshot.ok());
  ReceiptContext receipt = Receipt({Line("a", "x", 1, 1000), Line("b", "x", 1, 1000)});
  receipt.lines[1].amount = -1;
  EXPECT_EQ(ViolatedField(Evaluate(*snapshot, receipt).status()), "lines[1].amount");
  receipt.lines[1].amount = kMaxAmount;  // the total would exceed it
  EXPECT_EQ(ViolatedField(Evaluate(*snapshot, receipt).status()), "lines[1].amount");
  receipt.lines[1].amount = 1000;
  receipt.lines[0].quantity_milli = 0;
  EXPECT_EQ(ViolatedField(Evaluate(*snapshot, receipt).status()), "lines[0].quantity");
  receipt.lines[0].quantity_milli = 1000;
  receipt.point_value = 0;
  EXPECT_EQ(ViolatedField(Evaluate(*snapshot, receipt).status()), "point_value");
  receipt.point_value = 100;
  EXPECT_TRUE(Evaluate(*snapshot, receipt).ok());
}

TEST(EvaluateTest, BonusPointsOfAReceiptAreCappedBeforeTheyCanOverflow) {
  // The largest receipt at point value 1 and a 100% base rate: each x100
  // effect adds 99 * 10^12 points; twenty of them would pass 10^15.
  ReceiptContext receipt = Receipt({Line("a", "x", 1, kMaxAmount)});
  receipt.point_value = 1;
  receipt.base_accrual_rate_bp = 10000;
  std::vector<Effect> effects(kMaxEffectsPerRule, PointsEffect{.multiplier = kMaxMultiplier});
  Campaign campaign =
      MakeCampaign("c", 10, {MakeRule("r1", {}, effects), MakeRule("r2", {}, effects)});
  Outcome outcome = Price({campaign}, receipt);
  EXPECT_EQ(outcome.bonus_points, 1'000'000'000'000'000);
  EXPECT_EQ(outcome.lines[0].bonus_points, outcome.bonus_points);
}

TEST(SnapshotTest, KeepsActiveCampaignsAndRejectsInvalidOnes) {
  Campaign draft = Simple("draft", {}, {});  // invalid, but a draft: ignored
  draft.state = CampaignState::kDraft;
  absl::StatusOr<Snapshot> snapshot =
      Snapshot::Compile({draft, Simple("c", {}, {Fixed(1)})}, Moscow());
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->size(), 1u);

  snapshot =
      Snapshot::Compile({Simple("c", {}, {Fixed(1)}), Simple("bad", {}, {Percent(0)})}, Moscow());
  EXPECT_EQ(ViolatedField(snapshot.status()), "campaigns[1].rules[0].effects[0].discount");
  snapshot =
      Snapshot::Compile({Simple("c", {}, {Fixed(1)}), Simple("c", {}, {Fixed(2)})}, Moscow());
  EXPECT_EQ(ViolatedField(snapshot.status()), "campaigns[1].campaign_id");
  snapshot = Snapshot::Compile({}, Moscow(), {.min_unit_price = -1});
  EXPECT_EQ(ViolatedField(snapshot.status()), "settings.min_unit_price");
}

TEST(EvaluateTest, OrderOfCampaignsInTheSnapshotDoesNotMatter) {
  std::vector<Campaign> campaigns = {Simple("b", {}, {Percent(700)}, 5),
                                     Simple("a", {}, {Percent(300)}, 5),
                                     Simple("c", {}, {PointsEffect{.percent_bp = 250}}, 9)};
  ReceiptContext receipt = Receipt({Line("a", "x", 3, 777), Line("b", "y", 1, 1234)});
  Outcome first = Price(campaigns, receipt);
  std::reverse(campaigns.begin(), campaigns.end());
  Outcome second = Price(campaigns, receipt);
  EXPECT_THAT(Applied(first), ElementsAre("c/r1", "a/r1", "b/r1"));
  EXPECT_EQ(Applied(first), Applied(second));
  EXPECT_EQ(Discounts(first), Discounts(second));
  EXPECT_EQ(Points(first), Points(second));
}

}  // namespace
}  // namespace loyalty::promotions

namespace loyalty::promotions {
namespace {

TEST(EvaluateTest, ExcludedCampaignsAreLeftOutAndConsumptionCarriesTheBudget) {
  Campaign capped = Simple("capped", {}, {Percent(1000)}, 20);
  capped.budget = {.max_discount = 5000, .max_uses_per_client = 2};
  std::vector<Campaign> campaigns = {capped, Simple("other", {}, {Percent(500)}, 10)};
  ReceiptContext receipt = Receipt({Line("a", "x", 1, 10000)});

  Outcome all = Price(campaigns, receipt);
  EXPECT_THAT(Applied(all), ElementsAre("capped/r1", "other/r1"));
  ASSERT_THAT(all.consumption, SizeIs(2));
  EXPECT_EQ(all.consumption[0].budget.max_discount, 5000);
  EXPECT_EQ(all.consumption[0].budget.max_uses_per_client, 2);
  EXPECT_TRUE(all.consumption[1].budget.empty());

  receipt.excluded_campaigns = {"capped"};
  Outcome without = Price(campaigns, receipt);
  EXPECT_THAT(Applied(without), ElementsAre("other/r1"));
  EXPECT_EQ(without.discount, 500);

  absl::StatusOr<Snapshot> snapshot = Snapshot::Compile(campaigns, Moscow());
  ASSERT_TRUE(snapshot.ok());
  ASSERT_TRUE(snapshot->BudgetOf("capped").has_value());
  EXPECT_EQ(snapshot->BudgetOf("capped")->max_discount, 5000);
  EXPECT_FALSE(snapshot->BudgetOf("missing").has_value());
}

}  // namespace
}  // namespace loyalty::promotions
