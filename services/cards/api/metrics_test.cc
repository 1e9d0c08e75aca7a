#include "services/cards/api/metrics.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "prometheus/registry.h"

namespace loyalty::cards {
namespace {

double CounterValue(prometheus::Registry& registry, const std::string& name) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name == name) {
      EXPECT_EQ(family.metric.size(), 1u);  // no labels, one series
      return family.metric.at(0).counter.value;
    }
  }
  ADD_FAILURE() << "no metric " << name;
  return -1;
}

TEST(LedgerMetricsTest, CountsAppliedAccrualsAndRedemptionsOnly) {
  prometheus::Registry registry;
  LedgerMetrics metrics(registry);
  std::vector<TransferSpec> specs = {
      {.kind = TransferKind::kAccrual, .amount = 100},
      {.kind = TransferKind::kAccrual, .amount = 50},  // replayed below
      {.kind = TransferKind::kRedemption, .amount = 30},
      {.kind = TransferKind::kAccrualReversal, .amount = 20},
      {.kind = TransferKind::kRedemptionReversal, .amount = 10},
  };
  std::vector<TransferResult> results = {{.amount = 100},
                                         {.amount = 50, .replayed = true},
                                         {.amount = 30},
                                         {.amount = 20},
                                         {.amount = 10}};
  metrics.RecordCommitted(specs, results);
  EXPECT_EQ(CounterValue(registry, "loyalty_points_issued_total"), 100);
  EXPECT_EQ(CounterValue(registry, "loyalty_points_redeemed_total"), 30);
}

}  // namespace
}  // namespace loyalty::cards
