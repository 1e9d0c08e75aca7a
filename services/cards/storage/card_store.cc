#include "services/cards/storage/card_store.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/pg/array_literal.h"
#include "services/cards/storage/events.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {
namespace {

Card ToCard(const sql::CardRow& row, Balance balance,
            std::vector<std::string> holder_client_ids = {}) {
  return Card{.number = row.number,
              .barcode = row.barcode,
              .client_id = row.client_id,
              .status = row.status,
              .account_id = row.account_id,
              .create_time = row.create_time,
              .balance = balance,
              .status_reason = row.status_reason,
              .status_change_time = row.status_change_time,
              .holder_client_ids = std::move(holder_client_ids),
              .issue_form = row.issue_form,
              .issue_store_id = row.issue_store_id,
              .batch_id = row.batch_id};
}

// Co-holders of the given cards, by card number, in client id order.
std::map<std::string, std::vector<std::string>> LoadHolders(
    pqxx::transaction_base& tx, absl::string_view program_id,
    const std::vector<std::string>& numbers) {
  std::map<std::string, std::vector<std::string>> holders;
  if (numbers.empty()) return holders;
  for (const auto& row : tx.exec_params(
           "SELECT number, client_id::text FROM card_holders"
           " WHERE program_id = $1 AND number = ANY($2::text[]) ORDER BY number, client_id",
           std::string(program_id), pg::TextArray(numbers))) {
    holders[row[0].as<std::string>()].push_back(row[1].as<std::string>());
  }
  return holders;
}

// The full card: balance and co-holders.
Card LoadCard(pqxx::transaction_base& tx, absl::string_view program_id, const sql::CardRow& row,
              absl::Time now) {
  auto holders = LoadHolders(tx, program_id, {row.number});
  return ToCard(row, sql::LoadBalance(tx, program_id, row.account_id, now),
                std::move(holders[row.number]));
}

// The card by number or barcode, row-locked for a change.
absl::StatusOr<sql::CardRow> LockCard(pg::Tx& tx, absl::string_view program_id,
                                      absl::string_view number) {
  if (number.empty()) return InvalidField("number", "required");
  RETURN_IF_ERROR(ValidateNoControlCharacters("number", number));
  std::optional<sql::CardRow> card = sql::FindCard(tx, program_id, number);
  if (!card) return FieldError(absl::StatusCode::kNotFound, "number", "no such card");
  tx.exec_params("SELECT 1 FROM cards WHERE program_id = $1 AND number = $2 FOR UPDATE",
                 std::string(program_id), card->number);
  // Re-read under the lock: the first read may predate a concurrent change.
  return *sql::FindCard(tx, program_id, card->number);
}

// As LockCard, refusing deleted cards (FAILED_PRECONDITION naming `number`).
absl::StatusOr<sql::CardRow> LockLiveCard(pg::Tx& tx, absl::string_view program_id,
                                          absl::string_view number) {
  ASSIGN_OR_RETURN(sql::CardRow row, LockCard(tx, program_id, number));
  if (row.status == CardStatus::kDeleted) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "number", "the card is deleted");
  }
  return row;
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
  return std::optional<Card>(LoadCard(tx, program_id, row, now));
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
          "                   request_id, created_at, issue_form, issue_store_id)"
          " VALUES ($1, $2, $2, $3::uuid, 'ACTIVE', $4::uuid, NULLIF($5, ''),"
          "         micros_to_ts($6), $7, $8)"
          " ON CONFLICT DO NOTHING RETURNING 1",
          std::string(program_id), number, input.client_id, account_id, input.request_id,
          sql::Micros(now), std::string(IssueFormName(input.issue_form)), input.store_id);
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
                  .create_time = now,
                  .issue_form = input.issue_form,
                  .issue_store_id = input.store_id};
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
    card = LoadCard(tx, program_id, *row, now);
    return absl::OkStatus();
  }));
  return *std::move(card);
}

