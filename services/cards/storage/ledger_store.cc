#include "services/cards/storage/ledger_store.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/pg/prepared.h"
#include "services/cards/domain/fingerprint.h"
#include "services/cards/storage/events.h"
#include "services/cards/storage/ledger_writes.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {
namespace {

std::optional<sql::HoldRow> LoadHold(pg::Tx& tx, absl::string_view program_id,
                                     absl::string_view hold_id, bool for_update, absl::Time now) {
  std::map<std::string, sql::HoldRow> holds =
      sql::LoadHolds(tx, program_id, {std::string(hold_id)}, for_update, now);
  if (holds.empty()) return std::nullopt;
  return std::move(holds.begin()->second);
}

absl::Status NoSuchCard(absl::string_view field) {
  return FieldError(absl::StatusCode::kNotFound, field, "no such card");
}

}  // namespace

LedgerStore::LedgerStore(pg::Pool& pool, const Clock& clock, CommitQueueOptions options)
    : pool_(pool),
      clock_(clock),
      queue_(options,
             [this](const std::string& program_id, std::span<const CommitRequest* const> requests) {
               return WriteBatch(program_id, requests);
             }) {}

std::vector<absl::StatusOr<CommitResult>> LedgerStore::WriteBatch(
    const std::string& program_id, std::span<const CommitRequest* const> requests) {
  const absl::Time now = sql::Truncate(clock_.Now());
  std::vector<absl::StatusOr<CommitResult>> results;
  // A transfer id committed concurrently by another transaction surfaces as
  // a unique violation on insert; the rerun reads it and answers the
  // request as a replay (or a conflict).
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(results, ApplyTransferBatch(tx, program_id, now, requests, system_accounts_));
    return absl::OkStatus();
  });
  if (status.ok()) return results;
  results.clear();
  if (requests.size() > 1 && status.code() != absl::StatusCode::kUnavailable) {
    for (const CommitRequest* request : requests) {
      results.push_back(std::move(WriteBatch(program_id, {&request, 1}).front()));
    }
    return results;
  }
  results.assign(requests.size(), status);
  return results;
}

absl::StatusOr<CommitResult> LedgerStore::CommitTransfers(absl::string_view program_id,
                                                          std::span<const TransferSpec> transfers) {
  RETURN_IF_ERROR(ValidateTransfers(transfers));
  const CommitRequest request{.transfers = transfers, .field_prefix = [](size_t i) {
                                return absl::StrCat("transfers[", i, "].");
                              }};
  return queue_.Commit(std::string(program_id), request);
}

absl::StatusOr<CommitResult> LedgerStore::Correct(absl::string_view program_id,
                                                  const TransferSpec& spec) {
  if (spec.kind != TransferKind::kCorrectionCredit && spec.kind != TransferKind::kCorrectionDebit) {
    return InvalidField("kind", "a correction is CORRECTION_CREDIT or CORRECTION_DEBIT");
  }
  RETURN_IF_ERROR(ValidateTransfer(spec, ""));
  const CommitRequest request{.transfers = {&spec, 1},
                              .field_prefix = [](size_t) { return std::string(); }};
  return queue_.Commit(std::string(program_id), request);
}

absl::StatusOr<Hold> LedgerStore::HoldPoints(absl::string_view program_id,
                                             const HoldRequest& request) {
  RETURN_IF_ERROR(ValidateHoldRequest(request));
  const absl::Time now = sql::Truncate(clock_.Now());
  const std::string fingerprint = HoldFingerprint(request);
  Hold hold;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    // The same id again: the stored hold if the content matches.
    auto replay = [&](const sql::HoldRow& existing) -> absl::Status {
      if (existing.fingerprint != fingerprint) {
        return FieldError(absl::StatusCode::kAlreadyExists, "hold_id",
                          "already used for a different hold");
      }
      hold = existing.hold;
      return absl::OkStatus();
    };
    std::optional<sql::CardRow> card = sql::FindCard(tx, program_id, request.card_number);
    if (!card) return NoSuchCard("card_number");
    LockMemberAccounts(tx, program_id, {card->account_id});
    if (std::optional<sql::HoldRow> existing =
            LoadHold(tx, program_id, request.hold_id, false, now)) {
      return replay(*existing);
    }
    if (card->status != CardStatus::kActive) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "card_number",
                        absl::StrCat("the card is ", CardStatusName(card->status)));
    }
    Balance balance = sql::LoadBalance(tx, program_id, card->account_id, now);
    if (request.amount > balance.available) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "amount",
                        absl::StrCat("insufficient points: ", balance.available, " available, ",
                                     request.amount, " requested"));
    }
    const absl::Time expire_time = now + EffectiveHoldTtl(request);
    pqxx::result inserted = pg::ExecPrepared(
        tx,
        "INSERT INTO holds (program_id, hold_id, account_id, card_number, amount, state,"
        "                   fingerprint, expire_at, created_at)"
        " VALUES ($1, $2, $3::uuid, $4, $5, 'HELD', $6, micros_to_ts($7),"
        "         micros_to_ts($8))"
        " ON CONFLICT (program_id, hold_id) DO NOTHING RETURNING 1",
        std::string(program_id), request.hold_id, card->account_id, request.card_number,
        request.amount, fingerprint, sql::Micros(expire_time), sql::Micros(now));
    if (inserted.empty()) {
      // Taken concurrently for another card (this card's account is locked).
      std::optional<sql::HoldRow> existing = LoadHold(tx, program_id, request.hold_id, false, now);
      if (!existing) return absl::AbortedError("hold id taken concurrently; retry");
      return replay(*existing);
    }
    hold = Hold{.hold_id = request.hold_id,
                .card_number = request.card_number,
                .amount = request.amount,
                .state = HoldState::kHeld,
                .expire_time = expire_time};
    return absl::OkStatus();
  }));
  return hold;
}

