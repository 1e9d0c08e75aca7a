#include "libs/promotions/engine.h"

#include <algorithm>
#include <limits>
#include <span>
#include <type_traits>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "libs/common/decimal.h"
#include "libs/common/errors.h"
#include "libs/promotions/allocate.h"
#include "libs/promotions/calendar.h"
#include "libs/promotions/validate.h"

namespace loyalty::promotions {

namespace internal {

// Lines a rule's effect works on: every line (`all`), or those whose sku
// or category is listed (sorted, for binary search).
struct Targets {
  bool all = false;
  std::vector<std::string> skus;
  std::vector<std::string> categories;
};

struct CompiledRule {
  std::vector<Targets> effect_targets;  // one per effect
};

// Campaigns by one receipt dimension (store, partner, channel): the ones
// listing a value, and the ones not restricted by it.
struct DimensionIndex {
  using Bits = std::vector<uint64_t>;
  absl::flat_hash_map<std::string, Bits> by_value;
  Bits unrestricted;
};

struct CompiledCampaign {
  Campaign campaign;  // every list sorted
  absl::TimeZone zone;
  bool own_zone = false;
  std::vector<CompiledRule> rules;
};

struct CompiledProgram {
  std::vector<CompiledCampaign> campaigns;  // priority descending, then id
  absl::TimeZone zone;
  EvaluationSettings settings;
  DimensionIndex stores;
  DimensionIndex partners;
  DimensionIndex channels;
  bool reads_member_facts = false;
};

}  // namespace internal

struct SnapshotAccess {
  static const internal::CompiledProgram& Program(const Snapshot& snapshot) {
    return *snapshot.program_;
  }
  static Snapshot Make(std::shared_ptr<const internal::CompiledProgram> program) {
    return Snapshot(std::move(program));
  }
};

namespace {

using internal::CompiledCampaign;
using internal::CompiledProgram;
using internal::DimensionIndex;
using internal::Targets;

constexpr size_t kMaxReceiptLines = 1000;
constexpr int64_t kMaxQuantityMilli = 1'000'000'000;
constexpr int64_t kMaxPointValue = 1'000'000;
// Bonus points a receipt can get, all campaigns together; far above any
// real receipt, low enough that no sum of them overflows.
constexpr int64_t kMaxReceiptPoints = 1'000'000'000'000'000;

void SortUnique(std::vector<std::string>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

bool Contains(const std::vector<std::string>& sorted, absl::string_view value) {
  return std::binary_search(sorted.begin(), sorted.end(), value);
}

void SortSelector(LineSelector& selector) {
  SortUnique(selector.skus);
  SortUnique(selector.categories);
}

bool Selects(const LineSelector& selector, const ReceiptLine& line) {
  return Contains(selector.skus, line.sku) || Contains(selector.categories, line.category);
}

bool Selects(const Targets& targets, const ReceiptLine& line) {
  return targets.all || Contains(targets.skus, line.sku) ||
         Contains(targets.categories, line.category);
}

// Sorts every list a campaign holds, so that evaluation can binary search.
void SortLists(Campaign& campaign) {
  Audience& audience = campaign.audience;
  for (auto* list : {&audience.levels, &audience.tags, &audience.segment_ids, &audience.partner_ids,
                     &audience.store_ids, &audience.channels}) {
    SortUnique(*list);
  }
  for (AttributeMatch& attribute : audience.attributes) SortUnique(attribute.values);
  for (Rule& rule : campaign.rules) {
    for (Condition& condition : rule.conditions) {
      if (auto* lines = std::get_if<LinesCondition>(&condition)) SortSelector(lines->lines);
      if (auto* level = std::get_if<LevelCondition>(&condition)) SortUnique(level->levels);
      if (auto* attribute = std::get_if<AttributeCondition>(&condition)) {
        SortUnique(attribute->values);
      }
    }
    for (Effect& effect : rule.effects) {
      if (auto* discount = std::get_if<DiscountEffect>(&effect)) SortSelector(discount->lines);
      if (auto* points = std::get_if<PointsEffect>(&effect)) SortSelector(points->lines);
    }
  }
}

// The lines an effect works on; an effect on LINES without its own
// selector takes the lines the rule's lines conditions select.
Targets TargetsOf(Target target, const LineSelector& own, const Rule& rule) {
  Targets targets;
  if (target == Target::kReceipt) {
    targets.all = true;
    return targets;
  }
  if (!own.empty()) {
    targets.skus = own.skus;
    targets.categories = own.categories;
    return targets;
  }
  for (const Condition& condition : rule.conditions) {
    if (const auto* lines = std::get_if<LinesCondition>(&condition)) {
      targets.skus.insert(targets.skus.end(), lines->lines.skus.begin(), lines->lines.skus.end());
      targets.categories.insert(targets.categories.end(), lines->lines.categories.begin(),
                                lines->lines.categories.end());
    }
  }
  SortUnique(targets.skus);
  SortUnique(targets.categories);
  return targets;
}

void IndexDimension(DimensionIndex& index, const std::vector<std::string>& values, size_t position,
                    size_t words) {
  auto set = [&](DimensionIndex::Bits& bits) {
    bits.resize(words, 0);
    bits[position / 64] |= uint64_t{1} << (position % 64);
  };
  if (values.empty()) {
    set(index.unrestricted);
    return;
  }
  for (const std::string& value : values) set(index.by_value[value]);
}

// ORs into `out` the campaigns that `value` lets through on one dimension.
void Admit(const DimensionIndex& index, absl::string_view value, DimensionIndex::Bits& out) {
  for (size_t w = 0; w < out.size(); ++w) out[w] = index.unrestricted[w];
  auto it = index.by_value.find(value);
  if (it == index.by_value.end()) return;
  for (size_t w = 0; w < out.size(); ++w) out[w] |= it->second[w];
}

absl::Status CheckReceipt(const ReceiptContext& receipt) {
  if (receipt.lines.size() > kMaxReceiptLines) {
    return InvalidField("lines", absl::StrCat("at most ", kMaxReceiptLines, " lines"));
  }
  int64_t total = 0;
  for (size_t i = 0; i < receipt.lines.size(); ++i) {
    const ReceiptLine& line = receipt.lines[i];
    if (line.quantity_milli <= 0 || line.quantity_milli > kMaxQuantityMilli) {
      return InvalidField(absl::StrCat("lines[", i, "].quantity"),
                          absl::StrCat("must be above 0 and at most ", kMaxQuantityMilli / 1000));
    }
    if (line.price < 0 || line.price > kMaxAmount) {
      return InvalidField(absl::StrCat("lines[", i, "].price"),
                          absl::StrCat("must be 0..", kMaxAmount));
    }
    if (line.amount < 0 || line.amount > kMaxAmount - total) {
      return InvalidField(
          absl::StrCat("lines[", i, "].amount"),
          absl::StrCat("must not be negative; the receipt total at most ", kMaxAmount));
    }
    total += line.amount;
  }
  if (receipt.point_value < 1 || receipt.point_value > kMaxPointValue) {
    return InvalidField("point_value", absl::StrCat("must be 1..", kMaxPointValue));
  }
  if (receipt.base_accrual_rate_bp < 0 || receipt.base_accrual_rate_bp > 10000) {
    return InvalidField("base_accrual_rate_bp", "must be 0..10000");
  }
  return absl::OkStatus();
}

bool ReadsMemberFacts(const Campaign& campaign) {
  const Audience& audience = campaign.audience;
  if (!audience.levels.empty() || !audience.tags.empty() || !audience.attributes.empty() ||
      !audience.segment_ids.empty()) {
    return true;
  }
  for (const Rule& rule : campaign.rules) {
    for (const Condition& condition : rule.conditions) {
      if (std::holds_alternative<FirstPurchaseCondition>(condition) ||
          std::holds_alternative<BirthdayCondition>(condition) ||
          std::holds_alternative<LevelCondition>(condition) ||
          std::holds_alternative<TagCondition>(condition) ||
          std::holds_alternative<AttributeCondition>(condition)) {
        return true;
      }
    }
  }
  return false;
}

// --- Matching: which rules of which campaigns hold for the receipt.

struct Facts {
  const ReceiptContext& receipt;
  int64_t receipt_total = 0;
  absl::CivilSecond program_local;  // the receipt's time in the program's zone
};

struct ConditionResult {
  bool holds = false;
  // When it fails only for want of money: how much more would do.
  int64_t missing_amount = 0;
  int32_t promo_code = -1;  // index of the entered code it used
};

bool HasAttribute(const MemberFacts& member, const std::string& key,
                  const std::vector<std::string>& sorted_values) {
  return std::any_of(member.attributes.begin(), member.attributes.end(), [&](const auto& kv) {
    return kv.first == key && Contains(sorted_values, kv.second);
  });
}

ConditionResult Check(const Condition& condition, const Facts& facts, absl::CivilSecond local) {
  const ReceiptContext& receipt = facts.receipt;
  const MemberFacts* member = receipt.member ? &*receipt.member : nullptr;
  return std::visit(
      [&](const auto& c) -> ConditionResult {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, ReceiptSumCondition>) {
          if (c.max_amount && facts.receipt_total > *c.max_amount) return {};
          if (facts.receipt_total < c.min_amount) {
            return {.missing_amount = c.min_amount - facts.receipt_total};
          }
          return {.holds = true};
        } else if constexpr (std::is_same_v<T, LinesCondition>) {
          int64_t quantity = 0;
          int64_t amount = 0;
          bool any = false;
          for (const ReceiptLine& line : receipt.lines) {
            if (!Selects(c.lines, line)) continue;
            any = true;
            quantity += line.quantity_milli;
            amount += line.amount;
          }
          // Quantities: at most 1000 lines of 10^9 each, no overflow.
          if (!any || quantity < c.min_quantity_milli) return {};
          if (amount < c.min_amount) return {.missing_amount = c.min_amount - amount};
          return {.holds = true};
        } else if constexpr (std::is_same_v<T, FirstPurchaseCondition>) {
          return {.holds = member != nullptr && member->first_purchase};
        } else if constexpr (std::is_same_v<T, BirthdayCondition>) {
          // Birthdays are the program's dates, whatever zone a campaign's
          // schedule uses.
          return {.holds =
                      member != nullptr && member->birthday &&
                      WithinBirthdayWindow(*member->birthday, absl::CivilDay(facts.program_local),
                                           c.days_before, c.days_after)};
        } else if constexpr (std::is_same_v<T, LevelCondition>) {
          return {.holds = member != nullptr && Contains(c.levels, member->level)};
        } else if constexpr (std::is_same_v<T, TagCondition>) {
          return {.holds = member != nullptr && std::find(member->tags.begin(), member->tags.end(),
                                                          c.tag) != member->tags.end()};
        } else if constexpr (std::is_same_v<T, AttributeCondition>) {
          return {.holds = member != nullptr && HasAttribute(*member, c.key, c.values)};
        } else if constexpr (std::is_same_v<T, TimeOfDayCondition>) {
          return {.holds = InWindow(c.window, MinuteOfDay(local))};
        } else if constexpr (std::is_same_v<T, DayOfWeekCondition>) {
          absl::Weekday today = absl::GetWeekday(absl::CivilDay(local));
          return {.holds = std::find(c.days.begin(), c.days.end(), today) != c.days.end()};
        } else if constexpr (std::is_same_v<T, PromoCodeCondition>) {
          for (size_t i = 0; i < receipt.promo_codes.size(); ++i) {
            const EnteredPromoCode& entered = receipt.promo_codes[i];
            bool match = c.code.empty() ? entered.pool_id == c.pool_id
                                        : entered.pool_id.empty() && entered.code == c.code;
            if (match) return {.holds = true, .promo_code = static_cast<int32_t>(i)};
          }
          return {};
        }
      },
      condition);
}

bool InAudience(const Audience& audience, const ReceiptContext& receipt) {
  // Stores, partners and channels were settled by the index.
  bool needs_member = !audience.levels.empty() || !audience.tags.empty() ||
                      !audience.attributes.empty() || !audience.segment_ids.empty();
  if (!needs_member) return true;
  if (!receipt.member) return false;
  const MemberFacts& member = *receipt.member;
  if (!audience.levels.empty() && !Contains(audience.levels, member.level)) return false;
  auto any_in = [](const std::vector<std::string>& sorted, const std::vector<std::string>& have) {
    return std::any_of(have.begin(), have.end(),
                       [&](const std::string& value) { return Contains(sorted, value); });
  };
  if (!audience.tags.empty() && !any_in(audience.tags, member.tags)) return false;
  if (!audience.segment_ids.empty() && !any_in(audience.segment_ids, member.segment_ids)) {
    return false;
  }
  return std::all_of(audience.attributes.begin(), audience.attributes.end(),
                     [&](const AttributeMatch& attribute) {
                       return HasAttribute(member, attribute.key, attribute.values);
                     });
}

struct MatchedRule {
  size_t rule = 0;
  std::vector<int32_t> promo_codes;
};

struct MatchedCampaign {
  const CompiledCampaign* campaign = nullptr;
  std::vector<MatchedRule> rules;
};

// Matches one campaign's rules; records near misses.
MatchedCampaign Match(const CompiledCampaign& compiled, const Facts& facts,
                      std::vector<NearMiss>& near_misses) {
  MatchedCampaign matched;
  matched.campaign = &compiled;
  const ReceiptContext& receipt = facts.receipt;
  absl::CivilSecond local =
      compiled.own_zone ? absl::ToCivilSecond(receipt.time, compiled.zone) : facts.program_local;
  const Campaign& campaign = compiled.campaign;
  if (!InSchedule(campaign.schedule, receipt.time, local)) return matched;
  if (!InAudience(campaign.audience, receipt)) return matched;
  for (size_t r = 0; r < campaign.rules.size(); ++r) {
    const Rule& rule = campaign.rules[r];
    MatchedRule match{.rule = r};
    bool holds = true;
    bool only_money_missing = true;
    int64_t missing = 0;
    for (const Condition& condition : rule.conditions) {
      ConditionResult result = Check(condition, facts, local);
      if (result.promo_code >= 0) match.promo_codes.push_back(result.promo_code);
      if (result.holds) continue;
      holds = false;
      if (result.missing_amount <= 0) {
        only_money_missing = false;
        break;
      }
      missing = std::max(missing, result.missing_amount);
    }
    if (holds) {
      matched.rules.push_back(std::move(match));
    } else if (only_money_missing) {
      near_misses.push_back({.campaign_id = campaign.campaign_id,
                             .rule_id = rule.rule_id,
                             .missing_amount = missing,
                             .cashier_message = rule.cashier_message});
    }
  }
  return matched;
}

// --- Applying the matched rules of a set of campaigns.

int64_t CeilMulDiv(int64_t value, int64_t numerator, int64_t denominator) {
  int64_t floor = MulDivFloor(value, numerator, denominator);
  return MulDivRemainder(value, numerator, denominator) == 0 ? floor : floor + 1;
}

class Pricer {
 public:
  Pricer(const CompiledProgram& program, const ReceiptContext& receipt)
      : program_(program), receipt_(receipt), n_(receipt.lines.size()) {
    remaining_.resize(n_);
    floor_.resize(n_);
    weights_.resize(n_);
    caps_.resize(n_);
    parts_.resize(n_);
    for (size_t i = 0; i < n_; ++i) {
      const ReceiptLine& line = receipt.lines[i];
      remaining_[i] = line.amount;
      floor_[i] = std::min(line.amount,
                           CeilMulDiv(program.settings.min_unit_price, line.quantity_milli, 1000));
    }
    outcome_.lines.resize(n_);
  }

