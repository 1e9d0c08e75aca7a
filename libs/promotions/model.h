#pragma once

// Campaigns as the rule engine sees them: who they are for, when they are
// in force, and the rules (conditions -> effects) they apply to a receipt.
// Plain data; `campaigns` maps its storage and API onto it, `pos` gets it
// compiled into a Snapshot. Money is in minor units, quantities in
// thousandths of a unit (as in pos), shares in basis points (10000 = 100%).

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace loyalty::promotions {

enum class Stacking {
  // Applies together with every other combinable campaign.
  kCombinable = 1,
  // Applies alone: the receipt gets either this campaign or the others,
  // whichever is worth more to the member (see README "Stacking").
  kExclusive = 2,
  // Applies together with higher-priority campaigns, then nothing of lower
  // priority is considered.
  kStopFurther = 3,
};

enum class CampaignState { kDraft = 1, kActive = 2, kPaused = 3, kFinished = 4 };

// Minutes since local midnight, [start_minute, end_minute). A window over
// midnight is two windows.
struct MinuteWindow {
  int32_t start_minute = 0;
  int32_t end_minute = 24 * 60;
};

struct Schedule {
  std::optional<absl::Time> start_time;  // inclusive; unset: already begun
  std::optional<absl::Time> end_time;    // exclusive; unset: open-ended
  std::vector<absl::Weekday> days;       // empty: every day
  std::vector<MinuteWindow> hours;       // empty: all day
  // IANA name; empty: the program's time zone. Days and hours are local
  // wall-clock time there.
  std::string time_zone;
};

// A member attribute (questionnaire field) with one of `values`.
struct AttributeMatch {
  std::string key;
  std::vector<std::string> values;
};

// Who a campaign is for. Every non-empty list must match (any of its
// values); an empty list does not restrict. The member lists (levels, tags,
// attributes, segments) exclude receipts without an identified member.
struct Audience {
  std::vector<std::string> levels;
  std::vector<std::string> tags;  // the member has at least one of them
  std::vector<AttributeMatch> attributes;
  std::vector<std::string> segment_ids;
  std::vector<std::string> partner_ids;
  std::vector<std::string> store_ids;
  std::vector<std::string> channels;
};

// Lines by sku or by category (either matches).
struct LineSelector {
  std::vector<std::string> skus;
  std::vector<std::string> categories;

  bool empty() const { return skus.empty() && categories.empty(); }
};

// --- Conditions: all of a rule's conditions must hold.

// The receipt's total before any campaign discount.
struct ReceiptSumCondition {
  int64_t min_amount = 0;
  std::optional<int64_t> max_amount;  // inclusive
};

// Selected lines together reach a quantity and an amount (before
// discounts); at least one line must be selected.
struct LinesCondition {
  LineSelector lines;
  int64_t min_quantity_milli = 0;
  int64_t min_amount = 0;
};

struct FirstPurchaseCondition {};

// Today (program time zone) is within `days_before` days before to
// `days_after` days after the member's birthday.
struct BirthdayCondition {
  int32_t days_before = 0;
  int32_t days_after = 0;
};

struct LevelCondition {
  std::vector<std::string> levels;  // any of
};

struct TagCondition {
  std::string tag;
};

// Equals when `values` has one element, "in set" otherwise.
struct AttributeCondition {
  std::string key;
  std::vector<std::string> values;
};

struct TimeOfDayCondition {
  MinuteWindow window;
};

struct DayOfWeekCondition {
  std::vector<absl::Weekday> days;
};

// A shared code (`code`) or any code of a pool (`pool_id`): exactly one.
// The caller checks codes against its store and passes what they resolved
// to (ReceiptContext::promo_codes).
struct PromoCodeCondition {
  std::string code;
  std::string pool_id;
};

using Condition = std::variant<ReceiptSumCondition, LinesCondition, FirstPurchaseCondition,
                               BirthdayCondition, LevelCondition, TagCondition, AttributeCondition,
                               TimeOfDayCondition, DayOfWeekCondition, PromoCodeCondition>;

// --- Effects.

enum class Target {
  kReceipt = 1,
  // The effect's `lines`; when those are empty, the lines the rule's
  // LinesConditions select.
  kLines = 2,
};

// Exactly one of percent_bp and fixed_amount. A fixed amount is the total
// for all targeted lines, spread over them.
struct DiscountEffect {
  Target target = Target::kReceipt;
  LineSelector lines;
  int32_t percent_bp = 0;
  int64_t fixed_amount = 0;
};

// Exactly one of fixed_points, percent_bp (of the targeted amount after
// discounts) and multiplier (the targeted lines earn `multiplier` times the
// base accrual: the effect adds multiplier - 1 times it).
struct PointsEffect {
  Target target = Target::kReceipt;
  LineSelector lines;
  int64_t fixed_points = 0;
  int32_t percent_bp = 0;
  int32_t multiplier = 0;
};

// An item to add to the receipt, free (price 0) or at `price` per unit.
struct GiftEffect {
  std::string sku;
  int64_t quantity_milli = 1000;
  int64_t price = 0;
};

// Things to do once the receipt is confirmed; returned, never executed here.
struct IssuePromoCodeAction {
  std::string pool_id;
};
struct SetAttributeAction {
  std::string key;
  std::string value;
};
struct AddTagAction {
  std::string tag;
};

using Effect = std::variant<DiscountEffect, PointsEffect, GiftEffect, IssuePromoCodeAction,
                            SetAttributeAction, AddTagAction>;

struct Rule {
  std::string rule_id;  // unique within the campaign
  std::vector<Condition> conditions;
  std::vector<Effect> effects;
  std::string cashier_message;  // shown when the rule applies; optional
};

// What a campaign may give (CMP-5); 0 means no cap. The engine only
// carries it (into the snapshot and each Consumption): the caller counts
// usage and excludes a campaign whose budget refuses
// (ReceiptContext::excluded_campaigns).
struct Budget {
  int64_t max_discount = 0;      // minor units, over the lifetime
  int64_t max_bonus_points = 0;  // over the lifetime
  int64_t max_uses_per_client = 0;
  int64_t max_discount_per_client = 0;
  int64_t max_bonus_points_per_client = 0;

  bool per_client() const {
    return max_uses_per_client > 0 || max_discount_per_client > 0 ||
           max_bonus_points_per_client > 0;
  }
  bool empty() const { return max_discount == 0 && max_bonus_points == 0 && !per_client(); }
};

struct Campaign {
  std::string campaign_id;
  int64_t version = 1;
  std::string name;
  int32_t priority = 0;  // higher first
  Stacking stacking = Stacking::kCombinable;
  CampaignState state = CampaignState::kDraft;
  Schedule schedule;
  Audience audience;
  std::vector<Rule> rules;
  Budget budget;
};

}  // namespace loyalty::promotions