absl::StatusOr<CardPage> CardStore::List(absl::string_view program_id, const CardFilter& filter,
                                         int page_size, absl::string_view page_token) {
  std::string after;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(after, DecodePageToken(page_token));
  }
  const absl::Time now = clock_.Now();
  CardPage page;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page = CardPage();
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", sql::kCardColumns,
                     " FROM cards c WHERE c.program_id = $1 AND c.number > $2"
                     " AND ($3 = '' OR c.client_id = NULLIF($3, '')::uuid OR EXISTS ("
                     "   SELECT 1 FROM card_holders h WHERE h.program_id = c.program_id"
                     "     AND h.number = c.number AND h.client_id = NULLIF($3, '')::uuid))"
                     " AND ($4 = '' OR c.status = $4) AND ($5 = '' OR c.batch_id = $5)"
                     " ORDER BY c.number LIMIT $6"),
        std::string(program_id), after, filter.client_id,
        filter.status ? std::string(CardStatusName(*filter.status)) : std::string(),
        filter.batch_id, page_size + 1);
    std::vector<sql::CardRow> cards;
    for (const auto& row : rows) cards.push_back(sql::ReadCard(row));
    if (cards.size() > static_cast<size_t>(page_size)) {
      cards.resize(page_size);
      page.next_page_token = EncodePageToken(cards.back().number);
    }
    std::vector<std::string> numbers;
    std::vector<std::string> accounts;
    for (const sql::CardRow& card : cards) {
      numbers.push_back(card.number);
      accounts.push_back(card.account_id);
    }
    auto holders = LoadHolders(tx, program_id, numbers);
    auto balances = sql::LoadBalances(tx, program_id, accounts, now);
    for (const sql::CardRow& card : cards) {
      page.cards.push_back(
          ToCard(card, balances[card.account_id], std::move(holders[card.number])));
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<CardBatch> CardStore::IssueBatch(absl::string_view program_id,
                                                const CardBatchInput& input) {
  const std::string fingerprint = CardBatchFingerprint(input);
  const absl::Time now = sql::Truncate(clock_.Now());
  CardBatch batch;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    batch = CardBatch{.batch_id = input.request_id};
    // The batch row first: a concurrent twin waits here for this one.
    pqxx::result claimed = tx.exec_params(
        "INSERT INTO card_batches (program_id, batch_id, fingerprint, card_count, created_at)"
        " VALUES ($1, $2, $3, $4, micros_to_ts($5)) ON CONFLICT DO NOTHING RETURNING 1",
        std::string(program_id), input.request_id, fingerprint, input.count, sql::Micros(now));
    if (claimed.empty()) {
      pqxx::row existing = tx.exec_params1(
          "SELECT fingerprint FROM card_batches WHERE program_id = $1 AND batch_id = $2",
          std::string(program_id), input.request_id);
      if (existing[0].as<std::string>() != fingerprint) {
        return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                          "already used for a different batch");
      }
      for (const auto& row : tx.exec_params(
               "SELECT number FROM cards WHERE program_id = $1 AND batch_id = $2 ORDER BY number",
               std::string(program_id), input.request_id)) {
        batch.numbers.push_back(row[0].as<std::string>());
      }
      return absl::OkStatus();
    }
    // Inserts `numbers` (and an account each); returns those already taken.
    auto insert = [&](const std::vector<std::string>& numbers) {
      std::vector<std::string> accounts;
      accounts.reserve(numbers.size());
      for (size_t i = 0; i < numbers.size(); ++i) accounts.push_back(NewUuid());
      std::set<std::string> inserted;
      for (const auto& row : tx.exec_params(
               "INSERT INTO cards (program_id, number, barcode, status, account_id, created_at,"
               "                   issue_form, issue_store_id, batch_id)"
               " SELECT $1, n, n, 'ACTIVE', a, micros_to_ts($4), $5, $6, $7"
               " FROM unnest($2::text[], $3::uuid[]) AS t(n, a)"
               " ON CONFLICT DO NOTHING RETURNING number, account_id::text",
               std::string(program_id), pg::TextArray(numbers), pg::TextArray(accounts),
               sql::Micros(now), std::string(IssueFormName(input.issue_form)), input.store_id,
               input.request_id)) {
        inserted.insert(row[0].as<std::string>());
        batch.numbers.push_back(row[0].as<std::string>());
      }
      std::vector<std::string> used_accounts;
      std::vector<std::string> taken;
      for (size_t i = 0; i < numbers.size(); ++i) {
        if (inserted.contains(numbers[i])) {
          used_accounts.push_back(accounts[i]);
        } else {
          taken.push_back(numbers[i]);
        }
      }
      tx.exec_params(
          "INSERT INTO accounts (program_id, account_id, kind, balance, created_at)"
          " SELECT $1, a, 'member', 0, micros_to_ts($3) FROM unnest($2::uuid[]) AS t(a)",
          std::string(program_id), pg::TextArray(used_accounts), sql::Micros(now));
      return taken;
    };
    if (input.range) {
      std::vector<std::string> taken = insert(RangeNumbers(*input.range, input.count));
      if (!taken.empty()) {
        return FieldError(absl::StatusCode::kAlreadyExists, "number_range.first_number",
                          absl::StrCat("the range overlaps ", taken.size(),
                                       " existing card numbers, e.g. ", taken.front()));
      }
    } else {
      int missing = input.count;
      for (int attempt = 0; missing > 0 && attempt < kMaxNumberAttempts; ++attempt) {
        std::set<std::string> drawn;
        while (static_cast<int>(drawn.size()) < missing) drawn.insert(numbers_.Next());
        missing = static_cast<int>(insert({drawn.begin(), drawn.end()}).size());
      }
      if (missing > 0) {
        return absl::InternalError(
            absl::StrCat("no free card numbers found in ", kMaxNumberAttempts, " draws"));
      }
    }
    std::sort(batch.numbers.begin(), batch.numbers.end());
    AppendCardBatchIssued(tx, program_id, input, now);
    return absl::OkStatus();
  }));
  return batch;
}

