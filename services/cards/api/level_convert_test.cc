#include "services/cards/api/level_convert.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::cards {
namespace {

google::protobuf::FieldMask Mask(std::initializer_list<const char*> paths) {
  google::protobuf::FieldMask mask;
  for (const char* path : paths) mask.add_paths(path);
  return mask;
}

TemplateSpec Stored() {
  return TemplateSpec{.name = "Standard",
                      .description = "old",
                      .kind = CardKind::kBonus,
                      .background_color = "#000000",
                      .wallet = {.logo_text = "Shop", .description = "Loyalty card"}};
}

TEST(TemplateMaskTest, OnlyNamedFieldsChange) {
  v1::CardTemplate in;
  in.set_name("VIP");
  in.set_description("new");
  in.mutable_wallet()->set_logo_text("Shop VIP");
  TemplateSpec spec = Stored();
  ASSERT_TRUE(ApplyMask(in, Mask({"name", "wallet.logo_text"}), spec).ok());
  EXPECT_EQ(spec.name, "VIP");
  EXPECT_EQ(spec.description, "old");
  EXPECT_EQ(spec.wallet.logo_text, "Shop VIP");
  EXPECT_EQ(spec.wallet.description, "Loyalty card");
  EXPECT_EQ(spec.background_color, "#000000");
}

TEST(TemplateMaskTest, EmptyMaskReplacesEveryMutableField) {
  v1::CardTemplate in;
  in.set_name("VIP");
  in.set_kind(v1::CARD_KIND_DISCOUNT);
  in.set_discount_bp(700);
  TemplateSpec spec = Stored();
  ASSERT_TRUE(ApplyMask(in, Mask({}), spec).ok());
  EXPECT_EQ(spec.name, "VIP");
  EXPECT_EQ(spec.description, "");
  EXPECT_EQ(spec.kind, CardKind::kDiscount);
  EXPECT_EQ(spec.discount_bp, 700);
  EXPECT_EQ(spec.background_color, "");
  EXPECT_EQ(spec.wallet, WalletAppearance{});
}

TEST(TemplateMaskTest, UnknownAndOutputOnlyPathsAreRefused) {
  v1::CardTemplate in;
  for (const char* bad : {"etag", "state", "template_id", "create_time", "colour", "wallet.x"}) {
    TemplateSpec spec = Stored();
    absl::Status status = ApplyMask(in, Mask({"name", bad}), spec);
    EXPECT_EQ(ViolatedField(status), "update_mask") << bad;
  }
}

TEST(LevelTypeMaskTest, WindowAsAWholeOrByPart) {
  LevelTypeSpec spec{.name = "Purchases",
                     .metric = LevelMetric::kPurchaseAmount,
                     .window = {.kind = WindowKind::kRollingDays, .days = 365},
                     .time_zone = "Europe/Moscow"};
  v1::LevelType in;
  in.mutable_window()->set_kind(v1::LEVEL_WINDOW_KIND_CALENDAR_YEAR);
  in.mutable_window()->set_days(30);
  LevelTypeSpec by_part = spec;
  ASSERT_TRUE(ApplyMask(in, Mask({"window.days"}), by_part).ok());
  EXPECT_EQ(by_part.window, (LevelWindow{WindowKind::kRollingDays, 30}));
  LevelTypeSpec whole = spec;
  ASSERT_TRUE(ApplyMask(in, Mask({"window"}), whole).ok());
  EXPECT_EQ(whole.window, (LevelWindow{WindowKind::kCalendarYear, 30}));
  EXPECT_EQ(whole.time_zone, "Europe/Moscow");
  EXPECT_EQ(ViolatedField(ApplyMask(in, Mask({"window.length"}), whole)), "update_mask");
}

TEST(LevelMaskTest, Thresholds) {
  LevelSpec spec{.name = "Gold", .threshold = 5000, .bonus_points = 100};
  v1::Level in;
  in.set_threshold(7000);
  in.set_name("ignored");
  ASSERT_TRUE(ApplyMask(in, Mask({"threshold"}), spec).ok());
  EXPECT_EQ(spec.threshold, 7000);
  EXPECT_EQ(spec.name, "Gold");
  EXPECT_EQ(spec.bonus_points, 100);
  EXPECT_EQ(ViolatedField(ApplyMask(in, Mask({"rank"}), spec)), "update_mask");
}

TEST(LevelConvertTest, UnknownEnumNumbersBecomeUnspecified) {
  v1::CardTemplate card_template;
  card_template.set_kind(static_cast<v1::CardKind>(42));
  EXPECT_EQ(FromProto(card_template).kind, CardKind::kUnspecified);
  v1::LevelType level_type;
  level_type.set_metric(static_cast<v1::LevelMetric>(9));
  level_type.mutable_window()->set_kind(static_cast<v1::LevelWindowKind>(-3));
  EXPECT_EQ(FromProto(level_type).metric, LevelMetric::kUnspecified);
  EXPECT_EQ(FromProto(level_type).window.kind, WindowKind::kUnspecified);
}

TEST(LevelConvertTest, CardViewAndEtags) {
  v1::Card card;
  const absl::Time start = absl::FromUnixSeconds(1'700'000'000);
  AddLevelView(CardLevelView{.template_id = "t-1",
                             .level = CardLevelInfo{.level_id = "l-1",
                                                    .level_type_id = "lt-1",
                                                    .name = "Gold",
                                                    .rank = 3,
                                                    .start_time = start,
                                                    .reason = LevelChangeReason::kManual},
                             .benefits = {CardKind::kDiscount, 500, 0}},
               card);
  EXPECT_EQ(card.template_id(), "t-1");
  EXPECT_EQ(card.level().name(), "Gold");
  EXPECT_EQ(card.level().rank(), 3);
  EXPECT_EQ(card.level().start_time().seconds(), 1'700'000'000);
  EXPECT_FALSE(card.level().has_expire_time());
  EXPECT_EQ(card.level().reason(), v1::LEVEL_CHANGE_REASON_MANUAL);
  EXPECT_EQ(card.benefits().kind(), v1::CARD_KIND_DISCOUNT);
  EXPECT_EQ(card.benefits().discount_bp(), 500);

  v1::Level level;
  ToProto(Level{.level_id = "l", .version = 4, .rank = 2}, level);
  EXPECT_EQ(level.etag(), "4");
  EXPECT_EQ(level.rank(), 2);
  EXPECT_EQ(level.state(), v1::DEFINITION_STATE_ACTIVE);
}

}  // namespace
}  // namespace loyalty::cards
