#include "services/cards/domain/partner_settlement.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"

namespace loyalty::cards {

absl::Status ValidateSettlementPeriod(const std::optional<absl::Time>& start_time,
                                      const std::optional<absl::Time>& end_time) {
  if (!start_time) return InvalidField("start_time", "required");
  if (!end_time) return InvalidField("end_time", "required");
  if (*end_time <= *start_time) return InvalidField("end_time", "must be after start_time");
  if (*end_time - *start_time > kMaxSettlementPeriod) {
    return InvalidField("end_time", "the period is at most 366 days");
  }
  return absl::OkStatus();
}

std::vector<PartnerNet> NetPartnerFlows(std::span<const PartnerFlow> flows) {
  // Signed amount per ordered pair (low, high): > 0 means low owes high.
  std::map<std::pair<std::string, std::string>, int64_t> owed;
  for (const PartnerFlow& flow : flows) {
    const int64_t total = flow.redeemed + flow.reversed;
    if (flow.issuer_partner_id < flow.acceptor_partner_id) {
      owed[{flow.issuer_partner_id, flow.acceptor_partner_id}] += total;
    } else if (flow.acceptor_partner_id < flow.issuer_partner_id) {
      owed[{flow.acceptor_partner_id, flow.issuer_partner_id}] -= total;
    }
  }
  std::vector<PartnerNet> net;
  for (const auto& [pair, amount] : owed) {
    if (amount > 0) net.push_back(PartnerNet{pair.first, pair.second, amount});
    if (amount < 0) net.push_back(PartnerNet{pair.second, pair.first, -amount});
  }
  std::sort(net.begin(), net.end(), [](const PartnerNet& a, const PartnerNet& b) {
    return std::tie(a.debtor_partner_id, a.creditor_partner_id) <
           std::tie(b.debtor_partner_id, b.creditor_partner_id);
  });
  return net;
}

}  // namespace loyalty::cards