  Outcome Apply(std::span<const MatchedCampaign* const> campaigns) {
    // Discounts first, in priority order, each on what earlier ones left;
    // then points, on the amounts after every discount.
    for (const MatchedCampaign* matched : campaigns) {
      const CompiledCampaign& compiled = *matched->campaign;
      const Campaign& campaign = compiled.campaign;
      size_t consumption = outcome_.consumption.size();
      outcome_.consumption.push_back({.campaign_id = campaign.campaign_id,
                                      .campaign_version = campaign.version,
                                      .budget = campaign.budget});
      for (const MatchedRule& match : matched->rules) {
        const Rule& rule = campaign.rules[match.rule];
        size_t explanation = outcome_.explanations.size();
        outcome_.explanations.push_back({.campaign_id = campaign.campaign_id,
                                         .campaign_version = campaign.version,
                                         .rule_id = rule.rule_id,
                                         .promo_codes = match.promo_codes,
                                         .cashier_message = rule.cashier_message});
        acted_.push_back(false);
        for (size_t e = 0; e < rule.effects.size(); ++e) {
          const Targets& targets = compiled.rules[match.rule].effect_targets[e];
          ApplyEffect(rule.effects[e], targets, campaign, rule, explanation, consumption);
        }
      }
    }
    for (const DeferredPoints& deferred : points_) AddPoints(deferred);
    for (Explanation& explanation : outcome_.explanations) MergeShares(explanation.lines);
    DropRulesThatDidNothing();
    return std::move(outcome_);
  }

