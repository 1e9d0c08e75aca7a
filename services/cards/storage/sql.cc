#include "services/cards/storage/sql.h"

#include "absl/strings/str_cat.h"
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
  return card;
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

std::vector<Lot> LoadOpenLots(pqxx::transaction_base& tx, absl::string_view program_id,
                              absl::string_view account_id) {
  pqxx::result rows = tx.exec_params(
      "SELECT lot_id, remaining, ts_to_micros(activate_at), ts_to_micros(expire_at),"
      "       origin_kind, reference"
      " FROM lots WHERE program_id = $1 AND account_id = $2 AND remaining > 0",
      std::string(program_id), std::string(account_id));
  std::vector<Lot> lots;
  lots.reserve(rows.size());
  for (const auto& row : rows) {
    Lot lot;
    lot.lot_id = row[0].as<int64_t>();
    lot.remaining = row[1].as<int64_t>();
    lot.activate_time = TimeOf(row[2]);
    lot.expire_time = OptionalTimeOf(row[3]);
    lot.origin = ParseTransferKind(row[4].as<std::string>()).value_or(TransferKind::kAccrual);
    lot.reference = row[5].as<std::string>();
    lots.push_back(std::move(lot));
  }
  return lots;
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
                    absl::string_view account_id, absl::Time now) {
  std::vector<Lot> lots = LoadOpenLots(tx, program_id, account_id);
  return SummarizeBalance(lots, LoadHeld(tx, program_id, account_id, now), now);
}

}  // namespace loyalty::cards::sql
