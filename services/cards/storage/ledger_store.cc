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
#include "services/cards/domain/fingerprint.h"
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

// --- Write primitives shared by every kind of transfer ----------------------

// The header row of a transfer; false when the id is taken (ON CONFLICT).
struct TransferRow {
  absl::string_view transfer_id;
  TransferKind kind = TransferKind::kUnspecified;
  absl::string_view fingerprint;
  absl::string_view card_number;
  absl::string_view debit;
  absl::string_view credit;
  int64_t requested = 0;
  int64_t moved = 0;
  absl::string_view hold_id;
  absl::string_view reference;
  absl::string_view reason;
  absl::string_view actor;
};

bool InsertTransfer(pg::Tx& tx, absl::string_view program_id, const TransferRow& row,
                    int64_t now_micros) {
  return !pg::ExecPrepared(
              tx,
              "INSERT INTO transfers (program_id, transfer_id, kind, fingerprint, card_number,"
              "                       debit_account_id, credit_account_id, requested_amount,"
              "                       amount, hold_id, reference, created_at, reason, actor)"
              " VALUES ($1, $2, $3, $4, $5, $6::uuid, $7::uuid, $8, $9, NULLIF($10, ''), $11,"
              "         micros_to_ts($12), $13, $14)"
              " ON CONFLICT (program_id, transfer_id) DO NOTHING RETURNING 1",
              std::string(program_id), std::string(row.transfer_id),
              std::string(TransferKindName(row.kind)), std::string(row.fingerprint),
              std::string(row.card_number), std::string(row.debit), std::string(row.credit),
              row.requested, row.moved, std::string(row.hold_id), std::string(row.reference),
              now_micros, std::string(row.reason), std::string(row.actor))
              .empty();
}

// The two postings of a transfer that moved `amount` > 0.
void InsertPostings(pg::Tx& tx, absl::string_view program_id, const TransferRow& row,
                    int64_t now_micros) {
  pg::ExecPrepared(tx,
                   "INSERT INTO postings (program_id, transfer_id, account_id, amount, created_at)"
                   " VALUES ($1, $2, $3::uuid, $4, micros_to_ts($7)),"
                   "        ($1, $2, $5::uuid, $6, micros_to_ts($7))",
                   std::string(program_id), std::string(row.transfer_id), std::string(row.debit),
                   -row.moved, std::string(row.credit), row.moved, now_micros);
}

// Adds `delta` to a member account's stored balance; the balance after.
int64_t AddToBalance(pg::Tx& tx, absl::string_view program_id, absl::string_view account_id,
                     int64_t delta) {
  return pg::ExecPrepared1(tx,
                           "UPDATE accounts SET balance = balance + $3"
                           " WHERE program_id = $1 AND account_id = $2::uuid RETURNING balance",
                           std::string(program_id), std::string(account_id), delta)[0]
      .as<int64_t>();
}

void InsertLot(pg::Tx& tx, absl::string_view program_id, absl::string_view account_id,
               const TransferRow& row, absl::Time activate_time,
               const std::optional<absl::Time>& expire_time) {
  pg::ExecPrepared(tx,
                   "INSERT INTO lots (program_id, account_id, transfer_id, origin_kind, reference,"
                   "                  amount, remaining, activate_at, expire_at)"
                   " VALUES ($1, $2::uuid, $3, $4, $5, $6, $6, micros_to_ts($7),"
                   "         micros_to_ts(NULLIF($8, '')::bigint))",
                   std::string(program_id), std::string(account_id), std::string(row.transfer_id),
                   std::string(TransferKindName(row.kind)), std::string(row.reference), row.moved,
                   sql::Micros(activate_time), sql::OptionalMicros(expire_time));
}

