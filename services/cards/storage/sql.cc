#include "services/cards/storage/sql.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/pg/array_literal.h"
#include "libs/pg/prepared.h"

namespace loyalty::cards::sql {

using pg::ExecPrepared;

CardRow ReadCard(const pqxx::row& row) {
  CardRow card;
  card.number = row[0].as<std::string>();
  card.barcode = row[1].as<std::string>();
  card.client_id = row[2].as<std::string>();
  // The column's CHECK admits only known names.
  card.status = ParseCardStatus(row[3].as<std::string>()).value_or(CardStatus::kActive);
  card.account_id = row[4].as<std::string>();
  card.create_time = TimeOf(row[5]);
  card.request_id = row[6].as<std::string>();
  card.status_reason = row[7].as<std::string>();
  card.status_change_time = OptionalTimeOf(row[8]);
  card.issue_form = ParseIssueForm(row[9].as<std::string>()).value_or(IssueForm::kVirtual);
  card.issue_store_id = row[10].as<std::string>();
  card.batch_id = row[11].as<std::string>();
  return card;
}

std::optional<CardRow> FindCardByAccount(pqxx::transaction_base& tx, absl::string_view program_id,
                                         absl::string_view account_id) {
  pqxx::result rows =
      tx.exec_params(absl::StrCat("SELECT ", kCardColumns,
                                  " FROM cards WHERE program_id = $1 AND account_id = $2::uuid"
                                  " ORDER BY created_at, number LIMIT 1"),
                     std::string(program_id), std::string(account_id));
  if (rows.empty()) return std::nullopt;
  return ReadCard(rows[0]);
}

std::optional<CardRow> FindCard(pqxx::transaction_base& tx, absl::string_view program_id,
                                absl::string_view number_or_barcode) {
  pqxx::result rows = ExecPrepared(
      tx,
      absl::StrCat("SELECT ", kCardColumns,
                   " FROM cards WHERE program_id = $1 AND (number = $2 OR barcode = $2)"
                   " ORDER BY (number = $2) DESC LIMIT 1"),
      std::string(program_id), std::string(number_or_barcode));
  if (rows.empty()) return std::nullopt;
  return ReadCard(rows[0]);
}

namespace {

// Columns ReadLot expects, after any the caller puts first.
constexpr char kLotColumns[] =
    "lot_id, remaining, ts_to_micros(activate_at), ts_to_micros(expire_at), origin_kind,"
    " reference, partner_id";

Lot ReadLot(const pqxx::row& row, int first) {
  Lot lot;
  lot.lot_id = row[first].as<int64_t>();
  lot.remaining = row[first + 1].as<int64_t>();
  lot.activate_time = TimeOf(row[first + 2]);
  lot.expire_time = OptionalTimeOf(row[first + 3]);
  lot.origin = ParseTransferKind(row[first + 4].as<std::string>()).value_or(TransferKind::kAccrual);
  lot.reference = row[first + 5].as<std::string>();
  lot.partner_id = row[first + 6].as<std::string>();
  return lot;
}

}  // namespace

std::vector<Lot> LoadOpenLots(pqxx::transaction_base& tx, absl::string_view program_id,
                              absl::string_view account_id) {
  auto lots = LoadOpenLotsOf(tx, program_id, {std::string(account_id)});
  return lots.empty() ? std::vector<Lot>() : std::move(lots.begin()->second);
}

// Bulk lookups join unnest($2) with a LATERAL subquery that the planner
// cannot flatten (OFFSET 0, FOR UPDATE, an aggregate or UNION fence it), so
// every key is one index lookup whatever the statistics say. With a plain
// `= ANY($2)` or a flattenable join the cached generic plan scanned all of a
// program's rows when statistics were stale (after a bulk load): 2-5 ms per
// statement instead of 0.1.
namespace {

// The accounts a lookup is about, as a FROM item `ids(account_id)`: given
// ($2, uuid[]) or those of the cards with these numbers or barcodes ($2,
// text[]; a card per number and another per equal barcode, as FindCards
// reads them).
constexpr char kGivenAccounts[] = "unnest($2::uuid[]) AS ids(account_id)";
constexpr char kAccountsOfCards[] =
    "(SELECT DISTINCT c.account_id FROM unnest($2::text[]) AS k(key) CROSS JOIN LATERAL"
    "  (SELECT account_id FROM cards WHERE program_id = $1 AND number = k.key"
    "   UNION ALL SELECT account_id FROM cards WHERE program_id = $1 AND barcode = k.key) AS c"
    ") AS ids";

std::string OpenLotsSql(absl::string_view accounts) {
  return absl::StrCat("SELECT l.* FROM ", accounts,
                      " CROSS JOIN LATERAL (SELECT account_id::text, ", kLotColumns,
                      "  FROM lots WHERE program_id = $1 AND account_id = ids.account_id"
                      "    AND remaining > 0 OFFSET 0) AS l");
}

std::string HeldSql(absl::string_view accounts) {
  return absl::StrCat("SELECT ids.account_id::text, h.held FROM ", accounts,
                      " CROSS JOIN LATERAL"
                      " (SELECT sum(amount)::bigint AS held FROM holds"
                      "  WHERE program_id = $1 AND account_id = ids.account_id AND state = 'HELD'"
                      "    AND expire_at > micros_to_ts($3)) AS h"
                      " WHERE h.held IS NOT NULL");
}

}  // namespace

const std::string& OpenLotsOfCardsSql() {
  static const std::string sql = OpenLotsSql(kAccountsOfCards);
  return sql;
}

const std::string& HeldOfCardsSql() {
  static const std::string sql = HeldSql(kAccountsOfCards);
  return sql;
}

const std::string& LockAccountsOfCardsSql() {
  // Sorted before the LATERAL, whose nested loop locks in that order.
  static const std::string sql = absl::StrCat(
      "SELECT a.* FROM (SELECT account_id FROM ", kAccountsOfCards,
      " ORDER BY account_id) AS sorted CROSS JOIN LATERAL"
      " (SELECT account_id::text, balance FROM accounts"
      "  WHERE program_id = $1 AND account_id = sorted.account_id AND kind = 'member'"
      "  FOR NO KEY UPDATE) AS a");
  return sql;
}

std::map<std::string, std::vector<Lot>> ReadOpenLots(const pqxx::result& rows) {
  std::map<std::string, std::vector<Lot>> lots;
  for (const auto& row : rows) lots[row[0].as<std::string>()].push_back(ReadLot(row, 1));
  return lots;
}

std::map<std::string, int64_t> ReadAccountAmounts(const pqxx::result& rows) {
  std::map<std::string, int64_t> amounts;
  for (const auto& row : rows) amounts[row[0].as<std::string>()] = row[1].as<int64_t>();
  return amounts;
}

std::map<std::string, std::vector<Lot>> LoadOpenLotsOf(
    pqxx::transaction_base& tx, absl::string_view program_id,
    const std::vector<std::string>& account_ids) {
  if (account_ids.empty()) return {};
  static const std::string sql = OpenLotsSql(kGivenAccounts);
  return ReadOpenLots(ExecPrepared(tx, sql, std::string(program_id), pg::TextArray(account_ids)));
}

std::map<std::string, int64_t> LoadHeldOf(pqxx::transaction_base& tx, absl::string_view program_id,
                                          const std::vector<std::string>& account_ids,
                                          absl::Time now) {
  if (account_ids.empty()) return {};
  static const std::string sql = HeldSql(kGivenAccounts);
  return ReadAccountAmounts(
      ExecPrepared(tx, sql, std::string(program_id), pg::TextArray(account_ids), Micros(now)));
}

namespace {

// Stored balances of member accounts, by id (for their debt, DebtOf).
std::map<std::string, int64_t> LoadStoredBalancesOf(pqxx::transaction_base& tx,
                                                    absl::string_view program_id,
                                                    const std::vector<std::string>& account_ids) {
  static const std::string sql =
      absl::StrCat("SELECT a.* FROM ", kGivenAccounts,
                   " CROSS JOIN LATERAL (SELECT account_id::text, balance FROM accounts"
                   "  WHERE program_id = $1 AND account_id = ids.account_id AND kind = 'member'"
                   "  OFFSET 0) AS a");
  return ReadAccountAmounts(
      ExecPrepared(tx, sql, std::string(program_id), pg::TextArray(account_ids)));
}

}  // namespace

std::map<std::string, Balance> LoadBalances(pqxx::transaction_base& tx,
                                            absl::string_view program_id,
                                            const std::vector<std::string>& account_ids,
                                            absl::Time now) {
  std::map<std::string, Balance> balances;
  if (account_ids.empty()) return balances;
  std::map<std::string, std::vector<Lot>> lots = LoadOpenLotsOf(tx, program_id, account_ids);
  std::map<std::string, int64_t> held = LoadHeldOf(tx, program_id, account_ids, now);
  std::map<std::string, int64_t> stored = LoadStoredBalancesOf(tx, program_id, account_ids);
  for (const std::string& account_id : account_ids) {
    const std::vector<Lot>& account_lots = lots[account_id];
    balances[account_id] =
        SummarizeBalance(account_lots, held[account_id], now, kDefaultExpiringWindow,
                         DebtOf(account_lots, stored[account_id]));
  }
  return balances;
}

const std::string& HoldsSql(bool for_update) {
  auto sql = [](absl::string_view fence) {
    return absl::StrCat(
        "SELECT h.* FROM unnest($2::text[]) WITH ORDINALITY AS k(id, n) CROSS JOIN LATERAL"
        " (SELECT hold_id, card_number, amount, state, ts_to_micros(expire_at),"
        "         account_id::text, fingerprint"
        "  FROM holds WHERE program_id = $1 AND hold_id = k.id",
        fence, ") AS h ORDER BY k.n");
  };
  static const std::string locked = sql(" FOR UPDATE");
  static const std::string read = sql(" OFFSET 0");
  return for_update ? locked : read;
}

std::map<std::string, HoldRow> ReadHolds(const pqxx::result& rows, absl::Time now) {
  std::map<std::string, HoldRow> holds;
  for (const auto& row : rows) {
    HoldRow out;
    out.hold.hold_id = row[0].as<std::string>();
    out.hold.card_number = row[1].as<std::string>();
    out.hold.amount = row[2].as<int64_t>();
    // The column's CHECK admits only known names.
    out.stored_state = ParseHoldState(row[3].as<std::string>()).value_or(HoldState::kHeld);
    out.hold.expire_time = TimeOf(row[4]);
    out.hold.state = EffectiveHoldState(out.stored_state, out.hold.expire_time, now);
    out.account_id = row[5].as<std::string>();
    out.fingerprint = row[6].as<std::string>();
    holds.emplace(out.hold.hold_id, std::move(out));
  }
  return holds;
}

std::map<std::string, HoldRow> LoadHolds(pqxx::transaction_base& tx, absl::string_view program_id,
                                         const std::vector<std::string>& hold_ids, bool for_update,
                                         absl::Time now) {
  if (hold_ids.empty()) return {};
  return ReadHolds(
      ExecPrepared(tx, HoldsSql(for_update), std::string(program_id), pg::TextArray(hold_ids)),
      now);
}

const std::string& FindCardsSql() {
  static const std::string sql =
      absl::StrCat("SELECT c.* FROM unnest($2::text[]) AS k(key) CROSS JOIN LATERAL (SELECT ",
                   kCardColumns,
                   "  FROM cards WHERE program_id = $1 AND number = k.key UNION ALL SELECT ",
                   kCardColumns, "  FROM cards WHERE program_id = $1 AND barcode = k.key) AS c");
  return sql;
}

std::map<std::string, CardRow> ReadFoundCards(const pqxx::result& rows,
                                              const std::vector<std::string>& numbers_or_barcodes) {
  const std::set<std::string> keys(numbers_or_barcodes.begin(), numbers_or_barcodes.end());
  std::map<std::string, CardRow> cards;
  std::map<std::string, CardRow> by_barcode;
  for (const auto& row : rows) {
    CardRow card = ReadCard(row);
    if (keys.contains(card.barcode)) by_barcode.emplace(card.barcode, card);
    if (keys.contains(card.number)) cards.insert_or_assign(card.number, std::move(card));
  }
  // A number wins over another card's equal barcode, as in FindCard.
  for (auto& [barcode, card] : by_barcode) cards.emplace(barcode, std::move(card));
  return cards;
}

std::map<std::string, CardRow> FindCards(pqxx::transaction_base& tx, absl::string_view program_id,
                                         const std::vector<std::string>& numbers_or_barcodes) {
  if (numbers_or_barcodes.empty()) return {};
  return ReadFoundCards(ExecPrepared(tx, FindCardsSql(), std::string(program_id),
                                     pg::TextArray(numbers_or_barcodes)),
                        numbers_or_barcodes);
}

int64_t LoadHeld(pqxx::transaction_base& tx, absl::string_view program_id,
                 absl::string_view account_id, absl::Time now) {
  auto held = LoadHeldOf(tx, program_id, {std::string(account_id)}, now);
  return held.empty() ? 0 : held.begin()->second;
}

Balance LoadBalance(pqxx::transaction_base& tx, absl::string_view program_id,
                    absl::string_view account_id, absl::Time now, absl::Duration expiring_window) {
  std::vector<Lot> lots = LoadOpenLots(tx, program_id, account_id);
  const std::map<std::string, int64_t> stored =
      LoadStoredBalancesOf(tx, program_id, {std::string(account_id)});
  const int64_t debt = stored.empty() ? 0 : DebtOf(lots, stored.begin()->second);
  return SummarizeBalance(lots, LoadHeld(tx, program_id, account_id, now), now, expiring_window,
                          debt);
}

}  // namespace loyalty::cards::sql
