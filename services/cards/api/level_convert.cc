#include "services/cards/api/level_convert.h"

#include <span>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/rpc/proto_convert.h"
#include "services/cards/storage/level_events.h"

namespace loyalty::cards {
namespace {

// The domain enums mirror the proto ones value for value; numbers the
// domain does not know become kUnspecified.
template <typename Domain>
Domain EnumFromProto(int value, std::initializer_list<Domain> known) {
  for (Domain candidate : known) {
    if (static_cast<int>(candidate) == value) return candidate;
  }
  return Domain::kUnspecified;
}

CardKind KindFromProto(v1::CardKind kind) {
  return EnumFromProto(kind, {CardKind::kBonus, CardKind::kDiscount});
}

v1::DefinitionState StateToProto(DefinitionState state) {
  return static_cast<v1::DefinitionState>(state);
}

// One path of an update mask and how to copy it.
template <typename Message, typename Spec>
struct MaskPath {
  const char* path;
  void (*copy)(const Message& in, Spec& spec);
  bool in_full_update;  // part of an update with an empty mask
};

template <typename Message, typename Spec>
absl::Status ApplyPaths(const Message& in, const google::protobuf::FieldMask& mask,
                        std::span<const MaskPath<Message, Spec>> paths, Spec& spec) {
  if (mask.paths().empty()) {
    for (const auto& path : paths) {
      if (path.in_full_update) path.copy(in, spec);
    }
    return absl::OkStatus();
  }
  for (const std::string& wanted : mask.paths()) {
    const MaskPath<Message, Spec>* found = nullptr;
    for (const auto& path : paths) {
      if (wanted == path.path) found = &path;
    }
    if (found == nullptr) {
      return InvalidField("update_mask", absl::StrCat("'", wanted, "' is not a field to update"));
    }
    found->copy(in, spec);
  }
  return absl::OkStatus();
}

using TemplatePath = MaskPath<v1::CardTemplate, TemplateSpec>;
constexpr TemplatePath kTemplatePaths[] = {
    {"name", [](const v1::CardTemplate& in, TemplateSpec& s) { s.name = in.name(); }, true},
    {"description",
     [](const v1::CardTemplate& in, TemplateSpec& s) { s.description = in.description(); }, true},
    {"kind", [](const v1::CardTemplate& in, TemplateSpec& s) { s.kind = KindFromProto(in.kind()); },
     true},
    {"level_type_id",
     [](const v1::CardTemplate& in, TemplateSpec& s) { s.level_type_id = in.level_type_id(); },
     true},
    {"discount_bp",
     [](const v1::CardTemplate& in, TemplateSpec& s) { s.discount_bp = in.discount_bp(); }, true},
    {"background_color",
     [](const v1::CardTemplate& in, TemplateSpec& s) {
       s.background_color = in.background_color();
     },
     true},
    {"foreground_color",
     [](const v1::CardTemplate& in, TemplateSpec& s) {
       s.foreground_color = in.foreground_color();
     },
     true},
    {"label_color",
     [](const v1::CardTemplate& in, TemplateSpec& s) { s.label_color = in.label_color(); }, true},
    {"logo_url", [](const v1::CardTemplate& in, TemplateSpec& s) { s.logo_url = in.logo_url(); },
     true},
    {"wallet", [](const v1::CardTemplate& in, TemplateSpec& s) { s.wallet = FromProto(in).wallet; },
     true},
    {"wallet.logo_text",
     [](const v1::CardTemplate& in, TemplateSpec& s) {
       s.wallet.logo_text = in.wallet().logo_text();
     },
     false},
    {"wallet.description",
     [](const v1::CardTemplate& in, TemplateSpec& s) {
       s.wallet.description = in.wallet().description();
     },
     false},
    {"wallet.icon_url",
     [](const v1::CardTemplate& in, TemplateSpec& s) {
       s.wallet.icon_url = in.wallet().icon_url();
     },
     false},
    {"wallet.strip_image_url",
     [](const v1::CardTemplate& in, TemplateSpec& s) {
       s.wallet.strip_image_url = in.wallet().strip_image_url();
     },
     false},
};

using LevelTypePath = MaskPath<v1::LevelType, LevelTypeSpec>;
constexpr LevelTypePath kLevelTypePaths[] = {
    {"name", [](const v1::LevelType& in, LevelTypeSpec& s) { s.name = in.name(); }, true},
    {"description",
     [](const v1::LevelType& in, LevelTypeSpec& s) { s.description = in.description(); }, true},
    {"metric", [](const v1::LevelType& in, LevelTypeSpec& s) { s.metric = FromProto(in).metric; },
     true},
    {"window", [](const v1::LevelType& in, LevelTypeSpec& s) { s.window = FromProto(in).window; },
     true},
    {"window.kind",
     [](const v1::LevelType& in, LevelTypeSpec& s) { s.window.kind = FromProto(in).window.kind; },
     false},
    {"window.days",
     [](const v1::LevelType& in, LevelTypeSpec& s) { s.window.days = in.window().days(); }, false},
    {"time_zone", [](const v1::LevelType& in, LevelTypeSpec& s) { s.time_zone = in.time_zone(); },
     true},
};

using LevelPath = MaskPath<v1::Level, LevelSpec>;
constexpr LevelPath kLevelPaths[] = {
    {"name", [](const v1::Level& in, LevelSpec& s) { s.name = in.name(); }, true},
    {"description", [](const v1::Level& in, LevelSpec& s) { s.description = in.description(); },
     true},
    {"threshold", [](const v1::Level& in, LevelSpec& s) { s.threshold = in.threshold(); }, true},
    {"discount_bp", [](const v1::Level& in, LevelSpec& s) { s.discount_bp = in.discount_bp(); },
     true},
    {"accrual_bp", [](const v1::Level& in, LevelSpec& s) { s.accrual_bp = in.accrual_bp(); }, true},
    {"validity_days",
     [](const v1::Level& in, LevelSpec& s) { s.validity_days = in.validity_days(); }, true},
    {"bonus_points", [](const v1::Level& in, LevelSpec& s) { s.bonus_points = in.bonus_points(); },
     true},
};

}  // namespace

TemplateSpec FromProto(const v1::CardTemplate& message) {
  return TemplateSpec{.name = message.name(),
                      .description = message.description(),
                      .kind = KindFromProto(message.kind()),
                      .level_type_id = message.level_type_id(),
                      .discount_bp = message.discount_bp(),
                      .background_color = message.background_color(),
                      .foreground_color = message.foreground_color(),
                      .label_color = message.label_color(),
                      .logo_url = message.logo_url(),
                      .wallet = {.logo_text = message.wallet().logo_text(),
                                 .description = message.wallet().description(),
                                 .icon_url = message.wallet().icon_url(),
                                 .strip_image_url = message.wallet().strip_image_url()}};
}

void ToProto(const CardTemplate& card_template, v1::CardTemplate& out) {
  const TemplateSpec& spec = card_template.spec;
  out.set_template_id(card_template.template_id);
  out.set_name(spec.name);
  out.set_description(spec.description);
  out.set_kind(static_cast<v1::CardKind>(spec.kind));
  out.set_level_type_id(spec.level_type_id);
  out.set_discount_bp(spec.discount_bp);
  out.set_background_color(spec.background_color);
  out.set_foreground_color(spec.foreground_color);
  out.set_label_color(spec.label_color);
  out.set_logo_url(spec.logo_url);
  v1::WalletAppearance& wallet = *out.mutable_wallet();
  wallet.set_logo_text(spec.wallet.logo_text);
  wallet.set_description(spec.wallet.description);
  wallet.set_icon_url(spec.wallet.icon_url);
  wallet.set_strip_image_url(spec.wallet.strip_image_url);
  out.set_state(StateToProto(card_template.state));
  out.set_etag(EtagOf(card_template.version));
  rpc::SetTimestamp(card_template.create_time, out.mutable_create_time());
  rpc::SetTimestamp(card_template.update_time, out.mutable_update_time());
}

LevelTypeSpec FromProto(const v1::LevelType& message) {
  return LevelTypeSpec{
      .name = message.name(),
      .description = message.description(),
      .metric = EnumFromProto(message.metric(), {LevelMetric::kPurchaseAmount,
                                                 LevelMetric::kPointsEarned, LevelMetric::kVisits}),
      .window = {.kind = EnumFromProto(message.window().kind(),
                                       {WindowKind::kRollingDays, WindowKind::kCalendarMonth,
                                        WindowKind::kCalendarQuarter, WindowKind::kCalendarYear,
                                        WindowKind::kLifetime}),
                 .days = message.window().days()},
      .time_zone = message.time_zone()};
}

void ToProto(const LevelType& level_type, v1::LevelType& out) {
  const LevelTypeSpec& spec = level_type.spec;
  out.set_level_type_id(level_type.level_type_id);
  out.set_name(spec.name);
  out.set_description(spec.description);
  out.set_metric(static_cast<v1::LevelMetric>(spec.metric));
  out.mutable_window()->set_kind(static_cast<v1::LevelWindowKind>(spec.window.kind));
  out.mutable_window()->set_days(spec.window.days);
  out.set_time_zone(spec.time_zone);
  out.set_state(StateToProto(level_type.state));
  out.set_etag(EtagOf(level_type.version));
  rpc::SetTimestamp(level_type.create_time, out.mutable_create_time());
  rpc::SetTimestamp(level_type.update_time, out.mutable_update_time());
}

LevelSpec FromProto(const v1::Level& message) {
  return LevelSpec{.name = message.name(),
                   .description = message.description(),
                   .threshold = message.threshold(),
                   .discount_bp = message.discount_bp(),
                   .accrual_bp = message.accrual_bp(),
                   .validity_days = message.validity_days(),
                   .bonus_points = message.bonus_points()};
}

void ToProto(const Level& level, v1::Level& out) {
  const LevelSpec& spec = level.spec;
  out.set_level_id(level.level_id);
  out.set_level_type_id(level.level_type_id);
  out.set_name(spec.name);
  out.set_description(spec.description);
  out.set_threshold(spec.threshold);
  out.set_discount_bp(spec.discount_bp);
  out.set_accrual_bp(spec.accrual_bp);
  out.set_validity_days(spec.validity_days);
  out.set_bonus_points(spec.bonus_points);
  out.set_rank(level.rank);
  out.set_state(StateToProto(level.state));
  out.set_etag(EtagOf(level.version));
  rpc::SetTimestamp(level.create_time, out.mutable_create_time());
  rpc::SetTimestamp(level.update_time, out.mutable_update_time());
}

absl::Status ApplyMask(const v1::CardTemplate& in, const google::protobuf::FieldMask& mask,
                       TemplateSpec& spec) {
  return ApplyPaths<v1::CardTemplate, TemplateSpec>(in, mask, kTemplatePaths, spec);
}

absl::Status ApplyMask(const v1::LevelType& in, const google::protobuf::FieldMask& mask,
                       LevelTypeSpec& spec) {
  return ApplyPaths<v1::LevelType, LevelTypeSpec>(in, mask, kLevelTypePaths, spec);
}

absl::Status ApplyMask(const v1::Level& in, const google::protobuf::FieldMask& mask,
                       LevelSpec& spec) {
  return ApplyPaths<v1::Level, LevelSpec>(in, mask, kLevelPaths, spec);
}

void AddLevelView(const CardLevelView& view, v1::Card& out) {
  out.set_template_id(view.template_id);
  if (view.level) {
    const CardLevelInfo& level = *view.level;
    v1::CardLevel& message = *out.mutable_level();
    message.set_level_id(level.level_id);
    message.set_level_type_id(level.level_type_id);
    message.set_name(level.name);
    message.set_rank(level.rank);
    rpc::SetTimestamp(level.start_time, message.mutable_start_time());
    if (level.expire_time) rpc::SetTimestamp(*level.expire_time, message.mutable_expire_time());
    message.set_reason(static_cast<v1::LevelChangeReason>(level.reason));
  }
  BenefitsToProto(view.benefits, *out.mutable_benefits());
}

void ToProto(const LevelChangeRecord& change, v1::LevelChange& out) {
  out.set_change_id(change.change_id);
  out.set_card_number(change.card_number);
  out.set_level_type_id(change.level_type_id);
  out.set_previous_level_id(change.previous_level_id);
  out.set_level_id(change.level_id);
  out.set_level_name(change.level_name);
  out.set_reason(static_cast<v1::LevelChangeReason>(change.reason));
  out.set_qualifying_value(change.qualifying_value);
  if (change.expire_time) rpc::SetTimestamp(*change.expire_time, out.mutable_expire_time());
  out.set_comment(change.comment);
  out.set_principal_id(change.principal_id);
  out.set_bonus_points(change.bonus_points);
  out.set_bonus_state(static_cast<v1::LevelBonusState>(change.bonus_state));
  out.set_bonus_transfer_id(change.bonus_transfer_id);
  out.set_bonus_error(change.bonus_error);
  rpc::SetTimestamp(change.create_time, out.mutable_create_time());
}

}  // namespace loyalty::cards
