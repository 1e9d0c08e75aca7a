#pragma once

// PostgreSQL storage of `analytics` (schema `analytics`): the sales read
// model built from pos's events.

#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"
#include "services/analytics/domain/sales.h"

namespace loyalty::generated {
std::span<const loyalty::pg::Migration> AnalyticsMigrations();
}

namespace loyalty::analytics {

class AnalyticsStore final {
 public:
  explicit AnalyticsStore(pg::Pool& pool) : pool_(pool) {}

  // Record a fact once per event id (and once per receipt or refund id),
  // marking the event processed in the same transaction. Return false when
  // it had been applied before.
  absl::StatusOr<bool> ApplySale(const SaleFact& fact);
  absl::StatusOr<bool> ApplyRefund(const RefundFact& fact);

  // Totals of the program's facts in the query's period, from one snapshot.
  absl::StatusOr<SalesSummary> GetSalesSummary(const std::string& program_id,
                                               const SummaryQuery& query);

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::analytics
