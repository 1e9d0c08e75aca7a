#pragma once

// Helpers shared by the cards storage code. Includes libpqxx: storage only.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/cards/domain/card.h"
#include "services/cards/domain/ledger.h"

namespace loyalty::cards::sql {

// Times travel as microseconds since the epoch (see micros_to_ts in the
// schema). Optional ones as text, "" meaning NULL, because libpqxx 6 has no
// nullable parameter type: SQL reads them as NULLIF($n, '')::bigint.
inline int64_t Micros(absl::Time time) { return absl::ToUnixMicros(time); }
inline std::string OptionalMicros(const std::optional<absl::Time>& time) {
  return time ? std::to_string(Micros(*time)) : std::string();
}
inline absl::Time TimeOf(const pqxx::field& field) {
  return absl::FromUnixMicros(field.as<int64_t>());
}
inline std::optional<absl::Time> OptionalTimeOf(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return TimeOf(field);
}
// The precision storage keeps, so that a value returned now equals the one
// read back later.
inline absl::Time Truncate(absl::Time time) {
  return absl::FromUnixMicros(absl::ToUnixMicros(time));
}

// A card as stored, without its balance and co-holders.
struct CardRow {
  std::string number;
  std::string barcode;
  std::string client_id;  // empty: unowned
  CardStatus status = CardStatus::kActive;
  std::string account_id;
  absl::Time create_time;
  std::string request_id;
  std::string status_reason;
  std::optional<absl::Time> status_change_time;
  IssueForm issue_form = IssueForm::kVirtual;
  std::string issue_store_id;
  std::string batch_id;
};

// Column list that ReadCard expects, in order, for a query over `cards`.
inline constexpr char kCardColumns[] =
    "number, barcode, COALESCE(client_id::text, ''), status, account_id::text,"
    " ts_to_micros(created_at), COALESCE(request_id, ''), status_reason,"
    " ts_to_micros(status_changed_at), issue_form, issue_store_id, COALESCE(batch_id, '')";
CardRow ReadCard(const pqxx::row& row);

// The card of a member account.
std::optional<CardRow> FindCardByAccount(pqxx::transaction_base& tx, absl::string_view program_id,
                                         absl::string_view account_id);

// The program's card with this number, or else with this barcode.
std::optional<CardRow> FindCard(pqxx::transaction_base& tx, absl::string_view program_id,
                                absl::string_view number_or_barcode);

// The program's cards by the numbers or barcodes given, keyed as given (a
// number wins over an equal barcode of another card). Keys that match
// nothing are absent.
std::map<std::string, CardRow> FindCards(pqxx::transaction_base& tx, absl::string_view program_id,
                                         const std::vector<std::string>& numbers_or_barcodes);

// Lots of the account with points left.
std::vector<Lot> LoadOpenLots(pqxx::transaction_base& tx, absl::string_view program_id,
                              absl::string_view account_id);

// Lots with points left of each account (accounts without any are absent).
std::map<std::string, std::vector<Lot>> LoadOpenLotsOf(pqxx::transaction_base& tx,
                                                       absl::string_view program_id,
                                                       const std::vector<std::string>& account_ids);

// Points reserved by HELD holds unexpired at `now`, per account (accounts
// without any are absent).
std::map<std::string, int64_t> LoadHeldOf(pqxx::transaction_base& tx, absl::string_view program_id,
                                          const std::vector<std::string>& account_ids,
                                          absl::Time now);

// The statements behind FindCards, LoadOpenLotsOf, LoadHeldOf and LoadHolds
// and the readers of their results, for a pg::PreparedBatch that sends
// several at once. The `OfCards` variants take the accounts of the cards
// with the numbers or barcodes in $2 (text[]) instead of account ids, so
// they need no earlier round trip to learn them: each takes
// ($1 program_id, $2 keys[, $3 now in micros]).
const std::string& FindCardsSql();  // ($1 program_id, $2 keys)
std::map<std::string, CardRow> ReadFoundCards(const pqxx::result& rows,
                                              const std::vector<std::string>& numbers_or_barcodes);
const std::string& OpenLotsOfCardsSql();
std::map<std::string, std::vector<Lot>> ReadOpenLots(const pqxx::result& rows);
const std::string& HeldOfCardsSql();
// Rows of (account id, amount): held points, or balances of locked accounts.
std::map<std::string, int64_t> ReadAccountAmounts(const pqxx::result& rows);
// The member accounts of the cards locked FOR NO KEY UPDATE in account id
// order, as LockMemberAccounts does; rows for ReadAccountAmounts.
const std::string& LockAccountsOfCardsSql();

// A hold as stored, with its state as of `now`.
struct HoldRow {
  Hold hold;
  HoldState stored_state = HoldState::kHeld;
  std::string account_id;
  std::string fingerprint;
};

// The holds with these ids, by id; locked FOR UPDATE in the order given
// when `for_update`.
std::map<std::string, HoldRow> LoadHolds(pqxx::transaction_base& tx, absl::string_view program_id,
                                         const std::vector<std::string>& hold_ids, bool for_update,
                                         absl::Time now);

// ($1 program_id, $2 hold ids), locked as LoadHolds says.
const std::string& HoldsSql(bool for_update);
std::map<std::string, HoldRow> ReadHolds(const pqxx::result& rows, absl::Time now);

// Points reserved by the account's holds that are HELD and unexpired at `now`.
int64_t LoadHeld(pqxx::transaction_base& tx, absl::string_view program_id,
                 absl::string_view account_id, absl::Time now);

Balance LoadBalance(pqxx::transaction_base& tx, absl::string_view program_id,
                    absl::string_view account_id, absl::Time now,
                    absl::Duration expiring_window = kDefaultExpiringWindow);

}  // namespace loyalty::cards::sql

namespace loyalty::cards::sql {

// Balances of several accounts in two queries, by account id; accounts
// without lots or holds get a zero balance.
std::map<std::string, Balance> LoadBalances(pqxx::transaction_base& tx,
                                            absl::string_view program_id,
                                            const std::vector<std::string>& account_ids,
                                            absl::Time now);

}  // namespace loyalty::cards::sql
