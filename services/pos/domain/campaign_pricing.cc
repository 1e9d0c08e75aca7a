#include "services/pos/domain/campaign_pricing.h"

#include <type_traits>
#include <variant>

#include "absl/strings/str_cat.h"
#include "libs/common/decimal.h"

namespace loyalty::pos {

CampaignInput BuildCampaignInput(const std::vector<PricedLine>& lines,
                                 const absl::flat_hash_map<std::string, ProductFacts>& products,
                                 const SaleFacts& sale) {
  CampaignInput input;
  input.receipt.store_id = sale.store_id;
  input.receipt.partner_id = sale.partner_id;
  input.receipt.channel = sale.channel;
  input.receipt.time = sale.time;
  input.receipt.base_accrual_rate_bp = sale.accrual_rate_bp;
  input.receipt.point_value = sale.point_value;
  input.receipt.member = sale.member;
  for (size_t i = 0; i < lines.size(); ++i) {
    const PricedLine& line = lines[i];
    promotions::ReceiptLine engine_line{.sku = line.sku,
                                        .category = line.category,
                                        .quantity_milli = line.quantity_milli,
                                        .price = line.price,
                                        .amount = line.amount};
    if (auto product = products.find(line.sku); product != products.end()) {
      engine_line.category = product->second.category_id;
      engine_line.discountable = !product->second.no_discount;
      engine_line.accrues_points = !product->second.no_accrual;
    }
    input.receipt.lines.push_back(std::move(engine_line));
    input.pos_line.push_back(i);
  }
  return input;
}

CampaignPricing ApplyCampaignOutcome(const promotions::Outcome& outcome, const CampaignInput& input,
                                     std::vector<PricedLine>& lines) {
  CampaignPricing pricing;
  pricing.line_bonus_points.assign(lines.size(), 0);
  for (size_t i = 0; i < outcome.lines.size() && i < input.pos_line.size(); ++i) {
    const size_t pos_line = input.pos_line[i];
    lines[pos_line].discount = outcome.lines[i].discount;
    pricing.line_bonus_points[pos_line] = outcome.lines[i].bonus_points;
  }
  pricing.bonus_points = outcome.bonus_points;
  pricing.consumption = outcome.consumption;
  pricing.promo_code_campaigns.assign(input.receipt.promo_codes.size(), "");
  for (const promotions::Explanation& explanation : outcome.explanations) {
    for (int32_t code : explanation.promo_codes) {
      if (code >= 0 && static_cast<size_t>(code) < pricing.promo_code_campaigns.size() &&
          pricing.promo_code_campaigns[code].empty()) {
        pricing.promo_code_campaigns[code] = explanation.campaign_id;
      }
    }
    AppliedRule rule{.campaign_id = explanation.campaign_id,
                     .campaign_version = explanation.campaign_version,
                     .rule_id = explanation.rule_id,
                     .discount = explanation.discount,
                     .bonus_points = explanation.bonus_points,
                     .cashier_message = explanation.cashier_message};
    for (const promotions::LineShare& share : explanation.lines) {
      const PricedLine& line = lines[input.pos_line[share.line_index]];
      rule.lines.push_back({.line_number = line.line_number,
                            .discount = share.discount,
                            .bonus_points = share.bonus_points});
    }
    if (!rule.cashier_message.empty()) pricing.messages.push_back(rule.cashier_message);
    pricing.applied.push_back(std::move(rule));
  }
  // The version is the one the rule applied at; every gift and action
  // comes from an applied rule, so it has an explanation.
  auto version_of = [&](const std::string& campaign_id, const std::string& rule_id) -> int64_t {
    for (const AppliedRule& rule : pricing.applied) {
      if (rule.campaign_id == campaign_id && rule.rule_id == rule_id) {
        return rule.campaign_version;
      }
    }
    return 0;
  };
  for (const promotions::Gift& gift : outcome.gifts) {
    pricing.gifts.push_back({.campaign_id = gift.campaign_id,
                             .campaign_version = version_of(gift.campaign_id, gift.rule_id),
                             .rule_id = gift.rule_id,
                             .sku = gift.sku,
                             .quantity_milli = gift.quantity_milli,
                             .price = gift.price});
  }
  for (const promotions::PendingAction& pending : outcome.actions) {
    ReceiptAction action{.campaign_id = pending.campaign_id,
                         .campaign_version = version_of(pending.campaign_id, pending.rule_id),
                         .rule_id = pending.rule_id};
    std::visit(
        [&](const auto& effect) {
          using T = std::decay_t<decltype(effect)>;
          if constexpr (std::is_same_v<T, promotions::IssuePromoCodeAction>) {
            action.kind = ActionKind::kIssuePromoCode;
            action.target = effect.pool_id;
          } else if constexpr (std::is_same_v<T, promotions::SetAttributeAction>) {
            action.kind = ActionKind::kSetAttribute;
            action.target = effect.key;
            action.value = effect.value;
          } else {
            static_assert(std::is_same_v<T, promotions::AddTagAction>);
            action.kind = ActionKind::kAddTag;
            action.target = effect.tag;
          }
        },
        pending.action);
    pricing.actions.push_back(std::move(action));
  }
  for (const promotions::NearMiss& miss : outcome.near_misses) {
    // The amount is in minor units; the till formats money, not pos.
    pricing.messages.push_back(
        miss.cashier_message.empty()
            ? absl::StrCat("Spend ", miss.missing_amount, " more")
            : absl::StrCat(miss.cashier_message, " (spend ", miss.missing_amount, " more)"));
  }
  return pricing;
}

void NameGifts(const absl::flat_hash_map<std::string, std::string>& catalogue,
               CampaignPricing& pricing) {
  for (ReceiptGift& gift : pricing.gifts) {
    auto known = catalogue.find(gift.sku);
    gift.in_catalogue = known != catalogue.end();
    gift.product_name = gift.in_catalogue ? known->second : "";
    // Amounts stay in minor units, as in every other message: the till
    // formats money.
    std::string message = absl::StrCat(
        "Gift: ", FormatMilli(gift.quantity_milli), " x ",
        gift.in_catalogue ? absl::StrCat(gift.product_name, " (", gift.sku, ")") : gift.sku,
        gift.price == 0 ? ", free" : absl::StrCat(" at ", gift.price, " each"));
    if (!gift.in_catalogue) absl::StrAppend(&message, " (not in the catalogue)");
    pricing.messages.push_back(std::move(message));
  }
}

}  // namespace loyalty::pos