absl::StatusOr<Hold> LedgerStore::VoidHold(absl::string_view program_id,
                                           absl::string_view hold_id) {
  if (hold_id.empty()) return InvalidField("hold_id", "required");
  RETURN_IF_ERROR(ValidateNoControlCharacters("hold_id", hold_id));
  const absl::Time now = sql::Truncate(clock_.Now());
  Hold hold;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    std::optional<sql::HoldRow> row = LoadHold(tx, program_id, hold_id, true, now);
    if (!row) return FieldError(absl::StatusCode::kNotFound, "hold_id", "no such hold");
    hold = row->hold;
    if (hold.state == HoldState::kPosted) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "hold_id",
                        "the hold is already posted");
    }
    if (row->stored_state != HoldState::kHeld) return absl::OkStatus();  // resolved
    // A hold voided after its time was up records that it lapsed.
    if (hold.state == HoldState::kHeld) hold.state = HoldState::kVoided;
    pg::ExecPrepared(tx,
                     "UPDATE holds SET state = $3, resolved_at = micros_to_ts($4)"
                     " WHERE program_id = $1 AND hold_id = $2",
                     std::string(program_id), std::string(hold_id),
                     std::string(HoldStateName(hold.state)), sql::Micros(now));
    return absl::OkStatus();
  }));
  return hold;
}

absl::StatusOr<Balance> LedgerStore::GetBalance(absl::string_view program_id,
                                                absl::string_view card_number,
                                                absl::Duration expiring_window) {
  if (card_number.empty()) return InvalidField("card_number", "required");
  RETURN_IF_ERROR(ValidateNoControlCharacters("card_number", card_number));
  const absl::Time now = clock_.Now();
  Balance balance;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    std::optional<sql::CardRow> card = sql::FindCard(tx, program_id, card_number);
    if (!card) return NoSuchCard("card_number");
    balance = sql::LoadBalance(tx, program_id, card->account_id, now, expiring_window);
    return absl::OkStatus();
  }));
  return balance;
}

