#pragma once

// Pricing a receipt with a program's campaigns: which campaigns apply, the
// discount and the bonus points each line gets, the gifts to add, what to
// do after confirmation, and why. Campaigns are compiled once into a
// Snapshot (validated, sorted by priority, indexed by store, partner and
// channel); evaluating a receipt then reads it only, so one Snapshot serves
// any number of threads.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/promotions/model.h"

namespace loyalty::promotions {

struct EvaluationSettings {
  // What a line keeps after discounts, per unit (minor units), e.g. 1 so
  // that nothing is given away for free; never more than the line's amount.
  int64_t min_unit_price = 0;
};

namespace internal {
struct CompiledProgram;
}  // namespace internal

// The active campaigns of one program, ready for evaluation. Cheap to
// copy (shared, immutable), so a new one can be swapped in while receipts
// are being priced with the old one.
class Snapshot final {
 public:
  // Keeps the ACTIVE campaigns (others are ignored) and validates them;
  // InvalidArgument naming "campaigns[i]..." when one is invalid or two
  // share an id. `program_zone` applies to schedules without a zone of
  // their own, and to birthdays.
  static absl::StatusOr<Snapshot> Compile(const std::vector<Campaign>& campaigns,
                                          absl::TimeZone program_zone,
                                          EvaluationSettings settings = {});

  // Number of campaigns kept.
  size_t size() const;

  // The budget of a campaign kept; nullopt when it is not in the snapshot.
  std::optional<Budget> BudgetOf(const std::string& campaign_id) const;
  // Whether some campaign's audience or conditions read MemberFacts
  // (level, tags, attributes, segments, birthday, first purchase), so the
  // caller can skip looking the member up when none does.
  bool reads_member_facts() const;

 private:
  friend struct SnapshotAccess;
  explicit Snapshot(std::shared_ptr<const internal::CompiledProgram> program)
      : program_(std::move(program)) {}

  std::shared_ptr<const internal::CompiledProgram> program_;
};

struct ReceiptLine {
  std::string sku;
  std::string category;
  int64_t quantity_milli = 0;  // thousandths of a unit, positive
  int64_t price = 0;           // per unit
  int64_t amount = 0;          // the line's total before discounts
  // A line of a product the catalogue excludes from discounts (or from
  // bonus points) still counts towards every condition; it only never
  // receives that effect, which goes to the other targeted lines.
  bool discountable = true;
  bool accrues_points = true;
};

struct MemberFacts {
  std::string level;
  std::vector<std::string> tags;
  std::vector<std::pair<std::string, std::string>> attributes;  // key, value
  std::vector<std::string> segment_ids;
  std::optional<absl::CivilDay> birthday;  // the year is ignored
  bool first_purchase = false;
};

// A code the buyer entered, as the caller resolved it: `code` is its text,
// `pool_id` the pool it belongs to (empty for a shared code). Only codes
// valid for this program, member and time belong here.
struct EnteredPromoCode {
  std::string code;
  std::string pool_id;
};

struct ReceiptContext {
  std::vector<ReceiptLine> lines;
  std::string store_id;
  std::string partner_id;
  std::string channel;
  absl::Time time;
  std::optional<MemberFacts> member;  // unset: no identified member
  std::vector<EnteredPromoCode> promo_codes;
  int32_t base_accrual_rate_bp = 0;  // what the multiplier effect multiplies
  int64_t point_value = 100;         // minor units one point is worth
  // Campaigns not to apply to this receipt, as if they were not in the
  // snapshot: the caller's budget refused them (CMP-5).
  std::vector<std::string> excluded_campaigns;
};

struct LineOutcome {
  int64_t discount = 0;      // minor units, 0 <= discount <= amount
  int64_t bonus_points = 0;  // on top of the base accrual
};

struct LineShare {
  int32_t line_index = 0;  // into ReceiptContext::lines
  int64_t discount = 0;
  int64_t bonus_points = 0;
};

// What one rule did.
struct Explanation {
  std::string campaign_id;
  int64_t campaign_version = 0;
  std::string rule_id;
  std::vector<LineShare> lines;  // by line index, lines with no share left out
  int64_t discount = 0;
  int64_t bonus_points = 0;
  std::vector<int32_t> promo_codes;  // into ReceiptContext::promo_codes: used
  std::string cashier_message;
};

struct Gift {
  std::string campaign_id;
  std::string rule_id;
  std::string sku;
  int64_t quantity_milli = 0;
  int64_t price = 0;  // per unit
};

using Action = std::variant<IssuePromoCodeAction, SetAttributeAction, AddTagAction>;

struct PendingAction {
  std::string campaign_id;
  std::string rule_id;
  Action action;
};

// What a campaign gave on this receipt, for the caller's budget checks.
struct Consumption {
  std::string campaign_id;
  int64_t campaign_version = 0;
  int64_t discount = 0;
  int64_t bonus_points = 0;
  int64_t gifts = 0;  // gift effects applied
  Budget budget;      // the campaign's, to check against
};

// A rule that missed only because the receipt (or its selected lines) was
// too small: spending `missing_amount` more would make it apply.
struct NearMiss {
  std::string campaign_id;
  std::string rule_id;
  int64_t missing_amount = 0;
  std::string cashier_message;  // of the rule
};

struct Outcome {
  std::vector<LineOutcome> lines;         // one per receipt line
  int64_t discount = 0;                   // sum of line discounts
  int64_t bonus_points = 0;               // sum of line bonus points
  std::vector<Explanation> explanations;  // in the order applied
  std::vector<Gift> gifts;
  std::vector<PendingAction> actions;
  std::vector<Consumption> consumption;  // one per applied campaign
  std::vector<NearMiss> near_misses;
};

// Evaluates the snapshot's campaigns on a receipt. InvalidArgument naming
// the field ("lines[3].amount") when the receipt is out of range (negative
// or overflowing amounts, non-positive quantities, bad rates).
absl::StatusOr<Outcome> Evaluate(const Snapshot& snapshot, const ReceiptContext& receipt);

}  // namespace loyalty::promotions
