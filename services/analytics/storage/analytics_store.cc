#include "services/analytics/storage/analytics_store.h"

#include <pqxx/pqxx>

#include <optional>

namespace loyalty::analytics {
namespace {

std::string PgTime(absl::Time time) {
  return absl::FormatTime("%E4Y-%m-%d %H:%M:%E6S+00", time, absl::UTCTimeZone());
}

// Marks `event_id` processed; false if it already was.
bool MarkProcessed(pg::Tx& tx, const std::string& event_id) {
  pqxx::result marked = tx.exec_params(
      "INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING", event_id);
  return marked.affected_rows() == 1;
}

}  // namespace

absl::StatusOr<bool> AnalyticsStore::ApplySale(const SaleFact& fact) {
  bool applied = false;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    applied = MarkProcessed(tx, fact.event_id);
    if (!applied) return absl::OkStatus();
    tx.exec_params(
        "INSERT INTO sales_facts (program_id, receipt_id, store_id, confirmed_at,"
        " total_amount, total_discount, points_earned, points_spent, event_id)"
        " VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7, $8, $9)"
        " ON CONFLICT DO NOTHING",
        fact.program_id, fact.receipt_id, fact.store_id, PgTime(fact.confirm_time),
        fact.total_amount, fact.total_discount, fact.points_earned, fact.points_spent,
        fact.event_id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return applied;
}

absl::StatusOr<bool> AnalyticsStore::ApplyRefund(const RefundFact& fact) {
  bool applied = false;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    applied = MarkProcessed(tx, fact.event_id);
    if (!applied) return absl::OkStatus();
    if (fact.cancels_sale) {
      // A cancelled sale never happened (a voided sale at the till): it
      // leaves the period it was confirmed in, with the refunds it had, so
      // it counts neither as a receipt nor as revenue or refunded value.
      tx.exec_params("DELETE FROM sales_facts WHERE program_id = $1 AND receipt_id = $2",
                     fact.program_id, fact.receipt_id);
      tx.exec_params("DELETE FROM refund_facts WHERE program_id = $1 AND receipt_id = $2",
                     fact.program_id, fact.receipt_id);
      return absl::OkStatus();
    }
    tx.exec_params(
        "INSERT INTO refund_facts (program_id, refund_id, receipt_id, store_id, refunded_at,"
        " amount, points_reversed, points_returned, event_id)"
        " VALUES ($1, $2, $3, $4, $5::timestamptz, $6, $7, $8, $9)"
        " ON CONFLICT DO NOTHING",
        fact.program_id, fact.refund_id, fact.receipt_id, fact.store_id,
        PgTime(fact.refund_time), fact.amount, fact.points_reversed, fact.points_returned,
        fact.event_id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return applied;
}

absl::StatusOr<SalesSummary> AnalyticsStore::GetSalesSummary(const std::string& program_id,
                                                             const SummaryQuery& query) {
  SalesSummary summary;
  std::optional<std::string> start;
  if (query.start) start = PgTime(*query.start);
  const std::string end = PgTime(query.end);
  absl::Status status = pool_.Transact(
      [&](pg::Tx& tx) -> absl::Status {
        pqxx::row sales = tx.exec_params1(
            "SELECT count(*), coalesce(sum(total_amount - total_discount), 0)::bigint,"
            " coalesce(sum(points_earned), 0)::bigint, coalesce(sum(points_spent), 0)::bigint"
            " FROM sales_facts WHERE program_id = $1"
            " AND ($2::timestamptz IS NULL OR confirmed_at >= $2::timestamptz)"
            " AND confirmed_at < $3::timestamptz AND ($4 = '' OR store_id = $4)",
            program_id, start, end, query.store_id);
        pqxx::row refunds = tx.exec_params1(
            "SELECT coalesce(sum(amount), 0)::bigint FROM refund_facts WHERE program_id = $1"
            " AND ($2::timestamptz IS NULL OR refunded_at >= $2::timestamptz)"
            " AND refunded_at < $3::timestamptz AND ($4 = '' OR store_id = $4)",
            program_id, start, end, query.store_id);
        summary.receipts = sales[0].as<int64_t>();
        summary.revenue = sales[1].as<int64_t>();
        summary.points_earned = sales[2].as<int64_t>();
        summary.points_spent = sales[3].as<int64_t>();
        summary.refunded = refunds[0].as<int64_t>();
        return absl::OkStatus();
      },
      // Both sums from one snapshot, even while the consumer writes.
      pg::Isolation::kRepeatableRead);
  if (!status.ok()) return status;
  return summary;
}

}  // namespace loyalty::analytics
