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

void InsertTransfers(pg::Tx& tx, const std::string& program_id,
                     const std::vector<TransferRecord>& transfers, int64_t now_micros) {
  TextColumn ids, kinds, fingerprints, cards, debits, credits, holds, references, reasons, actors,
      partners;
  IntColumn requested, moved;
  for (const TransferRecord& t : transfers) {
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
  }
  pg::ExecPrepared(
      tx,
      "INSERT INTO transfers (program_id, transfer_id, kind, fingerprint, card_number,"
      "                       debit_account_id, credit_account_id, requested_amount, amount,"
      "                       hold_id, reference, created_at, reason, actor, partner_id)"
      " SELECT $1, t.id, t.kind, t.fingerprint, t.card, t.debit, t.credit, t.requested,"
      "        t.moved, NULLIF(t.hold, ''), t.reference, micros_to_ts($2), t.reason, t.actor,"
      "        t.partner"
      " FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::uuid[],"
      "             $9::bigint[], $10::bigint[], $11::text[], $12::text[], $13::text[],"
      "             $14::text[], $15::text[])"
      "      AS t(id, kind, fingerprint, card, debit, credit, requested, moved, hold,"
      "           reference, reason, actor, partner)",
      program_id, now_micros, ids.literal(), kinds.literal(), fingerprints.literal(),
      cards.literal(), debits.literal(), credits.literal(), requested.literal(), moved.literal(),
      holds.literal(), references.literal(), reasons.literal(), actors.literal(),
      partners.literal());

  TextColumn posting_transfers, posting_accounts;
  IntColumn posting_amounts;
  for (const TransferRecord& t : transfers) {
    if (t.moved == 0) continue;  // postings are never zero
    posting_transfers.values.insert(posting_transfers.values.end(), {t.transfer_id, t.transfer_id});
    posting_accounts.values.insert(posting_accounts.values.end(),
                                   {t.debit_account_id, t.credit_account_id});
    posting_amounts.values.insert(posting_amounts.values.end(), {-t.moved, t.moved});
  }
  if (posting_amounts.values.empty()) return;
  pg::ExecPrepared(tx,
                   "INSERT INTO postings (program_id, transfer_id, account_id, amount, created_at)"
                   " SELECT $1, p.transfer, p.account, p.amount, micros_to_ts($2)"
                   " FROM unnest($3::text[], $4::uuid[], $5::bigint[]) WITH ORDINALITY"
                   "      AS p(transfer, account, amount, n)"
                   " ORDER BY p.n",
                   program_id, now_micros, posting_transfers.literal(), posting_accounts.literal(),
                   posting_amounts.literal());
}

