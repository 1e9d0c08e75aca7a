#include "libs/promotions/validate.h"

#include <type_traits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/common/errors.h"

namespace loyalty::promotions {
namespace {

// Collects violations under a growing field path.
class Checker {
 public:
  explicit Checker(std::vector<Violation>& out) : out_(out) {}

  void Fail(std::string field, std::string description) {
    out_.push_back({std::move(field), std::move(description)});
  }

  void Range(const std::string& field, int64_t value, int64_t min, int64_t max) {
    if (value < min || value > max) Fail(field, absl::StrCat("must be ", min, "..", max));
  }

  void Key(const std::string& field, const std::string& value) {
    if (value.empty()) {
      Fail(field, "is required");
    } else if (value.size() > kMaxKeyBytes) {
      Fail(field, absl::StrCat("must be at most ", kMaxKeyBytes, " bytes"));
    }
  }

  // A list of keys: bounded, each a valid key, no duplicates.
  void Keys(const std::string& field, const std::vector<std::string>& values) {
    if (values.size() > kMaxListValues) {
      Fail(field, absl::StrCat("at most ", kMaxListValues, " values"));
      return;
    }
    absl::flat_hash_set<absl::string_view> seen;
    for (size_t i = 0; i < values.size(); ++i) {
      std::string item = absl::StrCat(field, "[", i, "]");
      Key(item, values[i]);
      if (!seen.insert(values[i]).second) Fail(item, absl::StrCat("'", values[i], "' repeats"));
    }
  }

  void Days(const std::string& field, const std::vector<absl::Weekday>& days) {
    absl::flat_hash_set<int> seen;
    for (size_t i = 0; i < days.size(); ++i) {
      int day = static_cast<int>(days[i]);
      std::string item = absl::StrCat(field, "[", i, "]");
      if (day < 0 || day > 6) {
        Fail(item, "is not a day of the week");
      } else if (!seen.insert(day).second) {
        Fail(item, "repeats");
      }
    }
  }

  void Window(const std::string& field, const MinuteWindow& window) {
    Range(field + ".start_minute", window.start_minute, 0, 24 * 60 - 1);
    Range(field + ".end_minute", window.end_minute, 1, 24 * 60);
    if (window.start_minute >= window.end_minute) {
      Fail(field, "start_minute must be before end_minute (split a window over midnight in two)");
    }
  }

  void Selector(const std::string& field, const LineSelector& selector, References& refs) {
    Keys(field + ".skus", selector.skus);
    Keys(field + ".categories", selector.categories);
    refs.skus.insert(selector.skus.begin(), selector.skus.end());
    refs.categories.insert(selector.categories.begin(), selector.categories.end());
  }

 private:
  std::vector<Violation>& out_;
};

void CheckSchedule(Checker& check, const std::string& field, const Schedule& schedule) {
  if (schedule.start_time && schedule.end_time && *schedule.start_time >= *schedule.end_time) {
    check.Fail(field + ".end_time", "must be after start_time");
  }
  check.Days(field + ".days", schedule.days);
  if (schedule.hours.size() > kMaxHourWindows) {
    check.Fail(field + ".hours", absl::StrCat("at most ", kMaxHourWindows, " windows"));
  } else {
    for (size_t i = 0; i < schedule.hours.size(); ++i) {
      check.Window(absl::StrCat(field, ".hours[", i, "]"), schedule.hours[i]);
    }
  }
  absl::TimeZone zone;
  if (!schedule.time_zone.empty() && !absl::LoadTimeZone(schedule.time_zone, &zone)) {
    check.Fail(field + ".time_zone", absl::StrCat("unknown time zone '", schedule.time_zone, "'"));
  }
}

void CheckAudience(Checker& check, const std::string& field, const Audience& audience) {
  check.Keys(field + ".levels", audience.levels);
  check.Keys(field + ".tags", audience.tags);
  check.Keys(field + ".segment_ids", audience.segment_ids);
  check.Keys(field + ".partner_ids", audience.partner_ids);
  check.Keys(field + ".store_ids", audience.store_ids);
  check.Keys(field + ".channels", audience.channels);
  if (audience.attributes.size() > kMaxListValues) {
    check.Fail(field + ".attributes", absl::StrCat("at most ", kMaxListValues, " attributes"));
    return;
  }
  for (size_t i = 0; i < audience.attributes.size(); ++i) {
    std::string item = absl::StrCat(field, ".attributes[", i, "]");
    check.Key(item + ".key", audience.attributes[i].key);
    if (audience.attributes[i].values.empty()) check.Fail(item + ".values", "is required");
  }
}

void CheckValues(Checker& check, const std::string& field, const std::vector<std::string>& values) {
  if (values.empty()) {
    check.Fail(field, "is required");
  } else if (values.size() > kMaxListValues) {
    check.Fail(field, absl::StrCat("at most ", kMaxListValues, " values"));
  } else {
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i].size() > kMaxValueBytes) {
        check.Fail(absl::StrCat(field, "[", i, "]"),
                   absl::StrCat("must be at most ", kMaxValueBytes, " bytes"));
      }
    }
  }
}

