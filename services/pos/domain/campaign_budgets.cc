#include "services/pos/domain/campaign_budgets.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace loyalty::pos {

std::vector<BudgetClaim> ClaimsOf(const std::vector<promotions::Consumption>& consumption,
                                  bool earns_points) {
  std::vector<BudgetClaim> claims;
  for (const promotions::Consumption& used : consumption) {
    if (used.budget.empty()) continue;
    claims.push_back({.campaign_id = used.campaign_id,
                      .budget = used.budget,
                      .discount = used.discount,
                      .bonus_points = earns_points ? used.bonus_points : 0});
  }
  return claims;
}

std::vector<std::string> RefusedWithoutClient(const std::vector<BudgetClaim>& claims,
                                              const std::string& card_number) {
  std::vector<std::string> refused;
  if (!card_number.empty()) return refused;
  for (const BudgetClaim& claim : claims) {
    if (claim.budget.per_client()) refused.push_back(claim.campaign_id);
  }
  return refused;
}

std::string BudgetExhaustedMessage(const std::string& campaign_id) {
  return absl::StrCat("Campaign ", campaign_id, ": budget exhausted, not applied");
}

absl::StatusOr<CampaignPricing> PriceWithinBudgets(CampaignBudgets& budgets, const BudgetKey& key,
                                                   bool earns_points, absl::Time now,
                                                   CampaignPricing pricing,
                                                   const Reprice& reprice) {
  std::vector<std::string> excluded;
  for (;;) {
    std::vector<BudgetClaim> claims = ClaimsOf(pricing.consumption, earns_points);
    if (claims.empty()) break;
    std::vector<std::string> refused = RefusedWithoutClient(claims, key.card_number);
    if (refused.empty()) {
      absl::StatusOr<std::vector<std::string>> reserved = budgets.Reserve(key, claims, now);
      if (!reserved.ok()) return reserved.status();
      refused = *std::move(reserved);
    }
    if (refused.empty()) break;
    bool grew = false;
    for (std::string& id : refused) {
      if (std::find(excluded.begin(), excluded.end(), id) == excluded.end()) {
        excluded.push_back(std::move(id));
        grew = true;
      }
    }
    // A refused campaign comes back only if the store refused one it was
    // not asked about: a bug, but never a reason to loop.
    if (!grew) return absl::InternalError("a budget refused a campaign already left out");
    absl::StatusOr<CampaignPricing> again = reprice(excluded);
    if (!again.ok()) return again.status();
    pricing = *std::move(again);
  }
  for (const std::string& id : excluded) pricing.messages.push_back(BudgetExhaustedMessage(id));
  return pricing;
}

}  // namespace loyalty::pos
