#pragma once

// ReceiptCampaigns over the program's campaign snapshot, the store and the
// catalogue: what CalculateReceipt prices with.

#include <string>
#include <vector>

#include "services/pos/domain/campaign_pricing.h"
#include "services/pos/domain/campaign_snapshots.h"

namespace loyalty::pos {

class PosStore;
class CatalogueStore;

class SnapshotReceiptCampaigns final : public ReceiptCampaigns {
 public:
  SnapshotReceiptCampaigns(CampaignSnapshots& snapshots, PosStore& stores,
                           CatalogueStore& catalogue)
      : snapshots_(snapshots), stores_(stores), catalogue_(catalogue) {}

  absl::StatusOr<CampaignPricing> Price(const std::string& program_id, const std::string& store_id,
                                        absl::Time time, const PosSettings& settings,
                                        std::vector<PricedLine>& lines,
                                        const std::vector<promotions::EnteredPromoCode>&
                                            promo_codes) override;

 private:
  CampaignSnapshots& snapshots_;
  PosStore& stores_;
  CatalogueStore& catalogue_;
};

}  // namespace loyalty::pos
