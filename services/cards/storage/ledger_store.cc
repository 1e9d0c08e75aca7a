#include "services/cards/storage/ledger_store.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/pg/prepared.h"
#include "services/cards/storage/events.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {
namespace {

// A hold as stored, with its state as of the transaction's `now`.
struct HoldRow {
  Hold hold;
  HoldState stored_state = HoldState::kHeld;
  std::string account_id;
  std::string fingerprint;
};

std::optional<HoldRow> LoadHold(pg::Tx& tx, absl::string_view program_id, absl::string_view hold_id,
                                bool for_update, absl::Time now) {
  pqxx::result rows = pg::ExecPrepared(
      tx,
      absl::StrCat("SELECT hold_id, card_number, amount, state, ts_to_micros(expire_at),"
                   "       account_id::text, fingerprint"
                   " FROM holds WHERE program_id = $1 AND hold_id = $2",
                   for_update ? " FOR UPDATE" : ""),
      std::string(program_id), std::string(hold_id));
  if (rows.empty()) return std::nullopt;
  const pqxx::row& row = rows[0];
  HoldRow out;
  out.hold.hold_id = row[0].as<std::string>();
  out.hold.card_number = row[1].as<std::string>();
  out.hold.amount = row[2].as<int64_t>();
  // The column's CHECK admits only known names.
  out.stored_state = ParseHoldState(row[3].as<std::string>()).value_or(HoldState::kHeld);
  out.hold.expire_time = sql::TimeOf(row[4]);
  out.hold.state = EffectiveHoldState(out.stored_state, out.hold.expire_time, now);
  out.account_id = row[5].as<std::string>();
  out.fingerprint = row[6].as<std::string>();
  return out;
}

// Locks member account rows for the rest of the transaction, in a fixed
// order. NO KEY UPDATE is the lock an UPDATE of the balance takes anyway;
// unlike FOR UPDATE it does not block the foreign-key checks of other
// transactions' postings and lots that merely reference the row.
void LockAccounts(pg::Tx& tx, absl::string_view program_id,
                  const std::set<std::string>& account_ids) {
  for (const std::string& account_id : account_ids) {
    pg::ExecPrepared1(tx,
                      "SELECT 1 FROM accounts WHERE program_id = $1 AND account_id = $2::uuid"
                      " FOR NO KEY UPDATE",
                      std::string(program_id), account_id);
  }
}

absl::Status NoSuchCard(absl::string_view field) {
  return FieldError(absl::StatusCode::kNotFound, field, "no such card");
}

// One CommitTransfers transaction: the transfers of a request applied in
// order against locked member accounts.
class CommitRun final {
 public:
  CommitRun(pg::Tx& tx, absl::string_view program_id, absl::Time now)
      : tx_(tx), program_id_(program_id), now_(now) {}

  absl::StatusOr<TransferResult> Apply(const TransferSpec& spec, const std::string& prefix,
                                       const sql::CardRow& card);

 private:
  // The earlier result for spec.transfer_id, if it was applied before.
  absl::StatusOr<std::optional<TransferResult>> FindApplied(const TransferSpec& spec,
                                                            const std::string& prefix);
  // The hold a REDEMPTION posts, locked and checked.
  absl::StatusOr<HoldRow> LockHoldForPosting(const TransferSpec& spec, const std::string& prefix,
                                             const sql::CardRow& card);
  // Id of the program's system account of `kind`, created on first use.
  const std::string& SystemAccount(AccountKind kind);

