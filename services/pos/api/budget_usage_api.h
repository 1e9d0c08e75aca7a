#pragma once

// PosService.GetCampaignBudgetUsage (CMP-5): what a campaign with a budget
// has given, from pos's counters, with its caps from pos's snapshot.

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "loyalty/pos/v1/pos_service.pb.h"
#include "services/pos/domain/campaign_snapshots.h"
#include "services/pos/storage/budget_store.h"

namespace loyalty::pos {

class BudgetUsageReader final {
 public:
  using Clock = std::function<absl::Time()>;

  BudgetUsageReader(BudgetStore& budgets, CampaignSnapshots& snapshots, Clock clock)
      : budgets_(budgets), snapshots_(snapshots), clock_(std::move(clock)) {}

  // NOT_FOUND when the campaign is neither in the program's snapshot nor
  // counted in the program (another program's campaign looks the same).
  absl::Status Read(const std::string& program_id, const std::string& campaign_id,
                    v1::CampaignBudgetUsage* out);

 private:
  BudgetStore& budgets_;
  CampaignSnapshots& snapshots_;
  Clock clock_;
};

}  // namespace loyalty::pos
