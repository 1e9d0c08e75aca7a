#pragma once

// Business counters of gift certificates, declared once. Money in minor
// units (the base unit here); no certificate numbers as labels.

#include "services/cards/domain/certificate.h"

namespace prometheus {
class Counter;
class Registry;
}  // namespace prometheus

namespace loyalty::cards {

class CertificateMetrics final {
 public:
  explicit CertificateMetrics(prometheus::Registry& registry);

  // Counts a newly applied redemption or refund (not a replay).
  void RecordOperation(const CertificateOperation& operation);

 private:
  prometheus::Counter& redemptions_;
  prometheus::Counter& refunds_;
  prometheus::Counter& redeemed_;
  prometheus::Counter& refunded_;
};

}  // namespace loyalty::cards
