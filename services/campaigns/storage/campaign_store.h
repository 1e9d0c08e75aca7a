#pragma once

// PostgreSQL storage of `campaigns` (schema `campaigns`).

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"
#include "services/campaigns/domain/campaign.h"

namespace loyalty::generated {
std::span<const loyalty::pg::Migration> CampaignsMigrations();
}

namespace loyalty::campaigns {

struct CampaignPage {
  std::vector<Campaign> campaigns;
  std::string next_page_token;
};

class CampaignStore final {
 public:
  explicit CampaignStore(pg::Pool& pool) : pool_(pool) {}

  // Inserts a validated campaign and, in the same transaction, its
  // CampaignCreated event. A retry with the same request id returns the
  // first campaign and emits nothing.
  absl::StatusOr<Campaign> CreateCampaign(const std::string& program_id,
                                          const Campaign& campaign,
                                          const std::string& request_id);
  // NOT_FOUND unless the campaign exists in this program.
  absl::StatusOr<Campaign> GetCampaign(const std::string& program_id,
                                       const std::string& campaign_id);
  // Highest priority first, then name, then id; keyset pagination.
  absl::StatusOr<CampaignPage> ListCampaigns(const std::string& program_id, int page_size,
                                             const std::string& page_token);

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::campaigns