absl::StatusOr<ExpirySweepResult> LedgerStore::SweepExpired(int max_accounts, int max_holds) {
  const absl::Time now = sql::Truncate(clock_.Now());
  const int64_t now_micros = sql::Micros(now);
  ExpirySweepResult total;
  // Programs that can have lots or holds at all: lots come only from the
  // issued, redeemed and adjustment accounts, holds only from lots.
  std::vector<std::string> programs;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    programs.clear();
    for (const auto& row :
         tx.exec("SELECT DISTINCT program_id FROM accounts"
                 " WHERE kind IN ('issued', 'redeemed', 'adjustment') ORDER BY 1")) {
      programs.push_back(row[0].as<std::string>());
    }
    return absl::OkStatus();
  }));
  for (const std::string& program_id : programs) {
    // Batches until a pass finds nothing it may take.
    for (bool more = true; more;) {
      ExpirySweepResult batch;
      RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
        batch = ExpirySweepResult();
        // Accounts with expired points, locked as every ledger call locks
        // them; SKIP LOCKED leaves those busy with a receipt for next time.
        pqxx::result accounts = tx.exec_params(
            "SELECT a.account_id::text FROM accounts a"
            " WHERE a.program_id = $1 AND a.account_id IN ("
            "   SELECT DISTINCT l.account_id FROM lots l"
            "   WHERE l.program_id = $1 AND l.remaining > 0"
            "     AND l.expire_at <= micros_to_ts($2)"
            "   LIMIT $3)"
            " ORDER BY a.account_id FOR NO KEY UPDATE OF a SKIP LOCKED",
            program_id, now_micros, max_accounts);
        std::vector<std::string> account_ids;
        for (const auto& account : accounts) account_ids.push_back(account[0].as<std::string>());
        std::map<std::string, std::vector<Lot>> lots =
            sql::LoadOpenLotsOf(tx, program_id, account_ids);
        // One request per account: ApplyTransferBatch plans the same takes
        // again (the domain's PlanExpiration) under the same lock.
        std::vector<TransferSpec> specs;
        specs.reserve(account_ids.size());
        for (const std::string& account_id : account_ids) {
          const int64_t expired = TotalTaken(PlanExpiration(lots[account_id], now));
          if (expired == 0) continue;  // spent since the candidate query
          std::optional<sql::CardRow> card = sql::FindCardByAccount(tx, program_id, account_id);
          if (!card) {
            return absl::InternalError(absl::StrCat("account ", account_id, " has no card"));
          }
          specs.push_back(
              TransferSpec{.transfer_id = absl::StrCat("expiry:", account_id, ":", now_micros),
                           .kind = TransferKind::kExpiration,
                           .card_number = card->number,
                           .amount = expired});
        }
        std::vector<CommitRequest> requests;
        std::vector<const CommitRequest*> request_pointers;
        requests.reserve(specs.size());
        for (const TransferSpec& spec : specs) {
          requests.push_back(CommitRequest{.transfers = {&spec, 1},
                                           .field_prefix = [](size_t) { return std::string(); }});
          request_pointers.push_back(&requests.back());
        }
        ASSIGN_OR_RETURN(auto results, ApplyTransferBatch(tx, program_id, now, request_pointers,
                                                          system_accounts_));
        for (absl::StatusOr<CommitResult>& result : results) {
          RETURN_IF_ERROR(result.status());
          batch.accounts += 1;
          batch.points += result->results.at(0).amount;
        }
        // Holds left HELD past their time reserve nothing already; writing
        // that down resolves them for good and keeps `holds_open` small.
        batch.holds_expired =
            tx.exec_params(
                  "UPDATE holds SET state = 'EXPIRED', resolved_at = micros_to_ts($2)"
                  " WHERE program_id = $1 AND hold_id IN ("
                  "   SELECT hold_id FROM holds WHERE program_id = $1 AND state = 'HELD'"
                  "     AND expire_at <= micros_to_ts($2)"
                  "   LIMIT $3 FOR UPDATE SKIP LOCKED)",
                  program_id, now_micros, max_holds)
                .affected_rows();
        return absl::OkStatus();
      }));
      total.accounts += batch.accounts;
      total.points += batch.points;
      total.holds_expired += batch.holds_expired;
      more = batch.accounts == max_accounts || batch.holds_expired == max_holds;
    }
  }
  return total;
}

