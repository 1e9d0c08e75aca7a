#include "services/cards/storage/ledger_writes.h"

#include <utility>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/pg/array_literal.h"
#include "libs/pg/prepared.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {
namespace {

// Columns of a multi-row statement, one array parameter each.
struct TextColumn {
  std::vector<std::string> values;
  std::string literal() const { return pg::TextArray(values); }
};
struct IntColumn {
  std::vector<int64_t> values;
  std::string literal() const { return pg::IntArray(values); }
};

// Every row a batch writes, in one statement: data-modifying CTEs, one per
// table, each reading its rows from array parameters. One round trip (and
// one prepared plan) whatever the batch holds; a table with no rows gets
// empty arrays. The CTEs share one snapshot, so none reads another's rows,
// except that consumptions of lots created in this batch get their ids
// from the lots CTE's RETURNING; foreign keys are checked at the end of the
// statement, when every row is there.
//
// The UPDATEs find their rows with one primary-key lookup per id (a
// LATERAL subquery the planner cannot flatten) and then go to each row by
// its ctid. A plain `UPDATE ... FROM unnest(...)` is planned as a join
// whose shape depends on the statistics of the program's rows: a generic
// plan made while they were missing or stale scanned every account (or
// lot) of the program for each batch. The rows are locked (accounts by
// the batch, lots through their account, holds by LoadHolds), so their
// ctids cannot move before the update; if one did, the row would be
// skipped and the counts Flush checks would catch it. The program is
// checked again beside the ctid: a ctid names a row of one table only (or
// of one partition, should the tables ever be partitioned by program).
constexpr char kWriteBatch[] =
    "WITH"
    " t AS (INSERT INTO transfers (program_id, transfer_id, kind, fingerprint, card_number,"
    "         debit_account_id, credit_account_id, requested_amount, amount, hold_id,"
    "         reference, created_at, reason, actor, partner_id, debt_change)"
    "       SELECT $1, t.id, t.kind, t.fingerprint, t.card, t.debit, t.credit, t.requested,"
    "              t.moved, NULLIF(t.hold, ''), t.reference, micros_to_ts($2), t.reason,"
    "              t.actor, t.partner, t.debt_change"
    "       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[],"
    "                   $8::uuid[], $9::bigint[], $10::bigint[], $11::text[], $12::text[],"
    "                   $13::text[], $14::text[], $15::text[], $38::bigint[])"
    "            AS t(id, kind, fingerprint, card, debit, credit, requested, moved, hold,"
    "                 reference, reason, actor, partner, debt_change)),"
    " p AS (INSERT INTO postings (program_id, transfer_id, account_id, amount, created_at)"
    "       SELECT $1, p.transfer, p.account, p.amount, micros_to_ts($2)"
    "       FROM unnest($16::text[], $17::uuid[], $18::bigint[]) WITH ORDINALITY"
    "            AS p(transfer, account, amount, n)"
    "       ORDER BY p.n),"
    " nl AS (INSERT INTO lots (program_id, account_id, transfer_id, origin_kind, reference,"
    "          amount, remaining, activate_at, expire_at, partner_id)"
    "        SELECT $1, l.account, l.transfer, l.origin, l.reference, l.amount, l.remaining,"
    "               micros_to_ts(l.activate), micros_to_ts(NULLIF(l.expire, '')::bigint),"
    "               l.partner"
    "        FROM unnest($19::uuid[], $20::text[], $21::text[], $22::text[], $23::bigint[],"
    "                    $24::bigint[], $25::bigint[], $26::text[], $27::text[]) WITH ORDINALITY"
    "             AS l(account, transfer, origin, reference, amount, remaining, activate,"
    "                  expire, partner, n)"
    "        ORDER BY l.n"
    "        RETURNING transfer_id, lot_id),"
    " lu AS (UPDATE lots l SET remaining = l.remaining - u.taken"
    "        FROM (SELECT x.row_id, k.taken FROM unnest($28::bigint[], $29::bigint[])"
    "                AS k(lot_id, taken) CROSS JOIN LATERAL"
    "                (SELECT ctid AS row_id FROM lots"
    "                 WHERE lot_id = k.lot_id AND program_id = $1 OFFSET 0) AS x) AS u"
    "        WHERE l.ctid = u.row_id AND l.program_id = $1 AND l.remaining >= u.taken"
    "        RETURNING 1),"
    " c AS (INSERT INTO lot_consumptions (program_id, lot_id, transfer_id, amount)"
    // A new lot whose id the join misses leaves lot_id NULL, which the
    // column refuses (there is no foreign key to catch a wrong id).
    "       SELECT $1, CASE WHEN c.new_lot_transfer = '' THEN c.lot_id ELSE nl.lot_id END,"
    "              c.transfer_id, c.amount"
    "       FROM unnest($30::bigint[], $31::text[], $32::text[], $33::bigint[])"
    "            AS c(lot_id, new_lot_transfer, transfer_id, amount)"
    "       LEFT JOIN nl ON c.new_lot_transfer <> '' AND nl.transfer_id = c.new_lot_transfer),"
    " h AS (UPDATE holds h SET state = 'POSTED', posted_transfer_id = u.transfer_id,"
    "                          resolved_at = micros_to_ts($2)"
    "       FROM (SELECT x.row_id, k.transfer_id FROM unnest($34::text[], $35::text[])"
    "               AS k(hold_id, transfer_id) CROSS JOIN LATERAL"
    "               (SELECT ctid AS row_id FROM holds"
    "                WHERE program_id = $1 AND hold_id = k.hold_id OFFSET 0) AS x) AS u"
    "       WHERE h.ctid = u.row_id AND h.program_id = $1"
    "       RETURNING 1),"
    " b AS (UPDATE accounts a SET balance = a.balance + u.delta"
    "       FROM (SELECT x.row_id, k.delta FROM unnest($36::uuid[], $37::bigint[])"
    "               AS k(account_id, delta) CROSS JOIN LATERAL"
    "               (SELECT ctid AS row_id FROM accounts"
    "                WHERE program_id = $1 AND account_id = k.account_id AND kind = 'member'"
    "                OFFSET 0) AS x) AS u"
    "       WHERE a.ctid = u.row_id AND a.program_id = $1"
    "       RETURNING 1)"
    " SELECT (SELECT count(*) FROM lu), (SELECT count(*) FROM h), (SELECT count(*) FROM b)";

}  // namespace