// Checks one condition; `field` names it by kind. Returns whether it
// selects lines (a LinesCondition), which an effect on lines may inherit.
bool CheckCondition(Checker& check, const std::string& at, const Condition& condition,
                    References& refs) {
  return std::visit(
      [&](const auto& c) -> bool {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, ReceiptSumCondition>) {
          std::string field = at + ".receipt_sum";
          check.Range(field + ".min_amount", c.min_amount, 0, kMaxAmount);
          if (c.max_amount) {
            check.Range(field + ".max_amount", *c.max_amount, 1, kMaxAmount);
            if (*c.max_amount < c.min_amount) {
              check.Fail(field + ".max_amount", "must not be below min_amount");
            }
          } else if (c.min_amount == 0) {
            check.Fail(field, "set min_amount or max_amount");
          }
        } else if constexpr (std::is_same_v<T, LinesCondition>) {
          std::string field = at + ".line_match";
          if (c.lines.empty()) check.Fail(field + ".lines", "name skus or categories");
          check.Selector(field + ".lines", c.lines, refs);
          check.Range(field + ".min_quantity_milli", c.min_quantity_milli, 0, kMaxAmount);
          check.Range(field + ".min_amount", c.min_amount, 0, kMaxAmount);
          return true;
        } else if constexpr (std::is_same_v<T, FirstPurchaseCondition>) {
        } else if constexpr (std::is_same_v<T, BirthdayCondition>) {
          std::string field = at + ".birthday";
          check.Range(field + ".days_before", c.days_before, 0, kMaxBirthdayDays);
          check.Range(field + ".days_after", c.days_after, 0, kMaxBirthdayDays);
        } else if constexpr (std::is_same_v<T, LevelCondition>) {
          std::string field = at + ".level.levels";
          if (c.levels.empty()) check.Fail(field, "is required");
          check.Keys(field, c.levels);
        } else if constexpr (std::is_same_v<T, TagCondition>) {
          check.Key(at + ".tag.tag", c.tag);
        } else if constexpr (std::is_same_v<T, AttributeCondition>) {
          check.Key(at + ".attribute.key", c.key);
          CheckValues(check, at + ".attribute.values", c.values);
        } else if constexpr (std::is_same_v<T, TimeOfDayCondition>) {
          check.Window(at + ".time_of_day.window", c.window);
        } else if constexpr (std::is_same_v<T, DayOfWeekCondition>) {
          if (c.days.empty()) check.Fail(at + ".day_of_week.days", "is required");
          check.Days(at + ".day_of_week.days", c.days);
        } else if constexpr (std::is_same_v<T, PromoCodeCondition>) {
          std::string field = at + ".promo_code";
          if (c.code.empty() == c.pool_id.empty()) {
            check.Fail(field, "set exactly one of code and pool_id");
          } else if (!c.code.empty()) {
            check.Key(field + ".code", c.code);
            refs.promo_codes.insert(c.code);
          } else {
            check.Key(field + ".pool_id", c.pool_id);
            refs.pool_ids.insert(c.pool_id);
          }
        }
        return false;
      },
      condition);
}

