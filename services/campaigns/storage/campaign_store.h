#pragma once

// PostgreSQL storage of `campaigns` (schema `campaigns`).

#include <cstdint>
#include <functional>
#include <optional>
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

// The ACTIVE campaigns of a program and the snapshot version they form.
struct ActiveCampaigns {
  int64_t snapshot_version = 0;
  std::vector<Campaign> campaigns;  // highest priority first, then id
};

// Who made a change, for the version history.
struct Author {
  std::string principal_id;
};

struct CampaignPage {
  std::vector<Campaign> campaigns;
  std::string next_page_token;
};

class CampaignStore final {
 public:
  explicit CampaignStore(pg::Pool& pool) : pool_(pool) {}

  // Inserts a validated campaign as version 1 and, in the same transaction,
  // its CampaignCreated event. A retry with the same request id returns the
  // first campaign and emits nothing.
  absl::StatusOr<Campaign> CreateCampaign(const std::string& program_id, const Campaign& campaign,
                                          const std::string& request_id, const Author& author = {});
  // NOT_FOUND unless the campaign exists in this program.
  absl::StatusOr<Campaign> GetCampaign(const std::string& program_id,
                                       const std::string& campaign_id);
  // Highest priority first, then name, then id; keyset pagination.
  absl::StatusOr<CampaignPage> ListCampaigns(const std::string& program_id, int page_size,
                                             const std::string& page_token);

  // Read-modify-write of a campaign under a row lock: `edit` gets the
  // stored campaign and a copy to change (and validate); on OK the copy is
  // stored as the next version, with CampaignChanged and, when the campaign
  // is ACTIVE, a snapshot bump and ActiveCampaignsChanged, all in one
  // transaction. ABORTED (naming "campaign.etag") when `expected_version`
  // is set and stale. A `request_id` already used for this campaign
  // returns the campaign as it is now and changes nothing. `edit` may run
  // more than once (transaction retries).
  using EditFn = std::function<absl::Status(const Campaign& current, Campaign& edited)>;
  absl::StatusOr<Campaign> UpdateCampaign(const std::string& program_id,
                                          const std::string& campaign_id,
                                          std::optional<int64_t> expected_version,
                                          const std::string& request_id, const Author& author,
                                          const EditFn& edit);

  // Moves the campaign to `target` (see CheckTransition); already there:
  // returned unchanged, nothing emitted. `check` runs on the locked row
  // before a real change (e.g. activation's validation). Emits
  // CampaignChanged, and bumps the snapshot with ActiveCampaignsChanged
  // when the active set changes.
  using CheckFn = std::function<absl::Status(const Campaign& current)>;
  absl::StatusOr<Campaign> SetState(const std::string& program_id, const std::string& campaign_id,
                                    CampaignState target, const CheckFn& check);

  // A stored version of the definition with the campaign's current state.
  // NOT_FOUND for an unknown version or another program's campaign.
  absl::StatusOr<Campaign> GetCampaignVersion(const std::string& program_id,
                                              const std::string& campaign_id, int64_t version);

  // One consistent read of the active set and its snapshot version.
  absl::StatusOr<ActiveCampaigns> GetActiveCampaigns(const std::string& program_id);

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::campaigns