 private:
  struct DeferredPoints {
    const PointsEffect* effect;
    const Targets* targets;
    size_t explanation;
    size_t consumption;
  };

  void ApplyEffect(const Effect& effect, const Targets& targets, const Campaign& campaign,
                   const Rule& rule, size_t explanation, size_t consumption) {
    if (const auto* discount = std::get_if<DiscountEffect>(&effect)) {
      AddDiscount(*discount, targets, explanation, consumption);
    } else if (const auto* points = std::get_if<PointsEffect>(&effect)) {
      points_.push_back({points, &targets, explanation, consumption});
    } else if (const auto* gift = std::get_if<GiftEffect>(&effect)) {
      acted_[explanation] = true;
      outcome_.gifts.push_back({.campaign_id = campaign.campaign_id,
                                .rule_id = rule.rule_id,
                                .sku = gift->sku,
                                .quantity_milli = gift->quantity_milli,
                                .price = gift->price});
      ++outcome_.consumption[consumption].gifts;
    } else {
      acted_[explanation] = true;
      PendingAction pending{.campaign_id = campaign.campaign_id, .rule_id = rule.rule_id};
      if (const auto* issue = std::get_if<IssuePromoCodeAction>(&effect)) {
        pending.action = *issue;
      } else if (const auto* attribute = std::get_if<SetAttributeAction>(&effect)) {
        pending.action = *attribute;
      } else {
        pending.action = std::get<AddTagAction>(effect);
      }
      outcome_.actions.push_back(std::move(pending));
    }
  }