// Takes `takes` from their lots, recording each consumption.
absl::Status ConsumeLots(pg::Tx& tx, absl::string_view program_id, absl::string_view transfer_id,
                         std::span<const LotTake> takes) {
  for (const LotTake& take : takes) {
    pqxx::result updated =
        pg::ExecPrepared(tx,
                         "UPDATE lots SET remaining = remaining - $3"
                         " WHERE program_id = $1 AND lot_id = $2 AND remaining >= $3",
                         std::string(program_id), take.lot_id, take.amount);
    if (updated.affected_rows() != 1) {
      // The account lock should make this impossible: a broken invariant.
      return absl::InternalError(absl::StrCat("lot ", take.lot_id, " changed under lock"));
    }
    pg::ExecPrepared(tx,
                     "INSERT INTO lot_consumptions (program_id, lot_id, transfer_id, amount)"
                     " VALUES ($1, $2, $3, $4)",
                     std::string(program_id), take.lot_id, std::string(transfer_id), take.amount);
  }
  return absl::OkStatus();
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
    // Plans that must take the whole amount or refuse.
    auto all_or_refuse = [&](absl::StatusOr<std::vector<LotTake>> plan) -> absl::Status {
      if (!plan.ok()) {
        return FieldError(absl::StatusCode::kFailedPrecondition, prefix + "amount",
                          plan.status().message());
      }
      takes = *std::move(plan);
      return absl::OkStatus();
    };
    switch (spec.kind) {
      case TransferKind::kRedemption:
        if (!spec.hold_id.empty()) {
          ASSIGN_OR_RETURN(hold, LockHoldForPosting(spec, prefix, card));
          held -= hold->hold.amount;  // the points this posting spends
        }
        RETURN_IF_ERROR(all_or_refuse(PlanRedemption(lots, now_, spec.amount, held)));
        break;
      case TransferKind::kCorrectionDebit:
        RETURN_IF_ERROR(all_or_refuse(PlanCorrectionDebit(lots, now_, spec.amount, held)));
        break;
      case TransferKind::kExpiration:
        takes = PlanExpiration(lots, now_);
        moved = TotalTaken(takes);
        break;
      default:  // kAccrualReversal, the only other kind with a member source
        takes = PlanAccrualReversal(lots, now_, spec.amount, held, spec.reference);
        moved = TotalTaken(takes);
        break;
    }
  }

  const std::string& system = SystemAccount(route.system_account);
  const std::string& debit = route.member_is_source ? card.account_id : system;
  const std::string& credit = route.member_is_source ? system : card.account_id;
  const int64_t now_micros = sql::Micros(now_);
  const std::string fingerprint = TransferFingerprint(spec);
  const TransferRow row{.transfer_id = spec.transfer_id,
                        .kind = spec.kind,
                        .fingerprint = fingerprint,
                        .card_number = spec.card_number,
                        .debit = debit,
                        .credit = credit,
                        .requested = spec.amount,
                        .moved = moved,
                        .hold_id = spec.hold_id,
                        .reference = spec.reference,
                        .reason = spec.reason,
                        .actor = spec.actor};
  if (!InsertTransfer(tx_, program_id_, row, now_micros)) {
    // A concurrent call committed this id after the check above. It cannot
    // have been for this card (its account is locked), so the content
    // differs and FindApplied reports the conflict.
    ASSIGN_OR_RETURN(applied, FindApplied(spec, prefix));
    if (applied) return *std::move(applied);
    return absl::AbortedError("transfer id taken concurrently; retry");
  }

  const int64_t member_delta = route.member_is_source ? -moved : moved;
  if (moved > 0) InsertPostings(tx_, program_id_, row, now_micros);
  const int64_t balance_after = AddToBalance(tx_, program_id_, card.account_id, member_delta);

  const absl::Time activate_time = spec.activate_time.value_or(now_);
  if (route.creates_lot) {
    InsertLot(tx_, program_id_, card.account_id, row, activate_time, spec.expire_time);
  }
  RETURN_IF_ERROR(ConsumeLots(tx_, program_id_, spec.transfer_id, takes));
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
  return Commit(program_id, transfers,
                [](size_t i) { return absl::StrCat("transfers[", i, "]."); });
}

absl::StatusOr<CommitResult> LedgerStore::Correct(absl::string_view program_id,
                                                  const TransferSpec& spec) {
  if (spec.kind != TransferKind::kCorrectionCredit && spec.kind != TransferKind::kCorrectionDebit) {
    return InvalidField("kind", "a correction is CORRECTION_CREDIT or CORRECTION_DEBIT");
  }
  RETURN_IF_ERROR(ValidateTransfer(spec, ""));
  return Commit(program_id, {&spec, 1}, [](size_t) { return std::string(); });
}

