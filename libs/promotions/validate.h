#pragma once

// Checking a campaign before it is saved: every problem at once, each with
// the path of the field at fault, so an editor can mark them all.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "libs/promotions/model.h"

namespace loyalty::promotions {

inline constexpr int kMaxRules = 50;
inline constexpr int kMaxConditionsPerRule = 20;
inline constexpr int kMaxEffectsPerRule = 10;
inline constexpr int kMaxListValues = 1000;  // skus in a selector, stores...
inline constexpr int kMaxHourWindows = 24;
inline constexpr int kMaxKeyBytes = 64;  // ids, skus, tags, codes
inline constexpr int kMaxValueBytes = 256;
inline constexpr int kMaxMessageBytes = 500;
// Amounts: a receipt total no shop reaches (ten billion in major units),
// the same bound as pos; keeps every product below 2^63.
inline constexpr int64_t kMaxAmount = 1'000'000'000'000;
inline constexpr int64_t kMaxPoints = 1'000'000'000;
inline constexpr int32_t kMaxMultiplier = 100;
inline constexpr int32_t kMaxBirthdayDays = 180;
inline constexpr int64_t kMaxGiftQuantityMilli = 1'000'000;  // a thousand units

struct Violation {
  std::string field;  // e.g. "rules[2].effects[0].discount.percent_bp"
  std::string description;

  bool operator==(const Violation&) const = default;
};

// What a campaign refers to that only the caller can check: skus and
// categories against the catalogue, pools against the promo code store.
struct References {
  std::set<std::string> skus;
  std::set<std::string> categories;
  std::set<std::string> promo_codes;
  std::set<std::string> pool_ids;
};

struct ValidationResult {
  std::vector<Violation> violations;  // in field order; empty when valid
  References references;

  bool ok() const { return violations.empty(); }
};

// Validates `campaign` completely. Field paths are prefixed with
// `field_prefix` (e.g. "campaign."); a condition or an effect is named by
// its kind the way a proto oneof would be: "rules[0].conditions[1]
// .receipt_sum.min_amount".
ValidationResult ValidateCampaign(const Campaign& campaign, absl::string_view field_prefix = "");

// InvalidArgument naming the first violation's field (the project's
// convention, see libs/common/errors.h) with every violation in the
// message, "; "-separated; OK when there are none.
absl::Status ViolationsToStatus(const std::vector<Violation>& violations);

}  // namespace loyalty::promotions