  void AddDiscount(const DiscountEffect& effect, const Targets& targets, size_t explanation,
                   size_t consumption) {
    int64_t base = 0;
    bool any = false;
    for (size_t i = 0; i < n_; ++i) {
      const ReceiptLine& line = receipt_.lines[i];
      bool selected = line.discountable && Selects(targets, line);
      any |= selected;
      weights_[i] = selected ? remaining_[i] : 0;
      caps_[i] = selected ? std::max<int64_t>(0, remaining_[i] - floor_[i]) : 0;
      base += weights_[i];
    }
    if (!any) return;
    acted_[explanation] = true;
    // Rounded down: the member never gets more than the stated share.
    int64_t amount =
        effect.percent_bp != 0 ? MulDivFloor(base, effect.percent_bp, 10000) : effect.fixed_amount;
    int64_t given = Apportion(amount, weights_, caps_, parts_);
    if (given == 0) return;
    Explanation& out = outcome_.explanations[explanation];
    for (size_t i = 0; i < n_; ++i) {
      if (parts_[i] == 0) continue;
      remaining_[i] -= parts_[i];
      outcome_.lines[i].discount += parts_[i];
      out.lines.push_back({.line_index = static_cast<int32_t>(i), .discount = parts_[i]});
    }
    out.discount += given;
    outcome_.discount += given;
    outcome_.consumption[consumption].discount += given;
  }

