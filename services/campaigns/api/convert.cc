#include "services/campaigns/api/convert.h"

#include <algorithm>
#include <iterator>
#include <type_traits>
#include <variant>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/etag.h"

namespace loyalty::campaigns {
namespace {

// Bounds of google.protobuf.Timestamp (and well within PostgreSQL's).
constexpr int64_t kMinSeconds = -62'135'596'800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxSeconds = 253'402'300'799;  // 9999-12-31T23:59:59Z

v1::CampaignState StateToProto(CampaignState state) {
  switch (state) {
    case CampaignState::kDraft:
      return v1::CAMPAIGN_STATE_DRAFT;
    case CampaignState::kActive:
      return v1::CAMPAIGN_STATE_ACTIVE;
    case CampaignState::kPaused:
      return v1::CAMPAIGN_STATE_PAUSED;
    case CampaignState::kFinished:
      return v1::CAMPAIGN_STATE_FINISHED;
  }
  return v1::CAMPAIGN_STATE_UNSPECIFIED;
}

absl::StatusOr<CampaignState> StateFromProto(v1::CampaignState state, absl::string_view field) {
  switch (state) {
    case v1::CAMPAIGN_STATE_DRAFT:
      return CampaignState::kDraft;
    case v1::CAMPAIGN_STATE_ACTIVE:
      return CampaignState::kActive;
    case v1::CAMPAIGN_STATE_PAUSED:
      return CampaignState::kPaused;
    case v1::CAMPAIGN_STATE_FINISHED:
      return CampaignState::kFinished;
    default:
      return InvalidField(field, "not a campaign state");
  }
}

namespace pm = ::loyalty::promotions;

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& values) {
  return {values.begin(), values.end()};
}

void SetStrings(const std::vector<std::string>& values,
                google::protobuf::RepeatedPtrField<std::string>* out) {
  out->Clear();
  for (const std::string& value : values) out->Add()->assign(value);
}

// DAY_OF_WEEK_MONDAY = 1 .. SUNDAY = 7; absl::Weekday monday = 0 .. sunday
// = 6. UNSPECIFIED (or an unknown number) maps outside 0..6, where the
// engine's validator names it.
std::vector<absl::Weekday> DaysFromProto(const google::protobuf::RepeatedField<int>& days) {
  std::vector<absl::Weekday> out;
  for (int day : days) out.push_back(static_cast<absl::Weekday>(day - 1));
  return out;
}

void DaysToProto(const std::vector<absl::Weekday>& days,
                 google::protobuf::RepeatedField<int>* out) {
  for (absl::Weekday day : days) out->Add(static_cast<int>(day) + 1);
}

pm::MinuteWindow WindowFromProto(const v1::MinuteWindow& message) {
  return {message.start_minute(), message.end_minute()};
}

void WindowToProto(const pm::MinuteWindow& window, v1::MinuteWindow* out) {
  out->set_start_minute(window.start_minute);
  out->set_end_minute(window.end_minute);
}

pm::LineSelector SelectorFromProto(const v1::LineSelector& message) {
  return {Strings(message.skus()), Strings(message.categories())};
}

void SelectorToProto(const pm::LineSelector& selector, v1::LineSelector* out) {
  SetStrings(selector.skus, out->mutable_skus());
  SetStrings(selector.categories, out->mutable_categories());
}

// UNSPECIFIED reads as RECEIPT; other numbers pass through for the
// validator to refuse.
pm::Target TargetFromProto(v1::Target target) {
  return target == v1::TARGET_UNSPECIFIED ? pm::Target::kReceipt : static_cast<pm::Target>(target);
}

absl::StatusOr<pm::Condition> ConditionFromProto(const v1::Condition& message,
                                                 const std::string& field) {
  switch (message.kind_case()) {
    case v1::Condition::kReceiptSum: {
      pm::ReceiptSumCondition c;
      c.min_amount = message.receipt_sum().min_amount();
      if (message.receipt_sum().has_max_amount()) c.max_amount = message.receipt_sum().max_amount();
      return c;
    }
    case v1::Condition::kLineMatch: {
      const v1::LineMatchCondition& m = message.line_match();
      return pm::LinesCondition{SelectorFromProto(m.lines()), m.min_quantity_milli(),
                                m.min_amount()};
    }
    case v1::Condition::kFirstPurchase:
      return pm::FirstPurchaseCondition{};
    case v1::Condition::kBirthday:
      return pm::BirthdayCondition{message.birthday().days_before(),
                                   message.birthday().days_after()};
    case v1::Condition::kLevel:
      return pm::LevelCondition{Strings(message.level().levels())};
    case v1::Condition::kTag:
      return pm::TagCondition{message.tag().tag()};
    case v1::Condition::kAttribute:
      return pm::AttributeCondition{message.attribute().key(),
                                    Strings(message.attribute().values())};
    case v1::Condition::kTimeOfDay:
      return pm::TimeOfDayCondition{WindowFromProto(message.time_of_day().window())};
    case v1::Condition::kDayOfWeek:
      return pm::DayOfWeekCondition{DaysFromProto(message.day_of_week().days())};
    case v1::Condition::kPromoCode:
      return pm::PromoCodeCondition{message.promo_code().code(), message.promo_code().pool_id()};
    case v1::Condition::KIND_NOT_SET:
      break;
  }
  return InvalidField(field, "set one kind of condition");
}

void ConditionToProto(const pm::Condition& condition, v1::Condition* out) {
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, pm::ReceiptSumCondition>) {
          v1::ReceiptSumCondition* m = out->mutable_receipt_sum();
          m->set_min_amount(c.min_amount);
          if (c.max_amount) m->set_max_amount(*c.max_amount);
        } else if constexpr (std::is_same_v<T, pm::LinesCondition>) {
          v1::LineMatchCondition* m = out->mutable_line_match();
          SelectorToProto(c.lines, m->mutable_lines());
          m->set_min_quantity_milli(c.min_quantity_milli);
          m->set_min_amount(c.min_amount);
        } else if constexpr (std::is_same_v<T, pm::FirstPurchaseCondition>) {
          out->mutable_first_purchase();
        } else if constexpr (std::is_same_v<T, pm::BirthdayCondition>) {
          out->mutable_birthday()->set_days_before(c.days_before);
          out->mutable_birthday()->set_days_after(c.days_after);
        } else if constexpr (std::is_same_v<T, pm::LevelCondition>) {
          SetStrings(c.levels, out->mutable_level()->mutable_levels());
        } else if constexpr (std::is_same_v<T, pm::TagCondition>) {
          out->mutable_tag()->set_tag(c.tag);
        } else if constexpr (std::is_same_v<T, pm::AttributeCondition>) {
          out->mutable_attribute()->set_key(c.key);
          SetStrings(c.values, out->mutable_attribute()->mutable_values());
        } else if constexpr (std::is_same_v<T, pm::TimeOfDayCondition>) {
          WindowToProto(c.window, out->mutable_time_of_day()->mutable_window());
        } else if constexpr (std::is_same_v<T, pm::DayOfWeekCondition>) {
          DaysToProto(c.days, out->mutable_day_of_week()->mutable_days());
        } else if constexpr (std::is_same_v<T, pm::PromoCodeCondition>) {
          out->mutable_promo_code()->set_code(c.code);
          out->mutable_promo_code()->set_pool_id(c.pool_id);
        }
      },
      condition);
}

