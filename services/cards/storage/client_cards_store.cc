#include "services/cards/storage/client_cards_store.h"

#include <algorithm>
#include <map>
#include <set>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/common/status_macros.h"
#include "libs/pg/array_literal.h"
#include "services/cards/storage/events.h"
#include "services/cards/storage/operation_rows.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {
namespace {

// Card numbers are digits, so a comma-joined array reads back safely.
std::vector<std::string> SplitNumbers(const pqxx::field& field) {
  return absl::StrSplit(field.as<std::string>(), ',', absl::SkipEmpty());
}

std::vector<std::string> Numbers(const pqxx::result& rows) {
  std::vector<std::string> numbers;
  for (const auto& row : rows) numbers.push_back(row[0].as<std::string>());
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

// CardHoldersChanged for each card of `numbers`, as it is now.
void AppendHoldersChanged(pg::Tx& tx, absl::string_view program_id,
                          const std::vector<std::string>& numbers, absl::Time now) {
  if (numbers.empty()) return;
  std::map<std::string, Card> cards;
  for (const auto& row :
       tx.exec_params("SELECT number, COALESCE(client_id::text, '') FROM cards"
                      " WHERE program_id = $1 AND number = ANY($2::text[])",
                      std::string(program_id), pg::TextArray(numbers))) {
    Card& card = cards[row[0].as<std::string>()];
    card.number = row[0].as<std::string>();
    card.client_id = row[1].as<std::string>();
  }
  for (const auto& row :
       tx.exec_params("SELECT number, client_id::text FROM card_holders"
                      " WHERE program_id = $1 AND number = ANY($2::text[])"
                      " ORDER BY number, client_id",
                      std::string(program_id), pg::TextArray(numbers))) {
    cards[row[0].as<std::string>()].holder_client_ids.push_back(row[1].as<std::string>());
  }
  for (const auto& [number, card] : cards) AppendCardHoldersChanged(tx, program_id, card, now);
}

}  // namespace

absl::StatusOr<CardReassignment> ClientCardsStore::Reassign(absl::string_view program_id,
                                                            const std::string& from_client_id,
                                                            const std::string& to_client_id,
                                                            const std::string& request_id) {
  if (from_client_id == to_client_id) {
    return InvalidField("to_client_id", "must differ from from_client_id");
  }
  const absl::Time now = sql::Truncate(clock_.Now());
  const std::string program(program_id);
  CardReassignment result;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    result = CardReassignment();
    pqxx::result previous = tx.exec_params(
        "SELECT from_client_id::text, to_client_id::text,"
        " array_to_string(owned_card_numbers, ','), array_to_string(held_card_numbers, ',')"
        " FROM client_card_reassignments WHERE program_id = $1 AND request_id = $2",
        program, request_id);
    if (!previous.empty()) {
      if (previous[0][0].as<std::string>() != from_client_id ||
          previous[0][1].as<std::string>() != to_client_id) {
        return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                          "already used to reassign the cards of other clients");
      }
      result.owned_card_numbers = SplitNumbers(previous[0][2]);
      result.held_card_numbers = SplitNumbers(previous[0][3]);
      return absl::OkStatus();
    }
    // Every card row involved is locked in number order (as other card
    // changes lock one card), so a concurrent bind or holder change either
    // finishes first or sees the new owner.
    tx.exec_params(
        "SELECT 1 FROM cards WHERE program_id = $1 AND number IN ("
        "  SELECT number FROM cards WHERE program_id = $1 AND client_id = $2::uuid"
        "  UNION SELECT number FROM card_holders WHERE program_id = $1 AND client_id = $2::uuid)"
        " ORDER BY number FOR UPDATE",
        program, from_client_id);
    result.owned_card_numbers = Numbers(tx.exec_params(
        "UPDATE cards SET client_id = $3::uuid WHERE program_id = $1 AND client_id = $2::uuid"
        " RETURNING number",
        program, from_client_id, to_client_id));
    // The new owner is the owner only, not also a co-holder.
    tx.exec_params(
        "DELETE FROM card_holders WHERE program_id = $1 AND client_id = $2::uuid"
        " AND number = ANY($3::text[])",
        program, to_client_id, pg::TextArray(result.owned_card_numbers));
    result.held_card_numbers = Numbers(tx.exec_params(
        "DELETE FROM card_holders WHERE program_id = $1 AND client_id = $2::uuid RETURNING number",
        program, from_client_id));
    // A card shared by both keeps one holder row; one the survivor owns
    // needs none.
    tx.exec_params(
        "INSERT INTO card_holders (program_id, number, client_id, added_at)"
        " SELECT $1, n, $2::uuid, micros_to_ts($4) FROM unnest($3::text[]) AS n"
        " WHERE NOT EXISTS (SELECT 1 FROM cards c"
        "   WHERE c.program_id = $1 AND c.number = n AND c.client_id = $2::uuid)"
        " ON CONFLICT DO NOTHING",
        program, to_client_id, pg::TextArray(result.held_card_numbers), sql::Micros(now));
    tx.exec_params(
        "INSERT INTO client_card_reassignments (program_id, request_id, from_client_id,"
        " to_client_id, owned_card_numbers, held_card_numbers, created_at)"
        " VALUES ($1, $2, $3::uuid, $4::uuid, $5::text[], $6::text[], micros_to_ts($7))",
        program, request_id, from_client_id, to_client_id,
        pg::TextArray(result.owned_card_numbers), pg::TextArray(result.held_card_numbers),
        sql::Micros(now));
    std::set<std::string> changed(result.owned_card_numbers.begin(),
                                  result.owned_card_numbers.end());
    changed.insert(result.held_card_numbers.begin(), result.held_card_numbers.end());
    AppendHoldersChanged(tx, program_id, {changed.begin(), changed.end()}, now);
    AppendClientCardsReassigned(tx, program_id, from_client_id, to_client_id,
                                result.owned_card_numbers, result.held_card_numbers, now);
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<ClientOperationsPage> ClientCardsStore::ListOperations(
    absl::string_view program_id, const std::string& client_id, const OperationsQuery& query) {
  ASSIGN_OR_RETURN(const int64_t before, StartOfOperationsPage(query));
  ClientOperationsPage page;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page = ClientOperationsPage();
    pqxx::result rows = tx.exec_params(
        "WITH accounts_of_client AS ("
        "  SELECT account_id FROM cards WHERE program_id = $1 AND client_id = $2::uuid"
        "  UNION SELECT c.account_id FROM card_holders h JOIN cards c"
        "    ON c.program_id = h.program_id AND c.number = h.number"
        "  WHERE h.program_id = $1 AND h.client_id = $2::uuid)"
        " SELECT p.posting_id, p.amount, t.transfer_id, t.kind, t.reference, t.reason,"
        "        t.actor, COALESCE(t.hold_id, ''), ts_to_micros(p.created_at), t.card_number"
        " FROM postings p JOIN transfers t"
        "   ON t.program_id = p.program_id AND t.transfer_id = p.transfer_id"
        " WHERE p.program_id = $1 AND p.account_id IN (SELECT account_id FROM accounts_of_client)"
        "   AND p.posting_id < $3"
        "   AND ($4 = '' OR p.created_at >= micros_to_ts(NULLIF($4, '')::bigint))"
        "   AND ($5 = '' OR p.created_at < micros_to_ts(NULLIF($5, '')::bigint))"
        " ORDER BY p.posting_id DESC LIMIT $6",
        std::string(program_id), client_id, before, sql::OptionalMicros(query.start_time),
        sql::OptionalMicros(query.end_time), query.page_size + 1);
    for (const auto& row : rows) {
      if (page.operations.size() == static_cast<size_t>(query.page_size)) {
        page.next_page_token =
            EncodePageToken(absl::StrCat(rows[query.page_size - 1][0].as<int64_t>()));
        break;
      }
      page.operations.push_back(ClientOperation{.card_number = row[9].as<std::string>(),
                                                .operation = OperationFromRow(row)});
    }
    return absl::OkStatus();
  }));
  return page;
}

}  // namespace loyalty::cards