  void AddPoints(const DeferredPoints& deferred) {
    const PointsEffect& effect = *deferred.effect;
    int64_t base = 0;
    bool any = false;
    for (size_t i = 0; i < n_; ++i) {
      const ReceiptLine& line = receipt_.lines[i];
      bool selected = line.accrues_points && Selects(*deferred.targets, line);
      any |= selected;
      weights_[i] = selected ? remaining_[i] : 0;
      caps_[i] = selected ? std::numeric_limits<int64_t>::max() : 0;
      base += weights_[i];
    }
    if (!any) return;
    acted_[deferred.explanation] = true;
    // Money to points rounds down, as the base accrual does.
    const int64_t per_point = int64_t{10000} * receipt_.point_value;
    int64_t points = 0;
    if (effect.fixed_points != 0) {
      points = effect.fixed_points;
    } else if (effect.percent_bp != 0) {
      points = MulDivFloor(base, effect.percent_bp, per_point);
    } else {
      points =
          (effect.multiplier - 1) * MulDivFloor(base, receipt_.base_accrual_rate_bp, per_point);
    }
    points = std::min(points, kMaxReceiptPoints - outcome_.bonus_points);
    int64_t given = Apportion(points, weights_, caps_, parts_);
    if (given == 0) return;
    Explanation& out = outcome_.explanations[deferred.explanation];
    for (size_t i = 0; i < n_; ++i) {
      if (parts_[i] == 0) continue;
      outcome_.lines[i].bonus_points += parts_[i];
      out.lines.push_back({.line_index = static_cast<int32_t>(i), .bonus_points = parts_[i]});
    }
    out.bonus_points += given;
    outcome_.bonus_points += given;
    outcome_.consumption[deferred.consumption].bonus_points += given;
  }

