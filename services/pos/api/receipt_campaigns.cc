#include "services/pos/api/receipt_campaigns.h"

#include "libs/common/log.h"
#include "services/pos/storage/catalogue_store.h"
#include "services/pos/storage/pos_store.h"

namespace loyalty::pos {
namespace {

// Shown to the cashier whenever campaigns could not be applied, so that a
// missing discount is explained at the till rather than discovered later.
constexpr char kWithoutCampaigns[] = "Campaigns are unavailable: priced without campaigns";
constexpr char kWithoutMemberFacts[] =
    "Member data is unavailable: priced without campaigns for members";

CampaignPricing Nothing(size_t lines, size_t promo_codes) {
  CampaignPricing pricing;
  pricing.line_bonus_points.assign(lines, 0);
  pricing.promo_code_campaigns.assign(promo_codes, "");
  return pricing;
}

}  // namespace

absl::StatusOr<CampaignPricing> SnapshotReceiptCampaigns::Price(
    const std::string& program_id, const std::string& store_id, absl::Time time,
    const PosSettings& settings, const CardInfo* member_card, std::vector<PricedLine>& lines,
    const std::vector<promotions::EnteredPromoCode>& promo_codes,
    const std::vector<std::string>& excluded_campaigns) {
  CampaignSnapshot current = snapshots_.Get(program_id);
  if (current.snapshot == nullptr) {
    CampaignPricing pricing = Nothing(lines.size(), promo_codes.size());
    pricing.messages.push_back(kWithoutCampaigns);
    return pricing;
  }
  // Most receipts of a program without campaigns: no lookups for nothing.
  if (current.snapshot->size() == 0) return Nothing(lines.size(), promo_codes.size());

  absl::StatusOr<Store> store = stores_.GetStore(program_id, store_id);
  if (!store.ok()) return store.status();
  std::vector<std::string> skus;
  for (const PricedLine& line : lines) {
    if (!line.sku.empty()) skus.push_back(line.sku);
  }
  absl::StatusOr<std::vector<Product>> known = catalogue_.GetProducts(program_id, skus);
  if (!known.ok()) return known.status();
  absl::flat_hash_map<std::string, ProductFacts> products;
  for (const Product& product : *known) {
    products[product.sku] = {.category_id = product.category_id,
                             .no_discount = product.no_discount,
                             .no_accrual = product.no_accrual};
  }
  // Programs whose campaigns ignore members pay no identity call.
  std::optional<promotions::MemberFacts> member;
  bool member_unavailable = false;
  if (member_card != nullptr && current.snapshot->reads_member_facts() && members_ != nullptr &&
      history_ != nullptr) {
    absl::StatusOr<promotions::MemberFacts> facts =
        LookUpMemberFacts(program_id, *member_card, *members_, *history_);
    if (facts.ok()) {
      member = *std::move(facts);
    } else {
      log::Warn("member facts unavailable; priced without them",
                {{"program_id", program_id}, {"error", facts.status().ToString()}});
      member_unavailable = true;
    }
  }
  CampaignInput input = BuildCampaignInput(lines, products,
                                           {.store_id = store_id,
                                            .partner_id = store->partner_id,
                                            .channel = store->sales_channel_id,
                                            .time = time,
                                            .accrual_rate_bp = settings.accrual_rate_bp,
                                            .point_value = settings.point_value,
                                            .member = std::move(member)});
  input.receipt.excluded_campaigns = excluded_campaigns;
  input.receipt.promo_codes = promo_codes;
  absl::StatusOr<promotions::Outcome> outcome =
      promotions::Evaluate(*current.snapshot, input.receipt);
  if (!outcome.ok()) {
    // pos validated the lines already, so this is a bug on one side or the
    // other; the sale goes on without campaigns.
    log::Error("evaluating campaigns failed",
               {{"program_id", program_id}, {"error", outcome.status().ToString()}});
    CampaignPricing pricing = Nothing(lines.size(), promo_codes.size());
    pricing.messages.push_back(kWithoutCampaigns);
    return pricing;
  }
  CampaignPricing pricing = ApplyCampaignOutcome(*outcome, input, lines);
  if (!pricing.gifts.empty()) {
    // Gifts are rare: their names cost a lookup only when a rule gives one.
    std::vector<std::string> gift_skus;
    for (const ReceiptGift& gift : pricing.gifts) gift_skus.push_back(gift.sku);
    absl::StatusOr<std::vector<Product>> gift_products =
        catalogue_.GetProducts(program_id, gift_skus);
    if (!gift_products.ok()) return gift_products.status();
    absl::flat_hash_map<std::string, std::string> names;
    for (const Product& product : *gift_products) names[product.sku] = product.name;
    NameGifts(names, pricing);
  }
  if (member_unavailable) pricing.messages.push_back(kWithoutMemberFacts);
  return pricing;
}

}  // namespace loyalty::pos