void LedgerWrites::AddTransfer(TransferRecord transfer) {
  transfers_.push_back(std::move(transfer));
}

void LedgerWrites::AddBalanceDelta(const std::string& account_id, int64_t delta) {
  balance_deltas_.emplace_back(account_id, delta);
}

int64_t LedgerWrites::AddLot(NewLot lot) {
  lots_.push_back(std::move(lot));
  return -static_cast<int64_t>(lots_.size());
}

void LedgerWrites::Consume(int64_t lot_id, const std::string& transfer_id, int64_t amount) {
  consumptions_.push_back(Consumption{lot_id, transfer_id, amount});
}

void LedgerWrites::PostHold(const std::string& hold_id, const std::string& transfer_id) {
  hold_posts_.emplace_back(hold_id, transfer_id);
}

void LedgerWrites::AddEvent(AppliedTransfer event) { events_.push_back(std::move(event)); }

LedgerWrites::Mark LedgerWrites::mark() const {
  return Mark{.transfers = transfers_.size(),
              .balance_deltas = balance_deltas_.size(),
              .lots = lots_.size(),
              .consumptions = consumptions_.size(),
              .hold_posts = hold_posts_.size(),
              .events = events_.size()};
}

void LedgerWrites::RollBack(const Mark& mark) {
  transfers_.resize(mark.transfers);
  balance_deltas_.resize(mark.balance_deltas);
  lots_.resize(mark.lots);
  consumptions_.resize(mark.consumptions);
  hold_posts_.resize(mark.hold_posts);
  events_.resize(mark.events);
}