  // A rule whose discounts and points found no line they may go to (all of
  // them noDiscount / noAccrual) and that has no other effect did not
  // apply: it is not explained, and a campaign left with no such rule
  // consumed nothing. Its entered promo codes stay unused.
  void DropRulesThatDidNothing() {
    std::vector<Explanation> kept;
    kept.reserve(outcome_.explanations.size());
    absl::flat_hash_set<std::string> campaigns;
    for (size_t k = 0; k < outcome_.explanations.size(); ++k) {
      if (!acted_[k]) continue;
      campaigns.insert(outcome_.explanations[k].campaign_id);
      kept.push_back(std::move(outcome_.explanations[k]));
    }
    outcome_.explanations = std::move(kept);
    std::erase_if(outcome_.consumption, [&](const Consumption& consumption) {
      return !campaigns.contains(consumption.campaign_id);
    });
  }

  // One share per line, in line order.
  static void MergeShares(std::vector<LineShare>& shares) {
    std::stable_sort(shares.begin(), shares.end(), [](const LineShare& a, const LineShare& b) {
      return a.line_index < b.line_index;
    });
    size_t out = 0;
    for (size_t i = 0; i < shares.size(); ++i) {
      if (out > 0 && shares[out - 1].line_index == shares[i].line_index) {
        shares[out - 1].discount += shares[i].discount;
        shares[out - 1].bonus_points += shares[i].bonus_points;
      } else {
        shares[out++] = shares[i];
      }
    }
    shares.resize(out);
  }