absl::StatusOr<pm::Effect> EffectFromProto(const v1::Effect& message, const std::string& field) {
  switch (message.kind_case()) {
    case v1::Effect::kDiscount: {
      const v1::DiscountEffect& m = message.discount();
      return pm::DiscountEffect{TargetFromProto(m.target()), SelectorFromProto(m.lines()),
                                m.percent_bp(), m.fixed_amount()};
    }
    case v1::Effect::kPoints: {
      const v1::PointsEffect& m = message.points();
      return pm::PointsEffect{TargetFromProto(m.target()), SelectorFromProto(m.lines()),
                              m.fixed_points(), m.percent_bp(), m.multiplier()};
    }
    case v1::Effect::kGift:
      return pm::GiftEffect{message.gift().sku(), message.gift().quantity_milli(),
                            message.gift().price()};
    case v1::Effect::kIssuePromoCode:
      return pm::IssuePromoCodeAction{message.issue_promo_code().pool_id()};
    case v1::Effect::kSetAttribute:
      return pm::SetAttributeAction{message.set_attribute().key(), message.set_attribute().value()};
    case v1::Effect::kAddTag:
      return pm::AddTagAction{message.add_tag().tag()};
    case v1::Effect::KIND_NOT_SET:
      break;
  }
  return InvalidField(field, "set one kind of effect");
}

