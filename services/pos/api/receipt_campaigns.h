#pragma once

// ReceiptCampaigns over the program's campaign snapshot, the store, the
// catalogue and, when a campaign reads them, the member's facts: what
// CalculateReceipt prices with.

#include <string>
#include <vector>

#include "services/pos/domain/campaign_pricing.h"
#include "services/pos/domain/campaign_snapshots.h"
#include "services/pos/domain/member_facts.h"

namespace loyalty::pos {

class PosStore;
class CatalogueStore;

class SnapshotReceiptCampaigns final : public ReceiptCampaigns {
 public:
  // Without `members` and `history`, receipts are priced without member
  // facts (campaigns for members never apply).
  SnapshotReceiptCampaigns(CampaignSnapshots& snapshots, PosStore& stores,
                           CatalogueStore& catalogue, MemberDirectory* members = nullptr,
                           PurchaseHistory* history = nullptr)
      : snapshots_(snapshots),
        stores_(stores),
        catalogue_(catalogue),
        members_(members),
        history_(history) {}

  absl::StatusOr<CampaignPricing> Price(
      const std::string& program_id, const std::string& store_id, absl::Time time,
      const PosSettings& settings, const CardInfo* member_card, std::vector<PricedLine>& lines,
      const std::vector<promotions::EnteredPromoCode>& promo_codes,
      const std::vector<std::string>& excluded_campaigns) override;

 private:
  CampaignSnapshots& snapshots_;
  PosStore& stores_;
  CatalogueStore& catalogue_;
  MemberDirectory* members_;
  PurchaseHistory* history_;
};

}  // namespace loyalty::pos