  const CompiledProgram& program_;
  const ReceiptContext& receipt_;
  const size_t n_;
  std::vector<int64_t> remaining_;               // line amounts after discounts so far
  std::vector<int64_t> floor_;                   // what discounts must leave on a line
  std::vector<int64_t> weights_, caps_, parts_;  // scratch
  std::vector<DeferredPoints> points_;
  std::vector<bool> acted_;  // per explanation: an effect reached a line, or is no line effect
  Outcome outcome_;
};

// What an outcome is worth to the member, in minor units, to compare an
// exclusive campaign with the others. Gifts count nothing: their value is
// the catalogue's.
__extension__ typedef __int128 Int128;

Int128 ValueToMember(const Outcome& outcome, int64_t point_value) {
  return static_cast<Int128>(outcome.discount) +
         static_cast<Int128>(outcome.bonus_points) * point_value;
}

}  // namespace

size_t Snapshot::size() const { return program_->campaigns.size(); }

bool Snapshot::reads_member_facts() const { return program_->reads_member_facts; }

absl::StatusOr<Snapshot> Snapshot::Compile(const std::vector<Campaign>& campaigns,
                                           absl::TimeZone program_zone,
                                           EvaluationSettings settings) {
  if (settings.min_unit_price < 0 || settings.min_unit_price > kMaxAmount) {
    return InvalidField("settings.min_unit_price", absl::StrCat("must be 0..", kMaxAmount));
  }
  auto program = std::make_shared<CompiledProgram>();
  program->zone = program_zone;
  program->settings = settings;
  absl::flat_hash_set<absl::string_view> ids;
  for (size_t i = 0; i < campaigns.size(); ++i) {
    const Campaign& campaign = campaigns[i];
    if (campaign.state != CampaignState::kActive) continue;
    std::string prefix = absl::StrCat("campaigns[", i, "].");
    ValidationResult validation = ValidateCampaign(campaign, prefix);
    if (!validation.ok()) return ViolationsToStatus(validation.violations);
    if (!ids.insert(campaign.campaign_id).second) {
      return InvalidField(prefix + "campaign_id",
                          absl::StrCat("'", campaign.campaign_id, "' appears twice"));
    }
    CompiledCampaign compiled;
    compiled.campaign = campaign;
    compiled.zone = program_zone;
    if (!campaign.schedule.time_zone.empty()) {
      // Validated above, so it loads.
      absl::LoadTimeZone(campaign.schedule.time_zone, &compiled.zone);
      compiled.own_zone = true;
    }
    SortLists(compiled.campaign);
    program->reads_member_facts |= ReadsMemberFacts(compiled.campaign);
    for (const Rule& rule : compiled.campaign.rules) {
      internal::CompiledRule compiled_rule;
      for (const Effect& effect : rule.effects) {
        if (const auto* discount = std::get_if<DiscountEffect>(&effect)) {
          compiled_rule.effect_targets.push_back(
              TargetsOf(discount->target, discount->lines, rule));
        } else if (const auto* points = std::get_if<PointsEffect>(&effect)) {
          compiled_rule.effect_targets.push_back(TargetsOf(points->target, points->lines, rule));
        } else {
          compiled_rule.effect_targets.emplace_back();
        }
      }
      compiled.rules.push_back(std::move(compiled_rule));
    }
    program->campaigns.push_back(std::move(compiled));
  }
  std::sort(program->campaigns.begin(), program->campaigns.end(),
            [](const CompiledCampaign& a, const CompiledCampaign& b) {
              if (a.campaign.priority != b.campaign.priority) {
                return a.campaign.priority > b.campaign.priority;
              }
              return a.campaign.campaign_id < b.campaign.campaign_id;
            });
  const size_t words = (program->campaigns.size() + 63) / 64;
  for (DimensionIndex* index : {&program->stores, &program->partners, &program->channels}) {
    index->unrestricted.assign(words, 0);
  }
  for (size_t k = 0; k < program->campaigns.size(); ++k) {
    const Audience& audience = program->campaigns[k].campaign.audience;
    IndexDimension(program->stores, audience.store_ids, k, words);
    IndexDimension(program->partners, audience.partner_ids, k, words);
    IndexDimension(program->channels, audience.channels, k, words);
  }
  return SnapshotAccess::Make(std::move(program));
}

std::optional<Budget> Snapshot::BudgetOf(const std::string& campaign_id) const {
  for (const CompiledCampaign& compiled : program_->campaigns) {
    if (compiled.campaign.campaign_id == campaign_id) return compiled.campaign.budget;
  }
  return std::nullopt;
}

absl::StatusOr<Outcome> Evaluate(const Snapshot& snapshot, const ReceiptContext& receipt) {
  if (absl::Status status = CheckReceipt(receipt); !status.ok()) return status;
  const CompiledProgram& program = SnapshotAccess::Program(snapshot);
  Facts facts{.receipt = receipt, .program_local = absl::ToCivilSecond(receipt.time, program.zone)};
  for (const ReceiptLine& line : receipt.lines) facts.receipt_total += line.amount;

  // Only campaigns open to this store, partner and channel are looked at.
  const size_t words = program.stores.unrestricted.size();
  DimensionIndex::Bits candidates(words), admitted(words);
  Admit(program.stores, receipt.store_id, candidates);
  Admit(program.partners, receipt.partner_id, admitted);
  for (size_t w = 0; w < words; ++w) candidates[w] &= admitted[w];
  Admit(program.channels, receipt.channel, admitted);
  for (size_t w = 0; w < words; ++w) candidates[w] &= admitted[w];

  std::vector<NearMiss> near_misses;
  std::vector<MatchedCampaign> matched;
  for (size_t w = 0; w < words; ++w) {
    for (uint64_t bits = candidates[w]; bits != 0; bits &= bits - 1) {
      size_t k = w * 64 + static_cast<size_t>(__builtin_ctzll(bits));
      if (!receipt.excluded_campaigns.empty() &&
          std::find(receipt.excluded_campaigns.begin(), receipt.excluded_campaigns.end(),
                    program.campaigns[k].campaign.campaign_id) !=
              receipt.excluded_campaigns.end()) {
        continue;
      }
      MatchedCampaign match = Match(program.campaigns[k], facts, near_misses);
      if (!match.rules.empty()) matched.push_back(std::move(match));
    }
  }

  // Stacking, in priority order: combinable and stop-further campaigns
  // join one combination, which ends after the first stop-further one;
  // each exclusive campaign met before that end is an alternative on its
  // own. The alternative worth most to the member wins; on a tie, the one
  // whose first campaign comes first in priority order.
  std::vector<const MatchedCampaign*> combined;
  size_t combined_first = matched.size();
  std::vector<size_t> exclusives;
  for (size_t k = 0; k < matched.size(); ++k) {
    Stacking stacking = matched[k].campaign->campaign.stacking;
    if (stacking == Stacking::kExclusive) {
      exclusives.push_back(k);
      continue;
    }
    if (combined.empty()) combined_first = k;
    combined.push_back(&matched[k]);
    if (stacking == Stacking::kStopFurther) break;
  }

  Outcome best = Pricer(program, receipt).Apply(combined);
  size_t best_first = combined_first;
  for (size_t k : exclusives) {
    const MatchedCampaign* alone[] = {&matched[k]};
    Outcome outcome = Pricer(program, receipt).Apply(alone);
    Int128 value = ValueToMember(outcome, receipt.point_value);
    Int128 best_value = ValueToMember(best, receipt.point_value);
    if (value > best_value || (value == best_value && k < best_first)) {
      best = std::move(outcome);
      best_first = k;
    }
  }
  best.near_misses = std::move(near_misses);
  return best;
}

}  // namespace loyalty::promotions