void EffectToProto(const pm::Effect& effect, v1::Effect* out) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, pm::DiscountEffect>) {
          v1::DiscountEffect* m = out->mutable_discount();
          m->set_target(static_cast<v1::Target>(e.target));
          if (!e.lines.empty()) SelectorToProto(e.lines, m->mutable_lines());
          m->set_percent_bp(e.percent_bp);
          m->set_fixed_amount(e.fixed_amount);
        } else if constexpr (std::is_same_v<T, pm::PointsEffect>) {
          v1::PointsEffect* m = out->mutable_points();
          m->set_target(static_cast<v1::Target>(e.target));
          if (!e.lines.empty()) SelectorToProto(e.lines, m->mutable_lines());
          m->set_fixed_points(e.fixed_points);
          m->set_percent_bp(e.percent_bp);
          m->set_multiplier(e.multiplier);
        } else if constexpr (std::is_same_v<T, pm::GiftEffect>) {
          out->mutable_gift()->set_sku(e.sku);
          out->mutable_gift()->set_quantity_milli(e.quantity_milli);
          out->mutable_gift()->set_price(e.price);
        } else if constexpr (std::is_same_v<T, pm::IssuePromoCodeAction>) {
          out->mutable_issue_promo_code()->set_pool_id(e.pool_id);
        } else if constexpr (std::is_same_v<T, pm::SetAttributeAction>) {
          out->mutable_set_attribute()->set_key(e.key);
          out->mutable_set_attribute()->set_value(e.value);
        } else if constexpr (std::is_same_v<T, pm::AddTagAction>) {
          out->mutable_add_tag()->set_tag(e.tag);
        }
      },
      effect);
}

// The settable top-level fields an update mask may name.
constexpr absl::string_view kMaskablePaths[] = {"name",     "description", "priority", "start_time",
                                                "end_time", "stacking",    "schedule", "audience",
                                                "rules",    "budget"};

}  // namespace

void TimeToProto(absl::Time time, google::protobuf::Timestamp* out) {
  int64_t micros = absl::ToUnixMicros(time);
  int64_t seconds = micros / 1'000'000;
  int64_t rest = micros % 1'000'000;
  if (rest < 0) {  // nanos are never negative in a Timestamp
    rest += 1'000'000;
    seconds -= 1;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest * 1000));
}

