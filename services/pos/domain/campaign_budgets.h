#pragma once

// Campaign budgets (CMP-5) on the receipt flow. A calculation reserves what
// its campaigns give against their caps, all or nothing; a campaign whose
// budget cannot cover its share is left out and the receipt priced again
// without it. Confirm turns the reservations into usage, cancel and
// recalculation release them, a refund gives back its share. Pure: the
// counting itself is behind CampaignBudgets (storage/budget_store.*).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/promotions/engine.h"
#include "services/pos/domain/campaign_pricing.h"

namespace loyalty::pos {

// What one campaign with a budget gives on one calculation.
struct BudgetClaim {
  std::string campaign_id;
  promotions::Budget budget;
  int64_t discount = 0;
  int64_t bonus_points = 0;
};

// Which calculation of which receipt claims, and for whom.
struct BudgetKey {
  std::string program_id;
  std::string receipt_id;
  int32_t calculation = 1;
  std::string card_number;  // "" without a card
};

// What a campaign has given in a program, and what open receipts hold.
struct BudgetUsage {
  int64_t used_discount = 0;
  int64_t used_bonus_points = 0;
  int64_t used_receipts = 0;
  int64_t reserved_discount = 0;
  int64_t reserved_bonus_points = 0;
};

class CampaignBudgets {
 public:
  virtual ~CampaignBudgets() = default;

  // Reserves every claim for the calculation `key`, or none of them:
  // returns the campaigns whose budget cannot cover their claim (empty when
  // everything was reserved). A retry of the same calculation replaces its
  // reservations.
  virtual absl::StatusOr<std::vector<std::string>> Reserve(const BudgetKey& key,
                                                           const std::vector<BudgetClaim>& claims,
                                                           absl::Time now) = 0;
  // Drops the open reservations of one calculation of the receipt (0: of
  // every calculation).
  virtual absl::Status Release(const std::string& program_id, const std::string& receipt_id,
                               int32_t calculation) = 0;
  // Drops the open reservations of the calculations before `calculation`
  // (it replaced them).
  virtual absl::Status ReleaseBefore(const std::string& program_id, const std::string& receipt_id,
                                     int32_t calculation) = 0;
  // Turns the calculation's reservations into usage and drops those of
  // other calculations. FAILED_PRECONDITION when a reservation lapsed and
  // the budget no longer covers it (calculate again). Idempotent.
  virtual absl::Status Consume(const std::string& program_id, const std::string& receipt_id,
                               int32_t calculation, absl::Time now) = 0;
  // Undoes Consume after the ledger refused the confirmation: reserved
  // again, from `now` for the reservation time.
  virtual absl::Status Unconsume(const std::string& program_id, const std::string& receipt_id,
                                 int32_t calculation, absl::Time now) = 0;
  // A refund: gives back the receipt's usage in the share the refunds so
  // far returned of its value (cumulative, so partial refunds add up to a
  // whole one). Idempotent.
  virtual absl::Status GiveBack(const std::string& program_id, const std::string& receipt_id) = 0;
};

// What `consumption` claims: one claim per campaign with a budget (others
// are not counted). Bonus points count only when the receipt earns them
// (it has a card).
std::vector<BudgetClaim> ClaimsOf(const std::vector<promotions::Consumption>& consumption,
                                  bool earns_points);

// Claims no budget can grant here: a per-client cap on a receipt without a
// card, which would otherwise be a way around it.
std::vector<std::string> RefusedWithoutClient(const std::vector<BudgetClaim>& claims,
                                              const std::string& card_number);

// The cashier's explanation of a campaign left out.
std::string BudgetExhaustedMessage(const std::string& campaign_id);

// Prices again without the campaigns given.
using Reprice =
    std::function<absl::StatusOr<CampaignPricing>(const std::vector<std::string>& excluded)>;

// Reserves what `pricing` claims; while a budget refuses, prices again
// without the refused campaigns (each campaign is left out at most once,
// so this ends) and reserves that instead. Returns the pricing that was
// reserved, with a message per campaign left out.
absl::StatusOr<CampaignPricing> PriceWithinBudgets(CampaignBudgets& budgets, const BudgetKey& key,
                                                   bool earns_points, absl::Time now,
                                                   CampaignPricing pricing, const Reprice& reprice);

}  // namespace loyalty::pos
