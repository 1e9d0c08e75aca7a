#include "services/cards/api/metrics.h"

#include <map>
#include <string>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace loyalty::cards {
namespace {

prometheus::Counter& Counter(prometheus::Registry& registry, const std::string& name,
                             const std::string& help,
                             const std::map<std::string, std::string>& labels = {}) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add(labels);
}

}  // namespace

LedgerMetrics::LedgerMetrics(prometheus::Registry& registry)
    : issued_(Counter(registry, "loyalty_points_issued_total",
                      "Points accrued to member accounts.")),
      redeemed_(Counter(registry, "loyalty_points_redeemed_total",
                        "Points redeemed from member accounts.")),
      corrected_in_(Counter(registry, "loyalty_points_corrected_total",
                            "Points added or removed by manual corrections.",
                            {{"direction", "credit"}})),
      corrected_out_(Counter(registry, "loyalty_points_corrected_total",
                             "Points added or removed by manual corrections.",
                             {{"direction", "debit"}})),
      expired_(Counter(registry, "loyalty_points_expired_total",
                       "Points of expired lots moved out of member accounts.")),
      holds_expired_(Counter(registry, "loyalty_cards_holds_expired_total",
                             "Holds the expiry sweep found past their time.")),
      sweeps_ok_(Counter(registry, "loyalty_cards_expiry_runs_total",
                         "Expiry sweep passes by outcome.", {{"result", "ok"}})),
      sweeps_failed_(Counter(registry, "loyalty_cards_expiry_runs_total",
                             "Expiry sweep passes by outcome.", {{"result", "error"}})),
      last_sweep_success_(
          prometheus::BuildGauge()
              .Name("loyalty_cards_expiry_last_success_timestamp_seconds")
              .Help("Unix time the last expiry sweep pass completed without error.")
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
      case TransferKind::kCorrectionCredit:
        corrected_in_.Increment(amount);
        break;
      case TransferKind::kCorrectionDebit:
        corrected_out_.Increment(amount);
        break;
      default:
        break;
    }
  }
}

void LedgerMetrics::RecordExpirySweep(const absl::StatusOr<ExpirySweepResult>& sweep,
                                      absl::Time end) {
  if (!sweep.ok()) {
    sweeps_failed_.Increment();
    return;
  }
  sweeps_ok_.Increment();
  expired_.Increment(static_cast<double>(sweep->points));
  holds_expired_.Increment(static_cast<double>(sweep->holds_expired));
  last_sweep_success_.Set(absl::ToDoubleSeconds(end - absl::UnixEpoch()));
}

}  // namespace loyalty::cards