absl::StatusOr<CommitResult> LedgerStore::Commit(
    absl::string_view program_id, std::span<const TransferSpec> transfers,
    absl::FunctionRef<std::string(size_t)> field_prefix) {
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
      if (!card) return NoSuchCard(absl::StrCat(field_prefix(i), "card_number"));
      account_ids.insert(card->account_id);
      cards.emplace(number, *std::move(card));
    }
    LockAccounts(tx, program_id, account_ids);
    CommitRun run(tx, program_id, now);
    for (size_t i = 0; i < transfers.size(); ++i) {
      ASSIGN_OR_RETURN(TransferResult result, run.Apply(transfers[i], field_prefix(i),
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
        CommitRun run(tx, program_id, now);
        for (const auto& account : accounts) {
          const std::string account_id = account[0].as<std::string>();
          std::optional<sql::CardRow> card = sql::FindCardByAccount(tx, program_id, account_id);
          if (!card) {
            return absl::InternalError(absl::StrCat("account ", account_id, " has no card"));
          }
          // What counts as expired is the domain's rule (LotStateAt), as in
          // Apply, which plans the same takes again under the same lock.
          const int64_t expired =
              TotalTaken(PlanExpiration(sql::LoadOpenLots(tx, program_id, account_id), now));
          if (expired == 0) continue;  // spent since the candidate query
          TransferSpec spec{.transfer_id = absl::StrCat("expiry:", account_id, ":", now_micros),
                            .kind = TransferKind::kExpiration,
                            .card_number = card->number,
                            .amount = expired};
          ASSIGN_OR_RETURN(TransferResult result, run.Apply(spec, "", *card));
          batch.accounts += 1;
          batch.points += result.amount;
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
    LockAccounts(tx, program_id, {source->account_id, target->account_id});
    if (sql::LoadHeld(tx, program_id, source->account_id, now) > 0) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "source_number",
                        "the card has open holds (a receipt in progress)");
    }
    int64_t target_balance = 0;
    for (const Lot& lot : sql::LoadOpenLots(tx, program_id, source->account_id)) {
      // Expired points are worth nothing; the sweep takes them from the
      // source as from any card.
      if (LotStateAt(lot, now) == LotState::kExpired) continue;
      const std::string transfer_id = absl::StrCat("merge:", source->number, ":", lot.lot_id);
      const std::string fingerprint = Fingerprint("merge.v1")
                                          .Add(source->number)
                                          .Add(target->number)
                                          .Add(lot.lot_id)
                                          .Add(lot.remaining)
                                          .Digest();
      const TransferRow row{.transfer_id = transfer_id,
                            .kind = TransferKind::kMerge,
                            .fingerprint = fingerprint,
                            .card_number = target->number,
                            .debit = source->account_id,
                            .credit = target->account_id,
                            .requested = lot.remaining,
                            .moved = lot.remaining,
                            .reference = lot.reference,
                            .reason = reason,
                            .actor = actor};
      if (!InsertTransfer(tx, program_id, row, now_micros)) {
        return absl::InternalError(absl::StrCat("merge transfer ", transfer_id, " exists"));
      }
      InsertPostings(tx, program_id, row, now_micros);
      AddToBalance(tx, program_id, source->account_id, -lot.remaining);
      target_balance = AddToBalance(tx, program_id, target->account_id, lot.remaining);
      const LotTake take{lot.lot_id, lot.remaining};
      RETURN_IF_ERROR(ConsumeLots(tx, program_id, transfer_id, {&take, 1}));
      InsertLot(tx, program_id, target->account_id, row, lot.activate_time, lot.expire_time);
      const TransferSpec spec{.transfer_id = transfer_id,
                              .kind = TransferKind::kMerge,
                              .card_number = target->number,
                              .amount = lot.remaining,
                              .expire_time = lot.expire_time,
                              .reference = source->number,
                              .reason = reason,
                              .actor = actor};
      const TransferResult applied{
          .transfer_id = transfer_id, .amount = lot.remaining, .create_time = now};
      AppendPointsTransferred(tx, program_id,
                              AppliedTransfer{.spec = spec,
                                              .result = applied,
                                              .client_id = target->client_id,
                                              .account_id = target->account_id,
                                              .activate_time = lot.activate_time,
                                              .balance_after = target_balance});
      result.points += lot.remaining;
      result.lots += 1;
    }
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
