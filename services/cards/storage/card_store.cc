#include "services/cards/storage/card_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "services/cards/storage/events.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {
namespace {

Card ToCard(const sql::CardRow& row, Balance balance) {
  return Card{.number = row.number,
              .barcode = row.barcode,
              .client_id = row.client_id,
              .status = row.status,
              .account_id = row.account_id,
              .create_time = row.create_time,
              .balance = balance};
}

// The card issued for `input.request_id`, checked against the request.
absl::StatusOr<std::optional<Card>> FindByRequest(pg::Tx& tx, absl::string_view program_id,
                                                  const IssueCardInput& input, absl::Time now) {
  pqxx::result rows =
      tx.exec_params(absl::StrCat("SELECT ", sql::kCardColumns,
                                  " FROM cards WHERE program_id = $1 AND request_id = $2"),
                     std::string(program_id), input.request_id);
  if (rows.empty()) return std::optional<Card>();
  sql::CardRow row = sql::ReadCard(rows[0]);
  // Without a number the first call drew one, so any number matches.
  if (row.client_id != input.client_id || (!input.number.empty() && row.number != input.number)) {
    return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                      "already used to issue a different card");
  }
  return std::optional<Card>(ToCard(row, sql::LoadBalance(tx, program_id, row.account_id, now)));
}

}  // namespace

absl::StatusOr<std::optional<Card>> CardStore::FindIssued(absl::string_view program_id,
                                                          const IssueCardInput& input) {
  if (input.request_id.empty()) return std::optional<Card>();
  absl::Time now = clock_.Now();
  std::optional<Card> card;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(card, FindByRequest(tx, program_id, input, now));
    return absl::OkStatus();
  }));
  return card;
}

absl::StatusOr<Card> CardStore::Issue(absl::string_view program_id, const IssueCardInput& input) {
  for (int attempt = 0; attempt < kMaxNumberAttempts; ++attempt) {
    const std::string number = input.number.empty() ? numbers_.Next() : input.number;
    absl::Time now = sql::Truncate(clock_.Now());
    std::optional<Card> card;
    bool number_taken = false;
    RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
      card.reset();
      number_taken = false;
      std::string account_id = NewUuid();
      // The card row goes first: if a concurrent call with the same
      // request_id (or number) won, nothing of ours is written yet. ON
      // CONFLICT waits for that call to commit, so the row is visible below.
      pqxx::result inserted = tx.exec_params(
          "INSERT INTO cards (program_id, number, barcode, client_id, status, account_id,"
          "                   request_id, created_at)"
          " VALUES ($1, $2, $2, $3::uuid, 'ACTIVE', $4::uuid, NULLIF($5, ''),"
          "         micros_to_ts($6))"
          " ON CONFLICT DO NOTHING RETURNING 1",
          std::string(program_id), number, input.client_id, account_id, input.request_id,
          sql::Micros(now));
      if (inserted.empty()) {
        if (!input.request_id.empty()) {
          ASSIGN_OR_RETURN(card, FindByRequest(tx, program_id, input, now));
          if (card) return absl::OkStatus();
        }
        number_taken = true;
        return absl::OkStatus();
      }
      tx.exec_params(
          "INSERT INTO accounts (program_id, account_id, kind, balance, created_at)"
          " VALUES ($1, $2::uuid, 'member', 0, micros_to_ts($3))",
          std::string(program_id), account_id, sql::Micros(now));
      card = Card{.number = number,
                  .barcode = number,
                  .client_id = input.client_id,
                  .status = CardStatus::kActive,
                  .account_id = account_id,
                  .create_time = now};
      AppendCardIssued(tx, program_id, *card);
      if (extension_ != nullptr) return extension_->OnIssue(tx, program_id, input, *card);
      return absl::OkStatus();
    }));
    if (card) return *std::move(card);
    if (!input.number.empty()) {
      return FieldError(absl::StatusCode::kAlreadyExists, "number",
                        "the program already has a card with this number");
    }
    // A drawn number was taken: draw again.
  }
  return absl::InternalError(
      absl::StrCat("no free card number found in ", kMaxNumberAttempts, " draws"));
}

absl::StatusOr<Card> CardStore::Get(absl::string_view program_id, absl::string_view number) {
  if (number.empty()) return InvalidField("number", "required");
  RETURN_IF_ERROR(ValidateNoControlCharacters("number", number));
  absl::Time now = clock_.Now();
  std::optional<Card> card;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    std::optional<sql::CardRow> row = sql::FindCard(tx, program_id, number);
    if (!row) {
      return FieldError(absl::StatusCode::kNotFound, "number", "no such card");
    }
    card = ToCard(*row, sql::LoadBalance(tx, program_id, row->account_id, now));
    return absl::OkStatus();
  }));
  return *std::move(card);
}

}  // namespace loyalty::cards