  pg::Tx& tx_;
  const std::string program_id_;
  const absl::Time now_;
  std::map<AccountKind, std::string> system_accounts_;
};

absl::StatusOr<std::optional<TransferResult>> CommitRun::FindApplied(const TransferSpec& spec,
                                                                     const std::string& prefix) {
  pqxx::result rows =
      pg::ExecPrepared(tx_,
                       "SELECT fingerprint, amount, ts_to_micros(created_at) FROM transfers"
                       " WHERE program_id = $1 AND transfer_id = $2",
                       program_id_, spec.transfer_id);
  if (rows.empty()) return std::optional<TransferResult>();
  if (rows[0][0].as<std::string>() != TransferFingerprint(spec)) {
    return FieldError(absl::StatusCode::kAlreadyExists, prefix + "transfer_id",
                      "already used for a different transfer");
  }
  return std::optional<TransferResult>(TransferResult{.transfer_id = spec.transfer_id,
                                                      .amount = rows[0][1].as<int64_t>(),
                                                      .create_time = sql::TimeOf(rows[0][2]),
                                                      .replayed = true});
}

absl::StatusOr<HoldRow> CommitRun::LockHoldForPosting(const TransferSpec& spec,
                                                      const std::string& prefix,
                                                      const sql::CardRow& card) {
  // The row lock makes a concurrent VoidHold or second posting wait and then
  // see this one's outcome.
  std::optional<HoldRow> hold = LoadHold(tx_, program_id_, spec.hold_id, true, now_);
  const std::string field = prefix + "hold_id";
  if (!hold) return FieldError(absl::StatusCode::kNotFound, field, "no such hold");
  if (hold->account_id != card.account_id) {
    return FieldError(absl::StatusCode::kFailedPrecondition, field, "the hold is on another card");
  }
  switch (hold->hold.state) {
    case HoldState::kHeld:
      break;
    case HoldState::kPosted:
      return FieldError(absl::StatusCode::kFailedPrecondition, field, "the hold is already posted");
    case HoldState::kVoided:
      return FieldError(absl::StatusCode::kFailedPrecondition, field, "the hold was voided");
    case HoldState::kExpired:
      return FieldError(absl::StatusCode::kFailedPrecondition, field, "the hold expired");
  }
  if (hold->hold.amount != spec.amount) {
    return InvalidField(prefix + "amount",
                        absl::StrCat("must equal the hold's amount ", hold->hold.amount));
  }
  return *std::move(hold);
}

const std::string& CommitRun::SystemAccount(AccountKind kind) {
  auto it = system_accounts_.find(kind);
  if (it != system_accounts_.end()) return it->second;
  const std::string name(AccountKindName(kind));
  const char* select = "SELECT account_id::text FROM accounts WHERE program_id = $1 AND kind = $2";
  pqxx::result rows = pg::ExecPrepared(tx_, select, program_id_, name);
  if (rows.empty()) {
    // ON CONFLICT waits for a concurrent creator to commit and then does
    // nothing; the next statement's snapshot sees that creator's row.
    pg::ExecPrepared(tx_,
                     "INSERT INTO accounts (program_id, account_id, kind) VALUES ($1, $2::uuid, $3)"
                     " ON CONFLICT (program_id, kind) WHERE kind <> 'member' DO NOTHING",
                     program_id_, NewUuid(), name);
    rows = pg::ExecPrepared(tx_, select, program_id_, name);
  }
  return system_accounts_.emplace(kind, rows.at(0)[0].as<std::string>()).first->second;
}

absl::StatusOr<TransferResult> CommitRun::Apply(const TransferSpec& spec, const std::string& prefix,
                                                const sql::CardRow& card) {
  ASSIGN_OR_RETURN(std::optional<TransferResult> applied, FindApplied(spec, prefix));
  if (applied) return *std::move(applied);

  // Refunds still go through on a blocked card; new business does not.
  if ((spec.kind == TransferKind::kAccrual || spec.kind == TransferKind::kRedemption) &&
      card.status != CardStatus::kActive) {
    return FieldError(absl::StatusCode::kFailedPrecondition, prefix + "card_number",
                      absl::StrCat("the card is ", CardStatusName(card.status)));
  }

  const TransferRoute route = RouteOf(spec.kind);
  std::vector<LotTake> takes;
  std::optional<HoldRow> hold;
  int64_t moved = spec.amount;
  if (route.member_is_source) {
    std::vector<Lot> lots = sql::LoadOpenLots(tx_, program_id_, card.account_id);
    int64_t held = sql::LoadHeld(tx_, program_id_, card.account_id, now_);
    if (spec.kind == TransferKind::kRedemption) {
      if (!spec.hold_id.empty()) {
        ASSIGN_OR_RETURN(hold, LockHoldForPosting(spec, prefix, card));
        held -= hold->hold.amount;  // the points this posting spends
      }
      absl::StatusOr<std::vector<LotTake>> plan = PlanRedemption(lots, now_, spec.amount, held);
      if (!plan.ok()) {
        return FieldError(absl::StatusCode::kFailedPrecondition, prefix + "amount",
                          plan.status().message());
      }
      takes = *std::move(plan);
    } else {
      takes = PlanAccrualReversal(lots, now_, spec.amount, held, spec.reference);
      moved = TotalTaken(takes);
    }
  }

  const std::string& system = SystemAccount(route.system_account);
  const std::string& debit = route.member_is_source ? card.account_id : system;
  const std::string& credit = route.member_is_source ? system : card.account_id;
  const int64_t now_micros = sql::Micros(now_);
  pqxx::result inserted = pg::ExecPrepared(
      tx_,
      "INSERT INTO transfers (program_id, transfer_id, kind, fingerprint, card_number,"
      "                       debit_account_id, credit_account_id, requested_amount,"
      "                       amount, hold_id, reference, created_at)"
      " VALUES ($1, $2, $3, $4, $5, $6::uuid, $7::uuid, $8, $9, NULLIF($10, ''), $11,"
      "         micros_to_ts($12))"
      " ON CONFLICT (program_id, transfer_id) DO NOTHING RETURNING 1",
      program_id_, spec.transfer_id, std::string(TransferKindName(spec.kind)),
      TransferFingerprint(spec), spec.card_number, debit, credit, spec.amount, moved, spec.hold_id,
      spec.reference, now_micros);
  if (inserted.empty()) {
    // A concurrent call committed this id after the check above. It cannot
    // have been for this card (its account is locked), so the content
    // differs and FindApplied reports the conflict.
    ASSIGN_OR_RETURN(applied, FindApplied(spec, prefix));
    if (applied) return *std::move(applied);
    return absl::AbortedError("transfer id taken concurrently; retry");
  }

  const int64_t member_delta = route.member_is_source ? -moved : moved;
  int64_t balance_after = 0;
  if (moved > 0) {
    pg::ExecPrepared(
        tx_,
        "INSERT INTO postings (program_id, transfer_id, account_id, amount, created_at)"
        " VALUES ($1, $2, $3::uuid, $4, micros_to_ts($7)),"
        "        ($1, $2, $5::uuid, $6, micros_to_ts($7))",
        program_id_, spec.transfer_id, debit, -moved, credit, moved, now_micros);
    balance_after = pg::ExecPrepared1(tx_,
                                      "UPDATE accounts SET balance = balance + $3"
                                      " WHERE program_id = $1 AND account_id = $2::uuid"
                                      " RETURNING balance",
                                      program_id_, card.account_id, member_delta)[0]
                        .as<int64_t>();
  } else {
    balance_after = pg::ExecPrepared1(tx_,
                                      "SELECT balance FROM accounts"
                                      " WHERE program_id = $1 AND account_id = $2::uuid",
                                      program_id_, card.account_id)[0]
                        .as<int64_t>();
  }

  const absl::Time activate_time = spec.activate_time.value_or(now_);
  if (route.creates_lot) {
    pg::ExecPrepared(
        tx_,
        "INSERT INTO lots (program_id, account_id, transfer_id, origin_kind, reference,"
        "                  amount, remaining, activate_at, expire_at)"
        " VALUES ($1, $2::uuid, $3, $4, $5, $6, $6, micros_to_ts($7),"
        "         micros_to_ts(NULLIF($8, '')::bigint))",
        program_id_, card.account_id, spec.transfer_id, std::string(TransferKindName(spec.kind)),
        spec.reference, moved, sql::Micros(activate_time), sql::OptionalMicros(spec.expire_time));
  }
  for (const LotTake& take : takes) {
    pqxx::result updated =
        pg::ExecPrepared(tx_,
                         "UPDATE lots SET remaining = remaining - $3"
                         " WHERE program_id = $1 AND lot_id = $2 AND remaining >= $3",
                         program_id_, take.lot_id, take.amount);
    if (updated.affected_rows() != 1) {
      // The account lock should make this impossible: a broken invariant.
      return absl::InternalError(absl::StrCat("lot ", take.lot_id, " changed under lock"));
    }
    pg::ExecPrepared(tx_,
                     "INSERT INTO lot_consumptions (program_id, lot_id, transfer_id, amount)"
                     " VALUES ($1, $2, $3, $4)",
                     program_id_, take.lot_id, spec.transfer_id, take.amount);
  }
  if (hold) {
    pg::ExecPrepared(tx_,
                     "UPDATE holds SET state = 'POSTED', posted_transfer_id = $3,"
                     "                 resolved_at = micros_to_ts($4)"
                     " WHERE program_id = $1 AND hold_id = $2",
                     program_id_, spec.hold_id, spec.transfer_id, now_micros);
  }

  TransferResult result{
      .transfer_id = spec.transfer_id, .amount = moved, .create_time = now_, .replayed = false};
  AppendPointsTransferred(tx_, program_id_,
                          AppliedTransfer{.spec = spec,
                                          .result = result,
                                          .client_id = card.client_id,
                                          .account_id = card.account_id,
                                          .activate_time = activate_time,
                                          .balance_after = balance_after});
  return result;
}

}  // namespace