// Inserts the new lots with what this batch left of them; their ids by
// transfer id.
std::map<std::string, int64_t> InsertLots(pg::Tx& tx, const std::string& program_id,
                                          const std::vector<NewLot>& lots,
                                          const std::map<int64_t, int64_t>& taken) {
  std::map<std::string, int64_t> ids;
  if (lots.empty()) return ids;
  TextColumn accounts, transfers, origins, references, expires, partners;
  IntColumn amounts, remaining, activates;
  for (size_t i = 0; i < lots.size(); ++i) {
    const NewLot& lot = lots[i];
    const auto it = taken.find(-static_cast<int64_t>(i + 1));
    accounts.values.push_back(lot.account_id);
    transfers.values.push_back(lot.transfer_id);
    origins.values.emplace_back(TransferKindName(lot.origin));
    references.values.push_back(lot.reference);
    amounts.values.push_back(lot.amount);
    remaining.values.push_back(lot.amount - (it == taken.end() ? 0 : it->second));
    activates.values.push_back(sql::Micros(lot.activate_time));
    expires.values.push_back(sql::OptionalMicros(lot.expire_time));
    partners.values.push_back(lot.partner_id);
  }
  for (const auto& row : pg::ExecPrepared(
           tx,
           "INSERT INTO lots (program_id, account_id, transfer_id, origin_kind, reference,"
           "                  amount, remaining, activate_at, expire_at, partner_id)"
           " SELECT $1, l.account, l.transfer, l.origin, l.reference, l.amount, l.remaining,"
           "        micros_to_ts(l.activate), micros_to_ts(NULLIF(l.expire, '')::bigint),"
           "        l.partner"
           " FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[],"
           "             $7::bigint[], $8::bigint[], $9::text[], $10::text[]) WITH ORDINALITY"
           "      AS l(account, transfer, origin, reference, amount, remaining, activate,"
           "           expire, partner, n)"
           " ORDER BY l.n"
           " RETURNING transfer_id, lot_id",
           program_id, accounts.literal(), transfers.literal(), origins.literal(),
           references.literal(), amounts.literal(), remaining.literal(), activates.literal(),
           expires.literal(), partners.literal())) {
    ids[row[0].as<std::string>()] = row[1].as<int64_t>();
  }
  return ids;
}

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
  const int64_t now_micros = sql::Micros(now);
  InsertTransfers(tx, program_id, transfers_, now_micros);

  // What the batch takes from each lot: provisional (new) lots are inserted
  // with the rest, stored ones updated by the total.
  std::map<int64_t, int64_t> taken;
  for (const Consumption& c : consumptions_) taken[c.lot_id] += c.amount;
  const std::map<std::string, int64_t> new_lot_ids = InsertLots(tx, program_id, lots_, taken);

  IntColumn stored_lots, stored_taken;
  for (const auto& [lot_id, amount] : taken) {
    if (lot_id < 0) continue;
    stored_lots.values.push_back(lot_id);
    stored_taken.values.push_back(amount);
  }
  if (!stored_lots.values.empty()) {
    const pqxx::result updated = pg::ExecPrepared(
        tx,
        "UPDATE lots l SET remaining = l.remaining - u.taken"
        " FROM unnest($2::bigint[], $3::bigint[]) AS u(lot_id, taken)"
        " WHERE l.program_id = $1 AND l.lot_id = u.lot_id AND l.remaining >= u.taken",
        program_id, stored_lots.literal(), stored_taken.literal());
    if (updated.affected_rows() != stored_lots.values.size()) {
      // The account lock should make this impossible: a broken invariant.
      return absl::InternalError("a lot changed under its account's lock");
    }
  }

  if (!consumptions_.empty()) {
    IntColumn lot_ids, amounts;
    TextColumn transfer_ids;
    for (const Consumption& c : consumptions_) {
      int64_t lot_id = c.lot_id;
      if (lot_id < 0) {
        lot_id = new_lot_ids.at(lots_.at(static_cast<size_t>(-lot_id - 1)).transfer_id);
      }
      lot_ids.values.push_back(lot_id);
      transfer_ids.values.push_back(c.transfer_id);
      amounts.values.push_back(c.amount);
    }
    pg::ExecPrepared(tx,
                     "INSERT INTO lot_consumptions (program_id, lot_id, transfer_id, amount)"
                     " SELECT $1, c.lot_id, c.transfer_id, c.amount"
                     " FROM unnest($2::bigint[], $3::text[], $4::bigint[])"
                     "      AS c(lot_id, transfer_id, amount)",
                     program_id, lot_ids.literal(), transfer_ids.literal(), amounts.literal());
  }

  if (!hold_posts_.empty()) {
    TextColumn hold_ids, transfer_ids;
    for (const auto& [hold_id, transfer_id] : hold_posts_) {
      hold_ids.values.push_back(hold_id);
      transfer_ids.values.push_back(transfer_id);
    }
    pg::ExecPrepared(tx,
                     "UPDATE holds h SET state = 'POSTED', posted_transfer_id = u.transfer_id,"
                     "                   resolved_at = micros_to_ts($2)"
                     " FROM unnest($3::text[], $4::text[]) AS u(hold_id, transfer_id)"
                     " WHERE h.program_id = $1 AND h.hold_id = u.hold_id",
                     program_id, now_micros, hold_ids.literal(), transfer_ids.literal());
  }

  std::map<std::string, int64_t> deltas;
  for (const auto& [account_id, delta] : balance_deltas_) deltas[account_id] += delta;
  TextColumn accounts;
  IntColumn account_deltas;
  for (const auto& [account_id, delta] : deltas) {
    if (delta == 0) continue;
    accounts.values.push_back(account_id);
    account_deltas.values.push_back(delta);
  }
  if (!accounts.values.empty()) {
    const pqxx::result updated = pg::ExecPrepared(
        tx,
        "UPDATE accounts a SET balance = a.balance + u.delta"
        " FROM unnest($2::uuid[], $3::bigint[]) AS u(account_id, delta)"
        " WHERE a.program_id = $1 AND a.account_id = u.account_id AND a.kind = 'member'",
        program_id, accounts.literal(), account_deltas.literal());
    if (updated.affected_rows() != accounts.values.size()) {
      return absl::InternalError("a member account to update is missing");
    }
  }

  AppendPointsTransferred(tx, program_id, events_);
  return absl::OkStatus();
}

std::map<std::string, int64_t> LockMemberAccounts(pg::Tx& tx, absl::string_view program_id,
                                                  const std::set<std::string>& account_ids) {
  std::map<std::string, int64_t> balances;
  if (account_ids.empty()) return balances;
  const std::vector<std::string> ids(account_ids.begin(), account_ids.end());
  // One primary-key lookup per id, locked in the order of the (sorted)
  // array; a plain `= ANY` lets the planner scan a whole program's
  // accounts when its statistics are stale.
  for (const auto& row :
       pg::ExecPrepared(tx,
                        "SELECT a.* FROM unnest($2::uuid[]) WITH ORDINALITY AS k(id, n)"
                        " CROSS JOIN LATERAL"
                        " (SELECT account_id::text, balance FROM accounts"
                        "  WHERE program_id = $1 AND account_id = k.id AND kind = 'member'"
                        "  FOR NO KEY UPDATE) AS a"
                        " ORDER BY k.n",
                        std::string(program_id), pg::TextArray(ids))) {
    balances[row[0].as<std::string>()] = row[1].as<int64_t>();
  }
  return balances;
}

}  // namespace loyalty::cards
