#include "services/cards/storage/certificate_invariants.h"

#include <iterator>

#include "absl/strings/str_cat.h"
#include "services/cards/storage/invariant_checks.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {
namespace {

constexpr InvariantCheck kChecks[] = {
    {"certificate balance equals the sum of its operations and lies within 0..nominal",
     "SELECT c.program_id || '/' || c.number || ': stored ' || c.balance || ', operations ' ||"
     "       COALESCE(o.total, 0) || ', nominal ' || c.nominal"
     " FROM certificates c LEFT JOIN (SELECT program_id, number, sum(amount) AS total"
     "                                FROM certificate_operations GROUP BY 1, 2) o"
     "   USING (program_id, number)"
     " WHERE c.balance IS DISTINCT FROM COALESCE(o.total, 0)"
     "    OR c.balance < 0 OR c.balance > c.nominal"},

    {"running balance stays within 0..nominal and matches balance_after",
     "SELECT r.program_id || '/' || r.number || ' at ' || r.operation_id || ': running ' ||"
     "       r.running || ', recorded ' || r.balance_after || ', nominal ' || c.nominal"
     " FROM (SELECT program_id, number, operation_id, balance_after,"
     "              sum(amount) OVER (PARTITION BY program_id, number ORDER BY seq) AS running"
     "       FROM certificate_operations) r"
     " JOIN certificates c USING (program_id, number)"
     " WHERE r.running <> r.balance_after OR r.running < 0 OR r.running > c.nominal"},

    {"certificate has one ISSUE operation, its first, of the nominal",
     "SELECT c.program_id || '/' || c.number || ': ' || count(o.seq) FILTER ("
     "         WHERE o.kind = 'ISSUE') || ' issues'"
     " FROM certificates c"
     " LEFT JOIN certificate_operations o USING (program_id, number)"
     " GROUP BY c.program_id, c.number, c.nominal"
     " HAVING count(o.seq) FILTER (WHERE o.kind = 'ISSUE') <> 1"
     "     OR bool_or(o.kind = 'ISSUE' AND o.amount <> c.nominal)"
     "     OR min(o.seq) <> min(o.seq) FILTER (WHERE o.kind = 'ISSUE')"},

    {"hold is resolved at most once",
     "SELECT h.program_id || '/' || h.hold_id || ': ' || h.state || ' with ' ||"
     "       count(o.seq) || ' redemption(s)'"
     " FROM certificate_holds h"
     " LEFT JOIN certificate_operations o ON o.program_id = h.program_id"
     "  AND o.hold_id = h.hold_id"
     " GROUP BY h.program_id, h.hold_id, h.state, h.amount, h.number, h.posted_operation_id"
     " HAVING count(o.seq) > 1"
     "     OR (h.state = 'POSTED') <> (count(o.seq) = 1)"
     "     OR bool_or(o.operation_id <> h.posted_operation_id)"
     "     OR bool_or(-o.amount > h.amount OR o.kind <> 'REDEMPTION')"
     "     OR bool_or(o.number <> h.number)"
     " UNION ALL"
     " SELECT o.program_id || '/' || o.operation_id || ': posts unknown hold ' || o.hold_id"
     " FROM certificate_operations o"
     " WHERE o.hold_id IS NOT NULL AND NOT EXISTS ("
     "   SELECT 1 FROM certificate_holds h"
     "   WHERE h.program_id = o.program_id AND h.hold_id = o.hold_id)"},

    {"refunds give back at most what their redemption took",
     "SELECT f.program_id || '/' || f.refund_of || ': refunded ' || sum(f.amount) ||"
     "       ', redeemed ' || COALESCE(-min(r.amount), 0) || ' (' || COALESCE(min(r.kind), 'none')"
     "       || ')'"
     " FROM certificate_operations f"
     " LEFT JOIN certificate_operations r ON r.program_id = f.program_id"
     "  AND r.operation_id = f.refund_of"
     " WHERE f.kind = 'REFUND'"
     " GROUP BY f.program_id, f.refund_of"
     " HAVING bool_or(r.kind IS DISTINCT FROM 'REDEMPTION' OR r.number <> f.number)"
     "     OR sum(f.amount) > -min(r.amount)"},
};

constexpr absl::string_view kCoverageName = "open holds are covered by the balance";

// Holds HELD and unexpired at `now` (micros) reserve no more than the balance.
std::string CoverageSql(int64_t now) {
  return absl::StrCat(
      "SELECT c.program_id || '/' || c.number || ': held ' || sum(h.amount) || ', balance ' ||"
      "       c.balance"
      " FROM certificates c JOIN certificate_holds h USING (program_id, number)"
      " WHERE h.state = 'HELD' AND h.expire_at > micros_to_ts(",
      now, ") GROUP BY c.program_id, c.number, c.balance HAVING sum(h.amount) > c.balance");
}

constexpr InvariantCheck kEventCheck = {
    "operation emitted exactly one event of its kind",
    "SELECT o.program_id || '/' || o.operation_id || ': ' || count(e.id) || ' events'"
    " FROM certificate_operations o"
    " LEFT JOIN outbox e ON e.program_id = o.program_id"
    "  AND e.event_type = CASE o.kind WHEN 'ISSUE' THEN 'loyalty.cards.v1.CertificateIssued'"
    "                                 WHEN 'REDEMPTION' THEN 'loyalty.cards.v1.CertificateRedeemed'"
    "                                 ELSE 'loyalty.cards.v1.CertificateRefunded' END"
    "  AND (e.payload::jsonb ->> 'operation_id') = o.operation_id"
    " GROUP BY o.program_id, o.operation_id HAVING count(e.id) <> 1"};

}  // namespace

absl::StatusOr<std::vector<std::string>> FindCertificateInvariantViolations(
    pg::Pool& pool, const CertificateInvariantOptions& options) {
  std::vector<InvariantCheck> checks(std::begin(kChecks), std::end(kChecks));
  const std::string coverage = options.now ? CoverageSql(sql::Micros(*options.now)) : "";
  if (options.now) checks.push_back({kCoverageName, coverage});
  if (options.check_events) checks.push_back(kEventCheck);
  return FindViolations(pool, checks, options.max_per_check);
}

}  // namespace loyalty::cards
