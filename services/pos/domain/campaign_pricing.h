#pragma once

// A pos receipt as the rule engine (libs/promotions) reads it, and the
// engine's outcome applied back to the receipt's lines. Pure; the caller
// looks up the catalogue and the store and evaluates the snapshot.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/promotions/engine.h"
#include "services/pos/domain/pricing.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

// What the catalogue says about a sku on the receipt.
struct ProductFacts {
  std::string category_id;  // "" for none
  bool no_discount = false;
  bool no_accrual = false;
};

// What pos knows about the sale besides its lines.
struct SaleFacts {
  std::string store_id;
  std::string partner_id;
  std::string channel;
  absl::Time time;
  int32_t accrual_rate_bp = 0;
  int64_t point_value = 100;
  std::optional<promotions::MemberFacts> member;  // unset: no identified member
};

struct CampaignInput {
  promotions::ReceiptContext receipt;
  // For each line of `receipt`, the index of the pos line it stands for.
  std::vector<size_t> pos_line;
};

// Every line goes to the engine, so that all of them count towards the
// conditions; a product flagged no_discount gets no campaign discount and
// one flagged no_accrual no campaign bonus points. A known sku takes its
// category from the catalogue, an unknown one keeps the category the till
// sent.
CampaignInput BuildCampaignInput(const std::vector<PricedLine>& lines,
                                 const absl::flat_hash_map<std::string, ProductFacts>& products,
                                 const SaleFacts& sale);

struct CampaignPricing {
  std::vector<AppliedRule> applied;  // in the order the engine applied them
  // Per pos line, bonus points on top of the base accrual.
  std::vector<int64_t> line_bonus_points;
  int64_t bonus_points = 0;
  // Rule messages, then near misses ("spend X more"), then the gifts to
  // hand out (NameGifts), for the cashier.
  std::vector<std::string> messages;
  // What each applied campaign gave, with its budget (CMP-5).
  std::vector<promotions::Consumption> consumption;
  // Per promo code given to Price, the campaign that used it ("" for none).
  std::vector<std::string> promo_code_campaigns;
  // What the applied rules give, not yet named (see NameGifts).
  std::vector<ReceiptGift> gifts;
  // The post-confirm actions the applied rules give (no member or state
  // yet: Calculate knows the member).
  std::vector<ReceiptAction> actions;
};

// Sets each line's campaign discount (before the points are computed from
// what is left to pay) and returns what was applied.
CampaignPricing ApplyCampaignOutcome(const promotions::Outcome& outcome, const CampaignInput& input,
                                     std::vector<PricedLine>& lines);

// Names each gift from `catalogue` (sku -> product name, the skus the
// catalogue knows) and tells the cashier about it in `messages`, one per
// gift: what to hand out and at which price; a gift whose sku the catalogue
// does not know is kept, with a message saying so.
void NameGifts(const absl::flat_hash_map<std::string, std::string>& catalogue,
               CampaignPricing& pricing);

// The port Calculate prices through: looks up what the mapping needs and
// evaluates the program's snapshot with the `promo_codes` the caller
// already reserved (promo_codes.h). Campaigns being unavailable is not an
// error (the receipt is priced without them and a message says so); an
// error fails the calculation (e.g. the catalogue cannot be read). Member
// facts being unavailable is not an error either: the receipt is priced
// as for an anonymous buyer and a message says so.
// `excluded_campaigns` are not applied (their budget refused them).
class ReceiptCampaigns {
 public:
  virtual ~ReceiptCampaigns() = default;
  // `member_card`: the receipt's identified active card, null without one.
  virtual absl::StatusOr<CampaignPricing> Price(
      const std::string& program_id, const std::string& store_id, absl::Time time,
      const PosSettings& settings, const CardInfo* member_card, std::vector<PricedLine>& lines,
      const std::vector<promotions::EnteredPromoCode>& promo_codes,
      const std::vector<std::string>& excluded_campaigns) = 0;
};

}  // namespace loyalty::pos
