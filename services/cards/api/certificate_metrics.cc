#include "services/cards/api/certificate_metrics.h"

#include <string>

#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace loyalty::cards {
namespace {

prometheus::Counter& ByOperation(prometheus::Registry& registry, const std::string& name,
                                 const std::string& help, const std::string& operation) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add(
      {{"operation", operation}});
}

constexpr char kCount[] = "loyalty_certificate_operations_total";
constexpr char kCountHelp[] = "Applied gift certificate operations (replays not counted).";
constexpr char kAmount[] = "loyalty_certificate_amount_total";
constexpr char kAmountHelp[] =
    "Money moved by applied gift certificate operations, minor units of the currency.";

}  // namespace

CertificateMetrics::CertificateMetrics(prometheus::Registry& registry)
    : redemptions_(ByOperation(registry, kCount, kCountHelp, "redemption")),
      refunds_(ByOperation(registry, kCount, kCountHelp, "refund")),
      redeemed_(ByOperation(registry, kAmount, kAmountHelp, "redemption")),
      refunded_(ByOperation(registry, kAmount, kAmountHelp, "refund")) {}

void CertificateMetrics::RecordOperation(const CertificateOperation& operation) {
  if (operation.replayed) return;
  if (operation.kind == CertificateOperationKind::kRedemption) {
    redemptions_.Increment();
    redeemed_.Increment(static_cast<double>(-operation.amount));
  } else if (operation.kind == CertificateOperationKind::kRefund) {
    refunds_.Increment();
    refunded_.Increment(static_cast<double>(operation.amount));
  }
}

}  // namespace loyalty::cards