absl::StatusOr<CommitResult> LedgerStore::CommitTransfers(absl::string_view program_id,
                                                          std::span<const TransferSpec> transfers) {
  RETURN_IF_ERROR(ValidateTransfers(transfers));
  const absl::Time now = sql::Truncate(clock_.Now());
  CommitResult out;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    out = CommitResult();
    std::map<std::string, sql::CardRow> cards;  // by the number as given
    std::set<std::string> account_ids;
    for (size_t i = 0; i < transfers.size(); ++i) {
      const std::string& number = transfers[i].card_number;
      if (cards.contains(number)) continue;
      std::optional<sql::CardRow> card = sql::FindCard(tx, program_id, number);
      if (!card) return NoSuchCard(absl::StrCat("transfers[", i, "].card_number"));
      account_ids.insert(card->account_id);
      cards.emplace(number, *std::move(card));
    }
    LockAccounts(tx, program_id, account_ids);
    CommitRun run(tx, program_id, now);
    for (size_t i = 0; i < transfers.size(); ++i) {
      ASSIGN_OR_RETURN(TransferResult result,
                       run.Apply(transfers[i], absl::StrCat("transfers[", i, "]."),
                                 cards.at(transfers[i].card_number)));
      out.results.push_back(std::move(result));
    }
    out.balance =
        sql::LoadBalance(tx, program_id, cards.at(transfers[0].card_number).account_id, now);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Hold> LedgerStore::HoldPoints(absl::string_view program_id,
                                             const HoldRequest& request) {
  RETURN_IF_ERROR(ValidateHoldRequest(request));
  const absl::Time now = sql::Truncate(clock_.Now());
  const std::string fingerprint = HoldFingerprint(request);
  Hold hold;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    // The same id again: the stored hold if the content matches.
    auto replay = [&](const HoldRow& existing) -> absl::Status {
      if (existing.fingerprint != fingerprint) {
        return FieldError(absl::StatusCode::kAlreadyExists, "hold_id",
                          "already used for a different hold");
      }
      hold = existing.hold;
      return absl::OkStatus();
    };
    std::optional<sql::CardRow> card = sql::FindCard(tx, program_id, request.card_number);
    if (!card) return NoSuchCard("card_number");
    LockAccounts(tx, program_id, {card->account_id});
    if (std::optional<HoldRow> existing = LoadHold(tx, program_id, request.hold_id, false, now)) {
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
      std::optional<HoldRow> existing = LoadHold(tx, program_id, request.hold_id, false, now);
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
    std::optional<HoldRow> row = LoadHold(tx, program_id, hold_id, true, now);
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
                                                absl::string_view card_number) {
  if (card_number.empty()) return InvalidField("card_number", "required");
  RETURN_IF_ERROR(ValidateNoControlCharacters("card_number", card_number));
  const absl::Time now = clock_.Now();
  Balance balance;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    std::optional<sql::CardRow> card = sql::FindCard(tx, program_id, card_number);
    if (!card) return NoSuchCard("card_number");
    balance = sql::LoadBalance(tx, program_id, card->account_id, now);
    return absl::OkStatus();
  }));
  return balance;
}

}  // namespace loyalty::cards