void CheckTarget(Checker& check, const std::string& field, Target target, const LineSelector& lines,
                 bool rule_selects_lines, References& refs) {
  if (target != Target::kReceipt && target != Target::kLines) {
    check.Fail(field + ".target", "must be RECEIPT or LINES");
    return;
  }
  if (target == Target::kReceipt) {
    if (!lines.empty()) check.Fail(field + ".lines", "only for target LINES");
    return;
  }
  if (lines.empty() && !rule_selects_lines) {
    check.Fail(field + ".lines",
               "target LINES needs skus or categories here or a lines condition in the rule");
  }
  check.Selector(field + ".lines", lines, refs);
}

void CheckEffect(Checker& check, const std::string& at, const Effect& effect,
                 bool rule_selects_lines, References& refs) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, DiscountEffect>) {
          std::string field = at + ".discount";
          CheckTarget(check, field, e.target, e.lines, rule_selects_lines, refs);
          if ((e.percent_bp != 0) == (e.fixed_amount != 0)) {
            check.Fail(field, "set exactly one of percent_bp and fixed_amount");
          } else if (e.percent_bp != 0) {
            check.Range(field + ".percent_bp", e.percent_bp, 1, 10000);
          } else {
            check.Range(field + ".fixed_amount", e.fixed_amount, 1, kMaxAmount);
          }
        } else if constexpr (std::is_same_v<T, PointsEffect>) {
          std::string field = at + ".points";
          CheckTarget(check, field, e.target, e.lines, rule_selects_lines, refs);
          int set = (e.fixed_points != 0) + (e.percent_bp != 0) + (e.multiplier != 0);
          if (set != 1) {
            check.Fail(field, "set exactly one of fixed_points, percent_bp and multiplier");
          } else if (e.fixed_points != 0) {
            check.Range(field + ".fixed_points", e.fixed_points, 1, kMaxPoints);
          } else if (e.percent_bp != 0) {
            check.Range(field + ".percent_bp", e.percent_bp, 1, 10000);
          } else {
            check.Range(field + ".multiplier", e.multiplier, 2, kMaxMultiplier);
          }
        } else if constexpr (std::is_same_v<T, GiftEffect>) {
          std::string field = at + ".gift";
          check.Key(field + ".sku", e.sku);
          if (!e.sku.empty()) refs.skus.insert(e.sku);
          check.Range(field + ".quantity_milli", e.quantity_milli, 1, kMaxGiftQuantityMilli);
          check.Range(field + ".price", e.price, 0, kMaxAmount);
        } else if constexpr (std::is_same_v<T, IssuePromoCodeAction>) {
          check.Key(at + ".issue_promo_code.pool_id", e.pool_id);
          if (!e.pool_id.empty()) refs.pool_ids.insert(e.pool_id);
        } else if constexpr (std::is_same_v<T, SetAttributeAction>) {
          check.Key(at + ".set_attribute.key", e.key);
          if (e.value.size() > kMaxValueBytes) {
            check.Fail(at + ".set_attribute.value",
                       absl::StrCat("must be at most ", kMaxValueBytes, " bytes"));
          }
        } else if constexpr (std::is_same_v<T, AddTagAction>) {
          check.Key(at + ".add_tag.tag", e.tag);
        }
      },
      effect);
}

// Caps are counts and amounts: 0 is "no cap", anything negative a mistake.
void CheckBudget(Checker& check, const std::string& field, const Budget& budget) {
  constexpr int64_t kMaxCap = 1'000'000'000'000'000;  // 10^15, as bonus points per receipt
  check.Range(field + ".max_discount", budget.max_discount, 0, kMaxCap);
  check.Range(field + ".max_bonus_points", budget.max_bonus_points, 0, kMaxCap);
  check.Range(field + ".max_uses_per_client", budget.max_uses_per_client, 0, kMaxCap);
  check.Range(field + ".max_discount_per_client", budget.max_discount_per_client, 0, kMaxCap);
  check.Range(field + ".max_bonus_points_per_client", budget.max_bonus_points_per_client, 0,
              kMaxCap);
}