absl::StatusOr<Card> CardStore::Bind(absl::string_view program_id, absl::string_view number,
                                     const std::string& client_id) {
  const absl::Time now = sql::Truncate(clock_.Now());
  Card card;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(sql::CardRow row, LockLiveCard(tx, program_id, number));
    if (!row.client_id.empty() && row.client_id != client_id) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "client_id",
                        "the card belongs to another client");
    }
    const bool changed = row.client_id.empty();
    if (changed) {
      tx.exec_params("UPDATE cards SET client_id = $3::uuid WHERE program_id = $1 AND number = $2",
                     std::string(program_id), row.number, client_id);
      // A co-holder becoming the owner is the owner only.
      tx.exec_params(
          "DELETE FROM card_holders WHERE program_id = $1 AND number = $2 AND client_id = $3::uuid",
          std::string(program_id), row.number, client_id);
      row.client_id = client_id;
    }
    card = LoadCard(tx, program_id, row, now);
    if (changed) AppendCardHoldersChanged(tx, program_id, card, now);
    return absl::OkStatus();
  }));
  return card;
}

absl::StatusOr<Card> CardStore::AddHolder(absl::string_view program_id, absl::string_view number,
                                          const std::string& client_id) {
  const absl::Time now = sql::Truncate(clock_.Now());
  Card card;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(sql::CardRow row, LockLiveCard(tx, program_id, number));
    if (row.client_id.empty()) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "number",
                        "the card has no owner yet: bind it first");
    }
    card = LoadCard(tx, program_id, row, now);
    std::vector<std::string>& holders = card.holder_client_ids;
    if (client_id == row.client_id ||
        std::find(holders.begin(), holders.end(), client_id) != holders.end()) {
      return absl::OkStatus();  // already holds it
    }
    if (holders.size() >= kMaxCardHolders) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "client_id",
                        absl::StrCat("a card is shared by at most ", kMaxCardHolders,
                                     " members besides its owner"));
    }
    tx.exec_params(
        "INSERT INTO card_holders (program_id, number, client_id, added_at)"
        " VALUES ($1, $2, $3::uuid, micros_to_ts($4))",
        std::string(program_id), row.number, client_id, sql::Micros(now));
    // In client id order, as LoadHolders reads them.
    holders.insert(std::upper_bound(holders.begin(), holders.end(), client_id), client_id);
    AppendCardHoldersChanged(tx, program_id, card, now);
    return absl::OkStatus();
  }));
  return card;
}