absl::Status LedgerWrites::Flush(pg::Tx& tx, absl::string_view program_id_view,
                                 absl::Time now) const {
  if (transfers_.empty()) return absl::OkStatus();
  const std::string program_id(program_id_view);

  TextColumn ids, kinds, fingerprints, cards, debits, credits, holds, references, reasons, actors,
      partners;
  IntColumn requested, moved, debt_changes;
  TextColumn posting_transfers, posting_accounts;
  IntColumn posting_amounts;
  for (const TransferRecord& t : transfers_) {
    ids.values.push_back(t.transfer_id);
    kinds.values.emplace_back(TransferKindName(t.kind));
    fingerprints.values.push_back(t.fingerprint);
    cards.values.push_back(t.card_number);
    debits.values.push_back(t.debit_account_id);
    credits.values.push_back(t.credit_account_id);
    requested.values.push_back(t.requested);
    moved.values.push_back(t.moved);
    holds.values.push_back(t.hold_id);
    references.values.push_back(t.reference);
    reasons.values.push_back(t.reason);
    actors.values.push_back(t.actor);
    partners.values.push_back(t.partner_id);
    debt_changes.values.push_back(t.debt_change);
    if (t.moved == 0) continue;  // postings are never zero
    posting_transfers.values.insert(posting_transfers.values.end(), {t.transfer_id, t.transfer_id});
    posting_accounts.values.insert(posting_accounts.values.end(),
                                   {t.debit_account_id, t.credit_account_id});
    posting_amounts.values.insert(posting_amounts.values.end(), {-t.moved, t.moved});
  }

  // What the batch takes from each lot: new lots are inserted with the
  // rest, stored ones updated by the total.
  std::map<int64_t, int64_t> taken;
  for (const Consumption& c : consumptions_) taken[c.lot_id] += c.amount;
  TextColumn lot_accounts, lot_transfers, lot_origins, lot_references, lot_expires, lot_partners;
  IntColumn lot_amounts, lot_remaining, lot_activates;
  for (size_t i = 0; i < lots_.size(); ++i) {
    const NewLot& lot = lots_[i];
    const auto it = taken.find(-static_cast<int64_t>(i + 1));
    lot_accounts.values.push_back(lot.account_id);
    lot_transfers.values.push_back(lot.transfer_id);
    lot_origins.values.emplace_back(TransferKindName(lot.origin));
    lot_references.values.push_back(lot.reference);
    lot_amounts.values.push_back(lot.amount);
    lot_remaining.values.push_back(lot.amount - (it == taken.end() ? 0 : it->second));
    lot_activates.values.push_back(sql::Micros(lot.activate_time));
    lot_expires.values.push_back(sql::OptionalMicros(lot.expire_time));
    lot_partners.values.push_back(lot.partner_id);
  }
  IntColumn stored_lots, stored_taken;
  for (const auto& [lot_id, amount] : taken) {
    if (lot_id < 0) continue;
    stored_lots.values.push_back(lot_id);
    stored_taken.values.push_back(amount);
  }
  // A consumption names a stored lot by id, a new one by its transfer
  // (lots are unique per transfer).
  IntColumn consumed_lots, consumed_amounts;
  TextColumn consumed_new_lots, consuming_transfers;
  for (const Consumption& c : consumptions_) {
    const bool is_new = c.lot_id < 0;
    consumed_lots.values.push_back(is_new ? 0 : c.lot_id);
    consumed_new_lots.values.push_back(
        is_new ? lots_.at(static_cast<size_t>(-c.lot_id - 1)).transfer_id : std::string());
    consuming_transfers.values.push_back(c.transfer_id);
    consumed_amounts.values.push_back(c.amount);
  }
  TextColumn hold_ids, hold_transfers;
  for (const auto& [hold_id, transfer_id] : hold_posts_) {
    hold_ids.values.push_back(hold_id);
    hold_transfers.values.push_back(transfer_id);
  }
  std::map<std::string, int64_t> deltas;
  for (const auto& [account_id, delta] : balance_deltas_) deltas[account_id] += delta;
  TextColumn delta_accounts;
  IntColumn account_deltas;
  for (const auto& [account_id, delta] : deltas) {
    if (delta == 0) continue;
    delta_accounts.values.push_back(account_id);
    account_deltas.values.push_back(delta);
  }

  const pqxx::result counts = pg::ExecPrepared(
      tx, kWriteBatch, program_id, sql::Micros(now), ids.literal(), kinds.literal(),
      fingerprints.literal(), cards.literal(), debits.literal(), credits.literal(),
      requested.literal(), moved.literal(), holds.literal(), references.literal(),
      reasons.literal(), actors.literal(), partners.literal(), posting_transfers.literal(),
      posting_accounts.literal(), posting_amounts.literal(), lot_accounts.literal(),
      lot_transfers.literal(), lot_origins.literal(), lot_references.literal(),
      lot_amounts.literal(), lot_remaining.literal(), lot_activates.literal(),
      lot_expires.literal(), lot_partners.literal(), stored_lots.literal(), stored_taken.literal(),
      consumed_lots.literal(), consumed_new_lots.literal(), consuming_transfers.literal(),
      consumed_amounts.literal(), hold_ids.literal(), hold_transfers.literal(),
      delta_accounts.literal(), account_deltas.literal(), debt_changes.literal());
  // The account locks should make both impossible: broken invariants.
  if (counts[0][0].as<int64_t>() != static_cast<int64_t>(stored_lots.values.size())) {
    return absl::InternalError("a lot changed under its account's lock");
  }
  if (counts[0][1].as<int64_t>() != static_cast<int64_t>(hold_ids.values.size())) {
    return absl::InternalError("a hold to post changed under its lock");
  }
  if (counts[0][2].as<int64_t>() != static_cast<int64_t>(delta_accounts.values.size())) {
    return absl::InternalError("a member account to update is missing");
  }

  AppendPointsTransferred(tx, program_id, events_);
  return absl::OkStatus();
}

std::map<std::string, int64_t> LockMemberAccounts(pg::Tx& tx, absl::string_view program_id,
                                                  const std::set<std::string>& account_ids) {
  if (account_ids.empty()) return {};
  const std::vector<std::string> ids(account_ids.begin(), account_ids.end());
  // One primary-key lookup per id, locked in the order of the (sorted)
  // array; a plain `= ANY` lets the planner scan a whole program's
  // accounts when its statistics are stale.
  return sql::ReadAccountAmounts(
      pg::ExecPrepared(tx,
                       "SELECT a.* FROM unnest($2::uuid[]) WITH ORDINALITY AS k(id, n)"
                       " CROSS JOIN LATERAL"
                       " (SELECT account_id::text, balance FROM accounts"
                       "  WHERE program_id = $1 AND account_id = k.id AND kind = 'member'"
                       "  FOR NO KEY UPDATE) AS a"
                       " ORDER BY k.n",
                       std::string(program_id), pg::TextArray(ids)));
}

}  // namespace loyalty::cards
