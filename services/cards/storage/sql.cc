#include "services/cards/storage/sql.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace loyalty::cards::sql {

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
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kCardColumns,
                   " FROM cards WHERE program_id = $1 AND account_id = $2::uuid"
                   " ORDER BY created_at, number LIMIT 1"),
      std::string(program_id), std::string(account_id));
  if (rows.empty()) return std::nullopt;
  return ReadCard(rows[0]);
}

std::optional<CardRow> FindCard(pqxx::transaction_base& tx, absl::string_view program_id,
                                absl::string_view number_or_barcode) {
  pqxx::result rows = tx.exec_params(
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
    " reference";

Lot ReadLot(const pqxx::row& row, int first) {
  Lot lot;
  lot.lot_id = row[first].as<int64_t>();
  lot.remaining = row[first + 1].as<int64_t>();
  lot.activate_time = TimeOf(row[first + 2]);
  lot.expire_time = OptionalTimeOf(row[first + 3]);
  lot.origin = ParseTransferKind(row[first + 4].as<std::string>()).value_or(TransferKind::kAccrual);
  lot.reference = row[first + 5].as<std::string>();
  return lot;
}

}  // namespace

std::string ArrayLiteral(const std::vector<std::string>& tokens) {
  return absl::StrCat("{", absl::StrJoin(tokens, ","), "}");
}

std::vector<Lot> LoadOpenLots(pqxx::transaction_base& tx, absl::string_view program_id,
                              absl::string_view account_id) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kLotColumns,
                   " FROM lots WHERE program_id = $1 AND account_id = $2 AND remaining > 0"),
      std::string(program_id), std::string(account_id));
  std::vector<Lot> lots;
  lots.reserve(rows.size());
  for (const auto& row : rows) lots.push_back(ReadLot(row, 0));
  return lots;
}

std::map<std::string, Balance> LoadBalances(pqxx::transaction_base& tx,
                                            absl::string_view program_id,
                                            const std::vector<std::string>& account_ids,
                                            absl::Time now) {
  std::map<std::string, Balance> balances;
  if (account_ids.empty()) return balances;
  std::map<std::string, std::vector<Lot>> lots;
  for (const auto& row : tx.exec_params(
           absl::StrCat("SELECT account_id::text, ", kLotColumns,
                        " FROM lots WHERE program_id = $1 AND account_id = ANY($2::uuid[])"
                        " AND remaining > 0"),
           std::string(program_id), ArrayLiteral(account_ids))) {
    lots[row[0].as<std::string>()].push_back(ReadLot(row, 1));
  }
  std::map<std::string, int64_t> held;
  for (const auto& row : tx.exec_params(
           "SELECT account_id::text, sum(amount)::bigint FROM holds"
           " WHERE program_id = $1 AND account_id = ANY($2::uuid[]) AND state = 'HELD'"
           "   AND expire_at > micros_to_ts($3) GROUP BY account_id",
           std::string(program_id), ArrayLiteral(account_ids), Micros(now))) {
    held[row[0].as<std::string>()] = row[1].as<int64_t>();
  }
  for (const std::string& account_id : account_ids) {
    balances[account_id] = SummarizeBalance(lots[account_id], held[account_id], now);
  }
  return balances;
}

int64_t LoadHeld(pqxx::transaction_base& tx, absl::string_view program_id,
                 absl::string_view account_id, absl::Time now) {
  return tx
      .exec_params1(
          "SELECT COALESCE(sum(amount), 0)::bigint FROM holds"
          " WHERE program_id = $1 AND account_id = $2 AND state = 'HELD'"
          "   AND expire_at > micros_to_ts($3)",
          std::string(program_id), std::string(account_id), Micros(now))[0]
      .as<int64_t>();
}

Balance LoadBalance(pqxx::transaction_base& tx, absl::string_view program_id,
                    absl::string_view account_id, absl::Time now,
                    absl::Duration expiring_window) {
  std::vector<Lot> lots = LoadOpenLots(tx, program_id, account_id);
  return SummarizeBalance(lots, LoadHeld(tx, program_id, account_id, now), now, expiring_window);
}

}  // namespace loyalty::cards::sql