absl::StatusOr<Card> CardStore::RemoveHolder(absl::string_view program_id, absl::string_view number,
                                             const std::string& client_id) {
  const absl::Time now = sql::Truncate(clock_.Now());
  Card card;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(sql::CardRow row, LockCard(tx, program_id, number));
    if (client_id == row.client_id) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "client_id",
                        "the owner cannot be removed from the card");
    }
    pqxx::result removed = tx.exec_params(
        "DELETE FROM card_holders WHERE program_id = $1 AND number = $2 AND client_id = $3::uuid",
        std::string(program_id), row.number, client_id);
    card = LoadCard(tx, program_id, row, now);
    if (removed.affected_rows() > 0) AppendCardHoldersChanged(tx, program_id, card, now);
    return absl::OkStatus();
  }));
  return card;
}

absl::StatusOr<Card> CardStore::SetStatus(absl::string_view program_id, absl::string_view number,
                                          CardStatus status, const std::string& reason,
                                          const std::string& actor) {
  RETURN_IF_ERROR(ValidateReason("reason", reason));
  const absl::Time now = sql::Truncate(clock_.Now());
  Card card;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(sql::CardRow row, LockCard(tx, program_id, number));
    RETURN_IF_ERROR(CheckStatusChange(row.status, status));
    if (row.status == status) {
      card = LoadCard(tx, program_id, row, now);
      return absl::OkStatus();
    }
    if (status == CardStatus::kDeleted && sql::LoadHeld(tx, program_id, row.account_id, now) > 0) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "status",
                        "the card has open holds (a receipt in progress)");
    }
    const CardStatus from = row.status;
    tx.exec_params(
        "UPDATE cards SET status = $3, status_reason = $4, status_changed_at = micros_to_ts($5)"
        " WHERE program_id = $1 AND number = $2",
        std::string(program_id), row.number, std::string(CardStatusName(status)), reason,
        sql::Micros(now));
    tx.exec_params(
        "INSERT INTO card_status_changes (program_id, number, from_status, to_status, reason,"
        "                                 actor, changed_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, micros_to_ts($7))",
        std::string(program_id), row.number, std::string(CardStatusName(from)),
        std::string(CardStatusName(status)), reason, actor, sql::Micros(now));
    row.status = status;
    row.status_reason = reason;
    row.status_change_time = now;
    card = LoadCard(tx, program_id, row, now);
    AppendCardStatusChanged(tx, program_id, card, from, actor);
    return absl::OkStatus();
  }));
  return card;
}

absl::StatusOr<StatusChangePage> CardStore::ListStatusChanges(absl::string_view program_id,
                                                              absl::string_view number,
                                                              int page_size,
                                                              absl::string_view page_token) {
  ASSIGN_OR_RETURN(const int64_t before,
                   DecodeIdPageToken(page_token, std::numeric_limits<int64_t>::max()));
  if (number.empty()) return InvalidField("number", "required");
  RETURN_IF_ERROR(ValidateNoControlCharacters("number", number));
  StatusChangePage page;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page = StatusChangePage();
    std::optional<sql::CardRow> card = sql::FindCard(tx, program_id, number);
    if (!card) return FieldError(absl::StatusCode::kNotFound, "number", "no such card");
    pqxx::result rows = tx.exec_params(
        "SELECT change_id, from_status, to_status, reason, actor, ts_to_micros(changed_at)"
        " FROM card_status_changes WHERE program_id = $1 AND number = $2 AND change_id < $3"
        " ORDER BY change_id DESC LIMIT $4",
        std::string(program_id), card->number, before, page_size + 1);
    for (const auto& row : rows) {
      if (page.changes.size() == static_cast<size_t>(page_size)) {
        page.next_page_token = EncodePageToken(absl::StrCat(rows[page_size - 1][0].as<int64_t>()));
        break;
      }
      page.changes.push_back(StatusChange{
          .from = ParseCardStatus(row[1].as<std::string>()).value_or(CardStatus::kActive),
          .to = ParseCardStatus(row[2].as<std::string>()).value_or(CardStatus::kActive),
          .reason = row[3].as<std::string>(),
          .actor = row[4].as<std::string>(),
          .change_time = sql::TimeOf(row[5])});
    }
    return absl::OkStatus();
  }));
  return page;
}

}  // namespace loyalty::cards