absl::StatusOr<MergeResult> LedgerStore::MergeCards(absl::string_view program_id,
                                                    absl::string_view source_number,
                                                    absl::string_view target_number,
                                                    const std::string& reason,
                                                    const std::string& actor) {
  for (auto [field, value] :
       {std::pair<absl::string_view, absl::string_view>{"source_number", source_number},
        {"target_number", target_number}}) {
    if (value.empty()) return InvalidField(field, "required");
    RETURN_IF_ERROR(ValidateNoControlCharacters(field, value));
  }
  RETURN_IF_ERROR(ValidateReason("reason", reason));
  const absl::Time now = sql::Truncate(clock_.Now());
  const int64_t now_micros = sql::Micros(now);
  MergeResult result;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    result = MergeResult();
    std::optional<sql::CardRow> source = sql::FindCard(tx, program_id, source_number);
    if (!source) return NoSuchCard("source_number");
    std::optional<sql::CardRow> target = sql::FindCard(tx, program_id, target_number);
    if (!target) return NoSuchCard("target_number");
    if (source->number == target->number) {
      return InvalidField("target_number", "must be another card than the source");
    }
    // Card rows in number order, then accounts in id order, as every
    // ledger call takes them: merges and receipts cannot deadlock.
    tx.exec_params(
        "SELECT 1 FROM cards WHERE program_id = $1 AND number IN ($2, $3)"
        " ORDER BY number FOR UPDATE",
        std::string(program_id), source->number, target->number);
    source = sql::FindCard(tx, program_id, source->number);
    target = sql::FindCard(tx, program_id, target->number);
    result.target_number = target->number;
    const std::string merged_into = tx.exec_params1(
                                          "SELECT COALESCE(merged_into, '') FROM cards"
                                          " WHERE program_id = $1 AND number = $2",
                                          std::string(program_id), source->number)[0]
                                        .as<std::string>();
    if (merged_into == target->number) {
      pqxx::row moved = tx.exec_params1(
          "SELECT COALESCE(sum(amount), 0)::bigint, count(*) FROM transfers"
          " WHERE program_id = $1 AND kind = 'MERGE' AND debit_account_id = $2::uuid"
          "   AND credit_account_id = $3::uuid",
          std::string(program_id), source->account_id, target->account_id);
      result.points = moved[0].as<int64_t>();
      result.lots = moved[1].as<int64_t>();
      result.replayed = true;
      return absl::OkStatus();
    }
    if (source->status == CardStatus::kDeleted) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "source_number",
                        "the card is deleted");
    }
    if (target->status == CardStatus::kDeleted) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "target_number",
                        "the card is deleted");
    }
    if (source->account_id == target->account_id) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "source_number",
                        "the cards already share one points account");
    }
    // The master account's points are the family's, not the source card's.
    if (!tx.exec_params("SELECT 1 FROM master_members"
                        " WHERE program_id = $1 AND card_number = $2 AND left_at IS NULL",
                        std::string(program_id), source->number)
             .empty()) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "source_number",
                        "the card is a member of a master account; remove it first");
    }
    std::map<std::string, int64_t> balances =
        LockMemberAccounts(tx, program_id, {source->account_id, target->account_id});
    if (sql::LoadHeld(tx, program_id, source->account_id, now) > 0) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "source_number",
                        "the card has open holds (a receipt in progress)");
    }
    int64_t& target_balance = balances[target->account_id];
    LedgerWrites writes;
    for (const Lot& lot : sql::LoadOpenLots(tx, program_id, source->account_id)) {
      // Expired points are worth nothing; the sweep takes them from the
      // source as from any card.
      if (LotStateAt(lot, now) == LotState::kExpired) continue;
      const std::string transfer_id = absl::StrCat("merge:", source->number, ":", lot.lot_id);
      writes.AddTransfer(TransferRecord{.transfer_id = transfer_id,
                                        .kind = TransferKind::kMerge,
                                        .fingerprint = Fingerprint("merge.v1")
                                                           .Add(source->number)
                                                           .Add(target->number)
                                                           .Add(lot.lot_id)
                                                           .Add(lot.remaining)
                                                           .Digest(),
                                        .card_number = target->number,
                                        .debit_account_id = source->account_id,
                                        .credit_account_id = target->account_id,
                                        .requested = lot.remaining,
                                        .moved = lot.remaining,
                                        .reference = lot.reference,
                                        .reason = reason,
                                        .actor = actor});
      writes.AddBalanceDelta(source->account_id, -lot.remaining);
      writes.AddBalanceDelta(target->account_id, lot.remaining);
      target_balance += lot.remaining;
      writes.Consume(lot.lot_id, transfer_id, lot.remaining);
      writes.AddLot(NewLot{.account_id = target->account_id,
                           .transfer_id = transfer_id,
                           .origin = TransferKind::kMerge,
                           .reference = lot.reference,
                           .amount = lot.remaining,
                           .activate_time = lot.activate_time,
                           .expire_time = lot.expire_time,
                           .partner_id = lot.partner_id});
      writes.AddEvent(AppliedTransfer{.spec = TransferSpec{.transfer_id = transfer_id,
                                                           .kind = TransferKind::kMerge,
                                                           .card_number = target->number,
                                                           .amount = lot.remaining,
                                                           .expire_time = lot.expire_time,
                                                           .reference = source->number,
                                                           .reason = reason,
                                                           .actor = actor},
                                      .result = TransferResult{.transfer_id = transfer_id,
                                                               .amount = lot.remaining,
                                                               .create_time = now},
                                      .client_id = target->client_id,
                                      .account_id = target->account_id,
                                      .activate_time = lot.activate_time,
                                      .balance_after = target_balance});
      result.points += lot.remaining;
      result.lots += 1;
    }
    RETURN_IF_ERROR(writes.Flush(tx, program_id, now));
    tx.exec_params(
        "UPDATE cards SET status = 'DELETED', status_reason = $3,"
        "                 status_changed_at = micros_to_ts($4), merged_into = $5"
        " WHERE program_id = $1 AND number = $2",
        std::string(program_id), source->number, reason, now_micros, target->number);
    tx.exec_params(
        "INSERT INTO card_status_changes (program_id, number, from_status, to_status, reason,"
        "                                 actor, changed_at)"
        " VALUES ($1, $2, $3, 'DELETED', $4, $5, micros_to_ts($6))",
        std::string(program_id), source->number, std::string(CardStatusName(source->status)),
        reason, actor, now_micros);
    const CardStatus from = source->status;
    Card closed{.number = source->number,
                .client_id = source->client_id,
                .status = CardStatus::kDeleted,
                .status_reason = reason,
                .status_change_time = now};
    AppendCardStatusChanged(tx, program_id, closed, from, actor);
    return absl::OkStatus();
  }));
  return result;
}

}  // namespace loyalty::cards
