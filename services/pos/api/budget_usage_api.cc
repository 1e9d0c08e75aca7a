#include "services/pos/api/budget_usage_api.h"

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/rpc/handler.h"
#include "services/pos/api/pos_api.h"

namespace loyalty::pos {

absl::Status BudgetUsageReader::Read(const std::string& program_id, const std::string& campaign_id,
                                     v1::CampaignBudgetUsage* out) {
  std::optional<promotions::Budget> budget;
  if (CampaignSnapshot current = snapshots_.Get(program_id); current.snapshot != nullptr) {
    budget = current.snapshot->BudgetOf(campaign_id);
  }
  absl::StatusOr<BudgetUsage> usage = budgets_.GetUsage(program_id, campaign_id, clock_());
  if (absl::IsNotFound(usage.status())) {
    if (!budget) return absl::NotFoundError(absl::StrCat("campaign ", campaign_id, " not found"));
    usage = BudgetUsage{};  // active, nothing given yet
  }
  if (!usage.ok()) return usage.status();
  out->set_campaign_id(campaign_id);
  out->set_used_discount(usage->used_discount);
  out->set_used_bonus_points(usage->used_bonus_points);
  out->set_used_receipts(usage->used_receipts);
  out->set_reserved_discount(usage->reserved_discount);
  out->set_reserved_bonus_points(usage->reserved_bonus_points);
  if (budget) {
    out->set_max_discount(budget->max_discount);
    out->set_max_bonus_points(budget->max_bonus_points);
  }
  return absl::OkStatus();
}

grpc::Status PosApi::GetCampaignBudgetUsage(grpc::ServerContext* context,
                                            const v1::GetCampaignBudgetUsageRequest* request,
                                            v1::CampaignBudgetUsage* response) {
  return rpc::HandleProgramCall(
      context, "GetCampaignBudgetUsage", [&](const rpc::CallContext& call) -> absl::Status {
        if (request->campaign_id().empty()) return InvalidField("campaign_id", "is required");
        if (request->campaign_id().size() > 128) {
          return InvalidField("campaign_id", "longer than 128 bytes");
        }
        if (budget_usage_ == nullptr) return absl::UnimplementedError("budgets are not counted");
        return budget_usage_->Read(call.program_id, request->campaign_id(), response);
      });
}

}  // namespace loyalty::pos