void CheckRule(Checker& check, const std::string& field, const Rule& rule, References& refs) {
  check.Key(field + ".rule_id", rule.rule_id);
  if (rule.cashier_message.size() > kMaxMessageBytes) {
    check.Fail(field + ".cashier_message",
               absl::StrCat("must be at most ", kMaxMessageBytes, " bytes"));
  }
  bool selects_lines = false;
  if (rule.conditions.size() > kMaxConditionsPerRule) {
    check.Fail(field + ".conditions",
               absl::StrCat("at most ", kMaxConditionsPerRule, " conditions"));
  } else {
    for (size_t i = 0; i < rule.conditions.size(); ++i) {
      selects_lines |= CheckCondition(check, absl::StrCat(field, ".conditions[", i, "]"),
                                      rule.conditions[i], refs);
    }
  }
  if (rule.effects.empty()) {
    check.Fail(field + ".effects", "a rule needs at least one effect");
  } else if (rule.effects.size() > kMaxEffectsPerRule) {
    check.Fail(field + ".effects", absl::StrCat("at most ", kMaxEffectsPerRule, " effects"));
  } else {
    for (size_t i = 0; i < rule.effects.size(); ++i) {
      CheckEffect(check, absl::StrCat(field, ".effects[", i, "]"), rule.effects[i], selects_lines,
                  refs);
    }
  }
}

}  // namespace

ValidationResult ValidateCampaign(const Campaign& campaign, absl::string_view field_prefix) {
  ValidationResult result;
  Checker check(result.violations);
  const std::string prefix(field_prefix);
  check.Key(prefix + "campaign_id", campaign.campaign_id);
  if (campaign.version < 1) check.Fail(prefix + "version", "must be positive");
  if (campaign.name.empty()) check.Fail(prefix + "name", "is required");
  check.Range(prefix + "priority", campaign.priority, 0, 1000);
  if (campaign.stacking != Stacking::kCombinable && campaign.stacking != Stacking::kExclusive &&
      campaign.stacking != Stacking::kStopFurther) {
    check.Fail(prefix + "stacking", "must be COMBINABLE, EXCLUSIVE or STOP_FURTHER");
  }
  CheckSchedule(check, prefix + "schedule", campaign.schedule);
  CheckAudience(check, prefix + "audience", campaign.audience);
  if (campaign.rules.empty()) {
    check.Fail(prefix + "rules", "a campaign needs at least one rule");
  } else if (campaign.rules.size() > kMaxRules) {
    check.Fail(prefix + "rules", absl::StrCat("at most ", kMaxRules, " rules"));
  } else {
    absl::flat_hash_set<absl::string_view> rule_ids;
    for (size_t i = 0; i < campaign.rules.size(); ++i) {
      std::string field = absl::StrCat(prefix, "rules[", i, "]");
      CheckRule(check, field, campaign.rules[i], result.references);
      const std::string& id = campaign.rules[i].rule_id;
      if (!id.empty() && !rule_ids.insert(id).second) {
        check.Fail(field + ".rule_id", absl::StrCat("'", id, "' is used by an earlier rule"));
      }
    }
  }
  CheckBudget(check, prefix + "budget", campaign.budget);
  return result;
}

absl::Status ViolationsToStatus(const std::vector<Violation>& violations) {
  if (violations.empty()) return absl::OkStatus();
  std::string description = violations.front().description;
  for (size_t i = 1; i < violations.size(); ++i) {
    absl::StrAppend(&description, "; ", violations[i].field, ": ", violations[i].description);
  }
  return InvalidField(violations.front().field, description);
}

}  // namespace loyalty::promotions