absl::StatusOr<absl::Time> TimeFromProto(const google::protobuf::Timestamp& timestamp,
                                         absl::string_view field) {
  if (timestamp.seconds() < kMinSeconds || timestamp.seconds() > kMaxSeconds ||
      timestamp.nanos() < 0 || timestamp.nanos() > 999'999'999) {
    return InvalidField(field, "not a valid timestamp");
  }
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

absl::Status OptionalTimeFromProto(bool present, const google::protobuf::Timestamp& timestamp,
                                   absl::string_view field, std::optional<absl::Time>& out) {
  if (!present) return absl::OkStatus();
  absl::StatusOr<absl::Time> time = TimeFromProto(timestamp, field);
  if (!time.ok()) return time.status();
  out = *time;
  return absl::OkStatus();
}

absl::StatusOr<Campaign> CampaignFromProto(const v1::Campaign& message,
                                           absl::string_view field_prefix) {
  Campaign campaign;
  campaign.name = message.name();
  campaign.description = message.description();
  campaign.priority = message.priority();
  absl::Status times = OptionalTimeFromProto(message.has_start_time(), message.start_time(),
                                             absl::StrCat(field_prefix, "start_time"),
                                             campaign.start_time);
  if (times.ok()) {
    times = OptionalTimeFromProto(message.has_end_time(), message.end_time(),
                                  absl::StrCat(field_prefix, "end_time"), campaign.end_time);
  }
  if (!times.ok()) return times;
  absl::Status definition = DefinitionFromProto(message, field_prefix, campaign);
  if (!definition.ok()) return definition;
  return campaign;
}

absl::StatusOr<pm::Campaign> EngineCampaignFromProto(const v1::Campaign& message,
                                                     absl::string_view field_prefix) {
  absl::StatusOr<Campaign> campaign = CampaignFromProto(message, field_prefix);
  if (!campaign.ok()) return campaign.status();
  absl::StatusOr<CampaignState> state =
      StateFromProto(message.state(), absl::StrCat(field_prefix, "state"));
  if (!state.ok()) return state.status();
  campaign->campaign_id = message.campaign_id();
  campaign->version = message.version();
  campaign->state = *state;
  return ToEngineCampaign(*campaign);
}

void CampaignToProto(const Campaign& campaign, v1::Campaign* out) {
  out->set_campaign_id(campaign.campaign_id);
  out->set_name(campaign.name);
  out->set_description(campaign.description);
  out->set_state(StateToProto(campaign.state));
  out->set_priority(campaign.priority);
  if (campaign.start_time) TimeToProto(*campaign.start_time, out->mutable_start_time());
  if (campaign.end_time) TimeToProto(*campaign.end_time, out->mutable_end_time());
  TimeToProto(campaign.create_time, out->mutable_create_time());
  out->set_version(campaign.version);
  out->set_etag(EtagOf(campaign.version));
  DefinitionToProto(campaign, out);
}

absl::Status DefinitionFromProto(const v1::Campaign& message, absl::string_view field_prefix,
                                 Campaign& campaign) {
  campaign.stacking = message.stacking() == v1::STACKING_UNSPECIFIED
                          ? pm::Stacking::kCombinable
                          : static_cast<pm::Stacking>(message.stacking());
  campaign.schedule.time_zone = message.schedule().time_zone();
  campaign.schedule.days = DaysFromProto(message.schedule().days());
  campaign.schedule.hours.clear();
  for (const v1::MinuteWindow& window : message.schedule().hours()) {
    campaign.schedule.hours.push_back(WindowFromProto(window));
  }
  const v1::Audience& audience = message.audience();
  campaign.audience = pm::Audience{};
  campaign.audience.levels = Strings(audience.levels());
  campaign.audience.tags = Strings(audience.tags());
  for (const v1::AttributeMatch& match : audience.attributes()) {
    campaign.audience.attributes.push_back({match.key(), Strings(match.values())});
  }
  campaign.audience.segment_ids = Strings(audience.segment_ids());
  campaign.audience.partner_ids = Strings(audience.partner_ids());
  campaign.audience.store_ids = Strings(audience.store_ids());
  campaign.audience.channels = Strings(audience.channels());
  campaign.rules.clear();
  for (int i = 0; i < message.rules_size(); ++i) {
    const v1::Rule& in = message.rules(i);
    std::string field = absl::StrCat(field_prefix, "rules[", i, "]");
    pm::Rule rule;
    rule.rule_id = in.rule_id();
    rule.cashier_message = in.cashier_message();
    for (int j = 0; j < in.conditions_size(); ++j) {
      absl::StatusOr<pm::Condition> condition =
          ConditionFromProto(in.conditions(j), absl::StrCat(field, ".conditions[", j, "]"));
      if (!condition.ok()) return condition.status();
      rule.conditions.push_back(*std::move(condition));
    }
    for (int j = 0; j < in.effects_size(); ++j) {
      absl::StatusOr<pm::Effect> effect =
          EffectFromProto(in.effects(j), absl::StrCat(field, ".effects[", j, "]"));
      if (!effect.ok()) return effect.status();
      rule.effects.push_back(*std::move(effect));
    }
    campaign.rules.push_back(std::move(rule));
  }
  const v1::Budget& budget = message.budget();
  campaign.budget = {.max_discount = budget.max_discount(),
                     .max_bonus_points = budget.max_bonus_points(),
                     .max_uses_per_client = budget.max_uses_per_client(),
                     .max_discount_per_client = budget.max_discount_per_client(),
                     .max_bonus_points_per_client = budget.max_bonus_points_per_client()};
  return absl::OkStatus();
}

void DefinitionToProto(const Campaign& campaign, v1::Campaign* out) {
  out->set_stacking(static_cast<v1::Stacking>(campaign.stacking));
  v1::Schedule* schedule = out->mutable_schedule();
  schedule->set_time_zone(campaign.schedule.time_zone);
  DaysToProto(campaign.schedule.days, schedule->mutable_days());
  for (const pm::MinuteWindow& window : campaign.schedule.hours) {
    WindowToProto(window, schedule->add_hours());
  }
  v1::Audience* audience = out->mutable_audience();
  SetStrings(campaign.audience.levels, audience->mutable_levels());
  SetStrings(campaign.audience.tags, audience->mutable_tags());
  for (const pm::AttributeMatch& match : campaign.audience.attributes) {
    v1::AttributeMatch* m = audience->add_attributes();
    m->set_key(match.key);
    SetStrings(match.values, m->mutable_values());
  }
  SetStrings(campaign.audience.segment_ids, audience->mutable_segment_ids());
  SetStrings(campaign.audience.partner_ids, audience->mutable_partner_ids());
  SetStrings(campaign.audience.store_ids, audience->mutable_store_ids());
  SetStrings(campaign.audience.channels, audience->mutable_channels());
  for (const pm::Rule& rule : campaign.rules) {
    v1::Rule* m = out->add_rules();
    m->set_rule_id(rule.rule_id);
    m->set_cashier_message(rule.cashier_message);
    for (const pm::Condition& condition : rule.conditions) {
      ConditionToProto(condition, m->add_conditions());
    }
    for (const pm::Effect& effect : rule.effects) EffectToProto(effect, m->add_effects());
  }
  // Left unset when there is no cap, so definitions stored before budgets
  // existed and new ones without a budget print alike.
  if (!campaign.budget.empty()) {
    v1::Budget* budget = out->mutable_budget();
    budget->set_max_discount(campaign.budget.max_discount);
    budget->set_max_bonus_points(campaign.budget.max_bonus_points);
    budget->set_max_uses_per_client(campaign.budget.max_uses_per_client);
    budget->set_max_discount_per_client(campaign.budget.max_discount_per_client);
    budget->set_max_bonus_points_per_client(campaign.budget.max_bonus_points_per_client);
  }
}

absl::Status ApplyUpdateMask(const v1::Campaign& message, const google::protobuf::FieldMask& mask,
                             absl::string_view field_prefix, Campaign& campaign) {
  for (int i = 0; i < mask.paths_size(); ++i) {
    if (std::find(std::begin(kMaskablePaths), std::end(kMaskablePaths), mask.paths(i)) ==
        std::end(kMaskablePaths)) {
      return InvalidField(absl::StrCat("update_mask.paths[", i, "]"),
                          absl::StrCat("'", mask.paths(i), "' is not a settable field"));
    }
  }
  absl::StatusOr<Campaign> in = CampaignFromProto(message, field_prefix);
  if (!in.ok()) return in.status();
  auto named = [&](absl::string_view path) {
    return mask.paths_size() == 0 ||
           std::find(mask.paths().begin(), mask.paths().end(), path) != mask.paths().end();
  };
  if (named("name")) campaign.name = in->name;
  if (named("description")) campaign.description = in->description;
  if (named("priority")) campaign.priority = in->priority;
  if (named("start_time")) campaign.start_time = in->start_time;
  if (named("end_time")) campaign.end_time = in->end_time;
  if (named("stacking")) campaign.stacking = in->stacking;
  if (named("schedule")) campaign.schedule = in->schedule;
  if (named("audience")) campaign.audience = in->audience;
  if (named("rules")) campaign.rules = in->rules;
  if (named("budget")) campaign.budget = in->budget;
  return absl::OkStatus();
}

}  // namespace loyalty::campaigns
