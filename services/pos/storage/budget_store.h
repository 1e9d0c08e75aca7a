#pragma once

// Campaign budget counters of `pos` (CMP-5, migration 0008): usage per
// program and campaign, and per card, and each calculation's reservations.
// Every check against a cap runs under the row lock of the campaign's usage
// row (and the client's), so concurrent receipts are counted one after
// the other and a cap is never overspent.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "services/pos/domain/campaign_budgets.h"

namespace loyalty::pos {

class BudgetStore final : public CampaignBudgets {
 public:
  // A reservation not confirmed within `reservation_ttl` stops counting.
  BudgetStore(pg::Pool& pool, absl::Duration reservation_ttl)
      : pool_(pool), reservation_ttl_(reservation_ttl) {}

  absl::StatusOr<std::vector<std::string>> Reserve(const BudgetKey& key,
                                                   const std::vector<BudgetClaim>& claims,
                                                   absl::Time now) override;
  absl::Status Release(const std::string& program_id, const std::string& receipt_id,
                       int32_t calculation) override;
  absl::Status ReleaseBefore(const std::string& program_id, const std::string& receipt_id,
                             int32_t calculation) override;
  absl::Status Consume(const std::string& program_id, const std::string& receipt_id,
                       int32_t calculation, absl::Time now) override;
  absl::Status Unconsume(const std::string& program_id, const std::string& receipt_id,
                         int32_t calculation, absl::Time now) override;
  absl::Status GiveBack(const std::string& program_id, const std::string& receipt_id) override;

  // The campaign's usage in the program; NOT_FOUND when pos never counted
  // anything for it there.
  absl::StatusOr<BudgetUsage> GetUsage(const std::string& program_id,
                                       const std::string& campaign_id, absl::Time now);

 private:
  // Deletes the receipt's open reservations whose calculation matches the
  // SQL condition `calculations` on $3 = `calculation`.
  absl::Status DropOpen(const std::string& program_id, const std::string& receipt_id,
                        absl::string_view calculations, int32_t calculation);

  pg::Pool& pool_;
  absl::Duration reservation_ttl_;
};

}  // namespace loyalty::pos
