#include "services/cards/storage/ledger_invariants.h"

#include <iterator>

#include "absl/strings/string_view.h"
#include "services/cards/storage/invariant_checks.h"

namespace loyalty::cards {
namespace {

// Each member account's debt (domain/ledger.h DebtOf) from its transfers:
// reversals take it on the debit side, credits repay it on the credit side.
#define LOYALTY_DEBTS                                                                \
  "(SELECT program_id, account_id, sum(debt_change) AS debt FROM ("                  \
  "   SELECT program_id, debit_account_id AS account_id, debt_change FROM transfers" \
  "   WHERE debt_change > 0"                                                         \
  "   UNION ALL SELECT program_id, credit_account_id, debt_change FROM transfers"    \
  "   WHERE debt_change < 0) d GROUP BY 1, 2)"

constexpr InvariantCheck kChecks[] = {
    {"postings of a program sum to zero",
     "SELECT program_id || ': sum ' || sum(amount) FROM postings"
     " GROUP BY program_id HAVING sum(amount) <> 0"},

    {"member balance equals the sum of its postings",
     "SELECT a.program_id || '/' || a.account_id || ': stored ' || a.balance ||"
     "       ', postings ' || COALESCE(p.total, 0)"
     " FROM accounts a LEFT JOIN (SELECT program_id, account_id, sum(amount) AS total"
     "                            FROM postings GROUP BY 1, 2) p"
     "   USING (program_id, account_id)"
     " WHERE a.kind = 'member' AND a.balance IS DISTINCT FROM COALESCE(p.total, 0)"},

    {"member debt is not negative",
     "SELECT program_id || '/' || account_id || ': debt ' || debt FROM " LOYALTY_DEBTS
     " d WHERE debt < 0"},

    {"system accounts keep no stored balance",
     "SELECT program_id || '/' || account_id || ' (' || kind || ')' FROM accounts"
     " WHERE kind <> 'member' AND balance IS NOT NULL"},

    {"member balance equals the points left in its lots less its debt",
     "SELECT a.program_id || '/' || a.account_id || ': balance ' || a.balance ||"
     "       ', lots ' || COALESCE(l.total, 0) || ', debt ' || COALESCE(d.debt, 0)"
     " FROM accounts a LEFT JOIN (SELECT program_id, account_id, sum(remaining) AS total"
     "                            FROM lots GROUP BY 1, 2) l"
     "   USING (program_id, account_id)"
     " LEFT JOIN " LOYALTY_DEBTS " d USING (program_id, account_id)"
     " WHERE a.kind = 'member'"
     "   AND a.balance IS DISTINCT FROM COALESCE(l.total, 0) - COALESCE(d.debt, 0)"},

    {"lot remaining equals amount less consumptions",
     "SELECT l.program_id || '/lot ' || l.lot_id || ': amount ' || l.amount ||"
     "       ', consumed ' || COALESCE(c.total, 0) || ', remaining ' || l.remaining"
     " FROM lots l LEFT JOIN (SELECT lot_id, sum(amount) AS total"
     "                        FROM lot_consumptions GROUP BY lot_id) c USING (lot_id)"
     " WHERE l.remaining <> l.amount - COALESCE(c.total, 0)"},

    {"transfer has exactly its two postings",
     "SELECT t.program_id || '/' || t.transfer_id || ': amount ' || t.amount ||"
     "       ', postings ' || s.n"
     " FROM transfers t CROSS JOIN LATERAL ("
     "   SELECT count(*) AS n,"
     "          count(*) FILTER (WHERE p.account_id = t.debit_account_id"
     "                             AND p.amount = -t.amount) AS debits,"
     "          count(*) FILTER (WHERE p.account_id = t.credit_account_id"
     "                             AND p.amount = t.amount) AS credits"
     "   FROM postings p"
     "   WHERE p.program_id = t.program_id AND p.transfer_id = t.transfer_id) s"
     " WHERE (t.amount = 0 AND s.n <> 0)"
     "    OR (t.amount > 0 AND (s.n <> 2 OR s.debits <> 1 OR s.credits <> 1))"},

    {"transfer moves between the accounts its kind implies",
     "SELECT t.program_id || '/' || t.transfer_id || ': ' || t.kind || ' from ' ||"
     "       d.kind || ' to ' || c.kind"
     " FROM transfers t"
     " JOIN accounts d ON d.program_id = t.program_id AND d.account_id = t.debit_account_id"
     " JOIN accounts c ON c.program_id = t.program_id AND c.account_id = t.credit_account_id"
     " WHERE NOT ((t.kind = 'ACCRUAL' AND d.kind = 'issued' AND c.kind = 'member')"
     "         OR (t.kind = 'REDEMPTION' AND d.kind = 'member' AND c.kind = 'redeemed')"
     "         OR (t.kind = 'ACCRUAL_REVERSAL' AND d.kind = 'member'"
     "             AND c.kind = 'issued')"
     "         OR (t.kind = 'REDEMPTION_REVERSAL' AND d.kind = 'redeemed'"
     "             AND c.kind = 'member')"
     "         OR (t.kind = 'EXPIRATION' AND d.kind = 'member' AND c.kind = 'expired')"
     "         OR (t.kind = 'CORRECTION_CREDIT' AND d.kind = 'adjustment'"
     "             AND c.kind = 'member')"
     "         OR (t.kind = 'CORRECTION_DEBIT' AND d.kind = 'member'"
     "             AND c.kind = 'adjustment')"
     "         OR (t.kind IN ('MERGE', 'POOL_JOIN', 'POOL_LEAVE') AND d.kind = 'member'"
     "             AND c.kind = 'member'))"},

    {"transfer moves against the system account of its partner",
     "SELECT t.program_id || '/' || t.transfer_id || ': partner ' || t.partner_id ||"
     "       ' but account of ' || s.partner_id"
     " FROM transfers t"
     " JOIN accounts d ON d.program_id = t.program_id AND d.account_id = t.debit_account_id"
     " JOIN accounts c ON c.program_id = t.program_id AND c.account_id = t.credit_account_id"
     " CROSS JOIN LATERAL (SELECT CASE WHEN d.kind = 'member' THEN c.partner_id"
     "                                 ELSE d.partner_id END AS partner_id) s"
     " WHERE s.partner_id <> t.partner_id"},

    {"lot remembers the partner that issued its points",
     "SELECT l.program_id || '/lot ' || l.lot_id || ': partner ' || l.partner_id ||"
     "       ', transfer ' || t.transfer_id || ' at ' || t.partner_id"
     " FROM lots l JOIN transfers t USING (program_id, transfer_id)"
     " WHERE t.kind NOT IN ('MERGE', 'POOL_JOIN', 'POOL_LEAVE')"
     "   AND l.partner_id <> t.partner_id"
     " UNION ALL"
     " SELECT l.program_id || '/lot ' || l.lot_id || ': partner ' || l.partner_id ||"
     "        ', merged from lot ' || s.lot_id || ' of ' || s.partner_id"
     " FROM lots l JOIN transfers t USING (program_id, transfer_id)"
     " JOIN lot_consumptions c ON c.program_id = t.program_id"
     "  AND c.transfer_id = t.transfer_id"
     " JOIN lots s ON s.lot_id = c.lot_id"
     " WHERE t.kind IN ('MERGE', 'POOL_JOIN', 'POOL_LEAVE') AND s.partner_id <> l.partner_id"},

    {"transfer created or consumed lots to the amount it moved",
     "SELECT t.program_id || '/' || t.transfer_id || ': ' || t.kind || ' of ' ||"
     "       t.amount || ', consumed ' || COALESCE(c.total, 0) || ', lot ' ||"
     "       COALESCE(l.amount::text, 'none')"
     " FROM transfers t"
     " LEFT JOIN (SELECT program_id, transfer_id, sum(amount) AS total"
     "            FROM lot_consumptions GROUP BY 1, 2) c USING (program_id, transfer_id)"
     " LEFT JOIN lots l ON l.program_id = t.program_id AND l.transfer_id = t.transfer_id"
     // A reversal's debt came from no lot; a credit's repayment went to none.
     " WHERE (t.kind IN ('REDEMPTION', 'ACCRUAL_REVERSAL', 'EXPIRATION', 'CORRECTION_DEBIT')"
     "        AND (COALESCE(c.total, 0) <> t.amount - t.debt_change OR l.lot_id IS NOT NULL))"
     "    OR (t.kind IN ('MERGE', 'POOL_JOIN', 'POOL_LEAVE')"
     "        AND (COALESCE(c.total, 0) <> t.amount OR l.lot_id IS NULL"
     "        OR l.amount <> t.amount OR l.account_id <> t.credit_account_id))"
     "    OR (t.kind IN ('ACCRUAL', 'REDEMPTION_REVERSAL', 'CORRECTION_CREDIT')"
     "        AND (c.total IS NOT NULL"
     "             OR (l.lot_id IS NULL) <> (t.amount + t.debt_change = 0)"
     "             OR l.amount <> t.amount + t.debt_change"
     "             OR l.account_id <> t.credit_account_id))"},

    {"expiration took only lots that had expired, and all they had left",
     "SELECT t.program_id || '/' || t.transfer_id || ': lot ' || l.lot_id ||"
     "       ' expires ' || COALESCE(l.expire_at::text, 'never')"
     " FROM transfers t"
     " JOIN lot_consumptions c ON c.program_id = t.program_id"
     "  AND c.transfer_id = t.transfer_id"
     " JOIN lots l ON l.lot_id = c.lot_id"
     " WHERE t.kind = 'EXPIRATION'"
     "   AND (l.expire_at IS NULL OR l.expire_at > t.created_at OR l.remaining <> 0)"},

    {"hold is resolved at most once",
     "SELECT h.program_id || '/' || h.hold_id || ': ' || h.state || ' with ' ||"
     "       count(t.transfer_id) || ' posting transfer(s)'"
     " FROM holds h"
     " LEFT JOIN transfers t ON t.program_id = h.program_id AND t.hold_id = h.hold_id"
     " GROUP BY h.program_id, h.hold_id, h.state, h.amount, h.account_id,"
     "          h.posted_transfer_id"
     " HAVING count(t.transfer_id) > 1"
     "     OR (h.state = 'POSTED') <> (count(t.transfer_id) = 1)"
     "     OR bool_or(t.transfer_id <> h.posted_transfer_id)"
     "     OR bool_or(t.amount <> h.amount)"
     "     OR bool_or(t.debit_account_id <> h.account_id)"
     " UNION ALL"
     " SELECT t.program_id || '/' || t.transfer_id || ': posts unknown hold ' || t.hold_id"
     " FROM transfers t"
     " WHERE t.hold_id IS NOT NULL AND NOT EXISTS ("
     "   SELECT 1 FROM holds h WHERE h.program_id = t.program_id AND h.hold_id = t.hold_id)"},

    {"card's account is a member account",
     "SELECT c.program_id || '/' || c.number || ': account ' || c.account_id || ' is ' ||"
     "       COALESCE(a.kind, 'missing')"
     " FROM cards c LEFT JOIN accounts a USING (program_id, account_id)"
     " WHERE a.kind IS DISTINCT FROM 'member'"},

    {"member cards and only they point at their master account",
     "SELECT m.program_id || '/' || m.card_number || ': member of ' || m.account_id ||"
     "       ' but points at ' || c.account_id"
     " FROM master_members m JOIN cards c ON c.program_id = m.program_id"
     "  AND c.number = m.card_number"
     " WHERE m.left_at IS NULL AND c.account_id <> m.account_id"
     " UNION ALL"
     " SELECT c.program_id || '/' || c.number || ': points at master account ' ||"
     "       c.account_id || ' without being a member'"
     " FROM cards c JOIN master_accounts ma USING (program_id, account_id)"
     " WHERE NOT EXISTS (SELECT 1 FROM master_members m WHERE m.program_id = c.program_id"
     "   AND m.card_number = c.number AND m.account_id = c.account_id AND m.left_at IS NULL)"},

    {"membership's joined and taken points are its POOL_JOIN and POOL_LEAVE transfers",
     "SELECT m.program_id || '/membership ' || m.membership_id || ': joined ' ||"
     "       m.joined_points || ' vs ' || COALESCE(s.joined, 0) || ', taken ' ||"
     "       COALESCE(m.taken_points, 0) || ' vs ' || COALESCE(s.taken, 0)"
     " FROM master_members m LEFT JOIN LATERAL ("
     "   SELECT sum(t.amount) FILTER (WHERE t.kind = 'POOL_JOIN'"
     "            AND t.debit_account_id = m.own_account_id"
     "            AND t.credit_account_id = m.account_id) AS joined,"
     "          sum(t.amount) FILTER (WHERE t.kind = 'POOL_LEAVE'"
     "            AND t.debit_account_id = m.account_id"
     "            AND t.credit_account_id = m.leave_account_id) AS taken,"
     "          count(*) FILTER (WHERE t.card_number <> m.card_number) AS strangers"
     "   FROM transfers t WHERE t.program_id = m.program_id"
     "    AND t.kind IN ('POOL_JOIN', 'POOL_LEAVE')"
     "    AND split_part(t.transfer_id, ':', 2) = m.membership_id::text) s ON true"
     " WHERE m.joined_points <> COALESCE(s.joined, 0)"
     "    OR COALESCE(m.taken_points, 0) <> COALESCE(s.taken, 0) OR s.strangers > 0"
     " UNION ALL"
     " SELECT t.program_id || '/' || t.transfer_id || ': no membership'"
     " FROM transfers t WHERE t.kind IN ('POOL_JOIN', 'POOL_LEAVE') AND NOT EXISTS ("
     "   SELECT 1 FROM master_members m WHERE m.program_id = t.program_id"
     "    AND m.membership_id::text = split_part(t.transfer_id, ':', 2))"},

    {"dissolved master account is empty and has no members",
     "SELECT ma.program_id || '/' || ma.account_id || ': balance ' || a.balance"
     " FROM master_accounts ma JOIN accounts a USING (program_id, account_id)"
     " WHERE ma.state = 'DISSOLVED' AND (a.balance <> 0 OR EXISTS ("
     "   SELECT 1 FROM master_members m WHERE m.program_id = ma.program_id"
     "    AND m.account_id = ma.account_id AND m.left_at IS NULL))"},

    // Their foreign keys were dropped for speed (migration 0011).
    {"ledger rows belong to a stored transfer and account",
     "SELECT 'posting ' || p.posting_id FROM postings p"
     " WHERE NOT EXISTS (SELECT 1 FROM transfers t WHERE t.program_id = p.program_id"
     "                   AND t.transfer_id = p.transfer_id)"
     "    OR NOT EXISTS (SELECT 1 FROM accounts a WHERE a.program_id = p.program_id"
     "                   AND a.account_id = p.account_id)"
     " UNION ALL SELECT 'lot ' || l.lot_id FROM lots l"
     " WHERE NOT EXISTS (SELECT 1 FROM transfers t WHERE t.program_id = l.program_id"
     "                   AND t.transfer_id = l.transfer_id)"
     "    OR NOT EXISTS (SELECT 1 FROM accounts a WHERE a.program_id = l.program_id"
     "                   AND a.account_id = l.account_id)"
     " UNION ALL SELECT 'consumption of lot ' || c.lot_id || ' by ' || c.transfer_id"
     " FROM lot_consumptions c"
     " WHERE NOT EXISTS (SELECT 1 FROM transfers t WHERE t.program_id = c.program_id"
     "                   AND t.transfer_id = c.transfer_id)"
     "    OR NOT EXISTS (SELECT 1 FROM lots l WHERE l.program_id = c.program_id"
     "                   AND l.lot_id = c.lot_id)"},

    {"transfer id is applied once",
     "SELECT program_id || '/' || transfer_id || ': ' || count(*) || ' records'"
     " FROM transfers GROUP BY program_id, transfer_id HAVING count(*) > 1"},
};

#undef LOYALTY_DEBTS

constexpr InvariantCheck kEventCheck = {
    "transfer emitted exactly one PointsTransferred event",
    "SELECT t.program_id || '/' || t.transfer_id || ': ' || count(o.id) || ' events'"
    " FROM transfers t"
    " LEFT JOIN outbox o ON o.program_id = t.program_id"
    "  AND o.event_type = 'loyalty.cards.v1.PointsTransferred'"
    "  AND (o.payload::jsonb ->> 'transfer_id') = t.transfer_id"
    " GROUP BY t.program_id, t.transfer_id HAVING count(o.id) <> 1"};

}  // namespace

absl::StatusOr<std::vector<std::string>> FindLedgerInvariantViolations(
    pg::Pool& pool, const LedgerInvariantOptions& options) {
  std::vector<InvariantCheck> checks(std::begin(kChecks), std::end(kChecks));
  if (options.check_events) checks.push_back(kEventCheck);
  return FindViolations(pool, checks, options.max_per_check);
}

absl::StatusOr<std::vector<std::string>> FindLedgerInvariantViolations(
    absl::string_view conninfo, absl::string_view schema, const LedgerInvariantOptions& options) {
  pg::Pool pool(
      pg::PoolOptions{.conninfo = std::string(conninfo), .schema = std::string(schema), .size = 1});
  return FindLedgerInvariantViolations(pool, options);
}

}  // namespace loyalty::cards
