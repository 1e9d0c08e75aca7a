#pragma once

// Settlement between the partners of a coalition (CRD-9). Points are a
// liability of whoever issued them: a partner's accruals (its lots), or the
// program itself ("" partner) for bonuses and corrections. When points
// issued by one party are consumed at another - spent by a REDEMPTION, or
// taken back by an ACCRUAL_REVERSAL of a purchase returned there - the
// issuer owes the party they were consumed at. A REDEMPTION_REVERSAL gives
// points back as a new lot issued by the partner that reversed it, so the
// obligation of the original redemption stands and the new lot is the
// reverser's own liability from then on.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace loyalty::cards {

// What happened at one partner within the period.
struct PartnerActivity {
  std::string partner_id;  // "" for the program's own tills and operators
  int64_t accrued = 0;
  int64_t accrual_reversed = 0;
  int64_t redeemed = 0;
  int64_t redemption_reversed = 0;
  friend bool operator==(const PartnerActivity&, const PartnerActivity&) = default;
};

// Points issued by `issuer_partner_id` consumed at `acceptor_partner_id`
// (never the same party): the issuer owes the acceptor their sum.
struct PartnerFlow {
  std::string issuer_partner_id;
  std::string acceptor_partner_id;
  int64_t redeemed = 0;  // spent by redemptions
  int64_t reversed = 0;  // taken back by accrual reversals
  friend bool operator==(const PartnerFlow&, const PartnerFlow&) = default;
};

// After netting both directions of a pair: `debtor` owes `creditor`.
struct PartnerNet {
  std::string debtor_partner_id;
  std::string creditor_partner_id;
  int64_t points = 0;  // > 0
  friend bool operator==(const PartnerNet&, const PartnerNet&) = default;
};

struct PartnerSettlement {
  absl::Time start_time;                  // inclusive
  absl::Time end_time;                    // exclusive
  std::vector<PartnerActivity> activity;  // by partner id
  std::vector<PartnerFlow> flows;         // by issuer, then acceptor
  std::vector<PartnerNet> net;            // by debtor, then creditor
};

inline constexpr absl::Duration kMaxSettlementPeriod = absl::Hours(24 * 366);

// The period must be given, end after start, at most kMaxSettlementPeriod;
// errors name `start_time` / `end_time`.
absl::Status ValidateSettlementPeriod(const std::optional<absl::Time>& start_time,
                                      const std::optional<absl::Time>& end_time);

// Nets each pair's two directions; pairs that cancel out are left out.
std::vector<PartnerNet> NetPartnerFlows(std::span<const PartnerFlow> flows);

}  // namespace loyalty::cards
