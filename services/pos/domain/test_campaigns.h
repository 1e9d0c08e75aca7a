#pragma once

// Campaigns the pos tests price with (unit and pg tests alike).

#include <cstdint>
#include <string>

#include "libs/promotions/model.h"

namespace loyalty::pos {

// ACTIVE, one rule "r1": `percent_bp` off the lines of `category`.
inline promotions::Campaign PercentOffCategory(const std::string& campaign_id, int64_t version,
                                               const std::string& category, int32_t percent_bp,
                                               const std::string& cashier_message = "") {
  promotions::Campaign campaign;
  campaign.campaign_id = campaign_id;
  campaign.version = version;
  campaign.name = campaign_id;
  campaign.state = promotions::CampaignState::kActive;
  promotions::Rule rule;
  rule.rule_id = "r1";
  rule.effects.push_back(promotions::DiscountEffect{.target = promotions::Target::kLines,
                                                    .lines = {.categories = {category}},
                                                    .percent_bp = percent_bp});
  rule.cashier_message = cashier_message;
  campaign.rules.push_back(rule);
  return campaign;
}

}  // namespace loyalty::pos
