#include "services/cards/api/metrics.h"

#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace loyalty::cards {

LedgerMetrics::LedgerMetrics(prometheus::Registry& registry)
    : issued_(prometheus::BuildCounter()
                  .Name("loyalty_points_issued_total")
                  .Help("Points accrued to member accounts.")
                  .Register(registry)
                  .Add({})),
      redeemed_(prometheus::BuildCounter()
                    .Name("loyalty_points_redeemed_total")
                    .Help("Points redeemed from member accounts.")
                    .Register(registry)
                    .Add({})) {}

void LedgerMetrics::RecordCommitted(std::span<const TransferSpec> transfers,
                                    std::span<const TransferResult> results) {
  for (size_t i = 0; i < transfers.size() && i < results.size(); ++i) {
    if (results[i].replayed) continue;
    double amount = static_cast<double>(results[i].amount);
    switch (transfers[i].kind) {
      case TransferKind::kAccrual:
        issued_.Increment(amount);
        break;
      case TransferKind::kRedemption:
        redeemed_.Increment(amount);
        break;
      default:
        break;
    }
  }
}

}  // namespace loyalty::cards
