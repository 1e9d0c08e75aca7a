#include "services/cards/storage/transfer_batch.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/pg/array_literal.h"
#include "libs/pg/prepared.h"
#include "services/cards/domain/fingerprint.h"
#include "services/cards/storage/ledger_writes.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {

std::string SystemAccountCache::Get(pg::Tx& tx, absl::string_view program_id, AccountKind kind,
                                    absl::string_view partner_id) {
  const Key key(std::string(program_id), kind, std::string(partner_id));
  {
    std::lock_guard lock(mutex_);
    auto it = ids_.find(key);
    if (it != ids_.end()) return it->second;
  }
  const std::string name(AccountKindName(kind));
  const char* select =
      "SELECT account_id::text FROM accounts"
      " WHERE program_id = $1 AND kind = $2 AND partner_id = $3";
  pqxx::result rows = pg::ExecPrepared(tx, select, std::get<0>(key), name, std::get<2>(key));
  if (!rows.empty()) {
    std::string id = rows[0][0].as<std::string>();
    std::lock_guard lock(mutex_);
    ids_.emplace(key, id);
    return id;
  }
  // ON CONFLICT waits for a concurrent creator to commit and then does
  // nothing; the next statement's snapshot sees that creator's row. Either
  // row may still be this transaction's own, so it is not remembered yet.
  pg::ExecPrepared(tx,
                   "INSERT INTO accounts (program_id, account_id, kind, partner_id)"
                   " VALUES ($1, $2::uuid, $3, $4)"
                   " ON CONFLICT (program_id, kind, partner_id) WHERE kind <> 'member' DO NOTHING",
                   std::get<0>(key), NewUuid(), name, std::get<2>(key));
  return pg::ExecPrepared(tx, select, std::get<0>(key), name, std::get<2>(key))
      .at(0)[0]
      .as<std::string>();
}

namespace {

// A member account as the batch has left it so far.
struct AccountState {
  int64_t balance = 0;    // the stored balance column
  std::vector<Lot> lots;  // with points left; new lots have provisional ids
  int64_t held = 0;       // points reserved by open holds
};

// A transfer id already used: by a committed transfer or earlier in this
// batch.
struct UsedId {
  std::string fingerprint;
  TransferResult result;  // replayed = true
};

class BatchRun final {
 public:
  BatchRun(pg::Tx& tx, absl::string_view program_id, absl::Time now,
           SystemAccountCache& system_accounts)
      : tx_(tx), program_id_(program_id), now_(now), system_accounts_(system_accounts) {}

  absl::StatusOr<std::vector<absl::StatusOr<CommitResult>>> Run(
      std::span<const CommitRequest* const> requests);

 private:
  // Reads everything the batch needs, one query per kind of row.
  void Load(std::span<const CommitRequest* const> requests);
  absl::StatusOr<CommitResult> ApplyRequest(const CommitRequest& request);
  absl::StatusOr<TransferResult> Apply(const TransferSpec& spec, const std::string& prefix,
                                       const sql::CardRow& card);
  absl::StatusOr<sql::HoldRow*> HoldForPosting(const TransferSpec& spec, const std::string& prefix,
                                               const sql::CardRow& card);

  pg::Tx& tx_;
  const std::string program_id_;
  const absl::Time now_;
  SystemAccountCache& system_accounts_;

  std::map<std::string, sql::CardRow> cards_;  // by the number or barcode given
  std::map<std::string, AccountState> accounts_;
  std::map<std::string, UsedId> used_ids_;
  std::map<std::string, sql::HoldRow> holds_;  // holds the batch posts
  LedgerWrites writes_;
};

// A transfer's stored debt_change (+ taken into debt, - repaid) as its
// result reports it.
void SetDebtChange(TransferResult& result, int64_t debt_change) {
  result.into_debt = std::max<int64_t>(0, debt_change);
  result.repaid_debt = std::max<int64_t>(0, -debt_change);
}

// Transfer ids already used, with what replaying them returns:
// ($1 program_id, $2 transfer ids).
constexpr char kUsedTransferIds[] =
    "SELECT t.* FROM unnest($2::text[]) AS k(id) CROSS JOIN LATERAL"
    " (SELECT transfer_id, fingerprint, amount, ts_to_micros(created_at), debt_change"
    "  FROM transfers"
    "  WHERE program_id = $1 AND transfer_id = k.id OFFSET 0) AS t";

void BatchRun::Load(std::span<const CommitRequest* const> requests) {
  std::set<std::string> numbers, transfer_ids, hold_ids;
  for (const CommitRequest* request : requests) {
    for (const TransferSpec& spec : request->transfers) {
      numbers.insert(spec.card_number);
      transfer_ids.insert(spec.transfer_id);
      if (!spec.hold_id.empty()) hold_ids.insert(spec.hold_id);
    }
  }
  const std::string keys = pg::TextArray(std::vector<std::string>(numbers.begin(), numbers.end()));
  const std::string now = std::to_string(sql::Micros(now_));
  // One round trip: the cards' accounts are locked first, and every later
  // statement reads, with its own snapshot, what concurrent callers
  // committed before the locks were ours; nothing changes it until commit.
  // Holds are locked too, so that a concurrent VoidHold or second posting
  // waits for this batch and then sees its outcome.
  std::map<std::string, int64_t> extra_locked;
  for (;;) {
    pg::PreparedBatch batch(tx_);
    const size_t locked = batch.Add(sql::LockAccountsOfCardsSql(), program_id_, keys);
    const size_t cards = batch.Add(sql::FindCardsSql(), program_id_, keys);
    const size_t lots = batch.Add(sql::OpenLotsOfCardsSql(), program_id_, keys);
    const size_t held = batch.Add(sql::HeldOfCardsSql(), program_id_, keys, now);
    const size_t used = batch.Add(
        kUsedTransferIds, program_id_,
        pg::TextArray(std::vector<std::string>(transfer_ids.begin(), transfer_ids.end())));
    std::optional<size_t> holds;
    if (!hold_ids.empty()) {
      holds = batch.Add(sql::HoldsSql(/*for_update=*/true), program_id_,
                        pg::TextArray(std::vector<std::string>(hold_ids.begin(), hold_ids.end())));
    }
    const std::vector<pqxx::result> results = batch.Run();

    std::map<std::string, int64_t> balances = sql::ReadAccountAmounts(results[locked]);
    balances.insert(extra_locked.begin(), extra_locked.end());
    cards_ = sql::ReadFoundCards(results[cards],
                                 std::vector<std::string>(numbers.begin(), numbers.end()));
    // A card joining or leaving a master account changes its account in a
    // transaction that holds both accounts locked. One that committed
    // between the lock statement's snapshot and its locks leaves a card
    // pointing at an account we do not hold: lock it and read again.
    std::set<std::string> missing;
    for (const auto& [number, card] : cards_) {
      if (!balances.contains(card.account_id)) missing.insert(card.account_id);
    }
    if (!missing.empty()) {
      for (auto& [account_id, balance] : LockMemberAccounts(tx_, program_id_, missing)) {
        extra_locked[account_id] = balance;
      }
      continue;
    }

    accounts_.clear();
    for (const auto& [account_id, balance] : balances) accounts_[account_id].balance = balance;
    for (auto& [account_id, account_lots] : sql::ReadOpenLots(results[lots])) {
      accounts_[account_id].lots = std::move(account_lots);
    }
    for (const auto& [account_id, amount] : sql::ReadAccountAmounts(results[held])) {
      accounts_[account_id].held = amount;
    }
    for (const auto& row : results[used]) {
      std::string id = row[0].as<std::string>();
      used_ids_.emplace(id, UsedId{.fingerprint = row[1].as<std::string>(),
                                   .result = TransferResult{.transfer_id = id,
                                                            .amount = row[2].as<int64_t>(),
                                                            .create_time = sql::TimeOf(row[3]),
                                                            .replayed = true}});
      SetDebtChange(used_ids_.at(id).result, row[4].as<int64_t>());
    }
    if (holds) holds_ = sql::ReadHolds(results[*holds], now_);
    return;
  }
}

absl::StatusOr<std::vector<absl::StatusOr<CommitResult>>> BatchRun::Run(
    std::span<const CommitRequest* const> requests) {
  Load(requests);
  std::vector<absl::StatusOr<CommitResult>> results;
  results.reserve(requests.size());
  for (const CommitRequest* request : requests) results.push_back(ApplyRequest(*request));
  RETURN_IF_ERROR(writes_.Flush(tx_, program_id_, now_));
  return results;
}

absl::StatusOr<CommitResult> BatchRun::ApplyRequest(const CommitRequest& request) {
  // Every card must exist before anything is decided.
  std::set<std::string> touched_accounts;
  for (size_t i = 0; i < request.transfers.size(); ++i) {
    auto card = cards_.find(request.transfers[i].card_number);
    if (card == cards_.end()) {
      return FieldError(absl::StatusCode::kNotFound,
                        absl::StrCat(request.field_prefix(i), "card_number"), "no such card");
    }
    touched_accounts.insert(card->second.account_id);
  }

  // What to restore if a later transfer of this request is refused.
  const LedgerWrites::Mark mark = writes_.mark();
  std::map<std::string, AccountState> saved_accounts;
  for (const std::string& account_id : touched_accounts) {
    saved_accounts.emplace(account_id, accounts_[account_id]);
  }
  std::map<std::string, sql::HoldRow> saved_holds;
  for (const TransferSpec& spec : request.transfers) {
    auto hold = holds_.find(spec.hold_id);
    if (hold != holds_.end()) saved_holds.insert(*hold);
  }
  std::vector<std::string> new_ids;

  CommitResult out;
  absl::Status status = absl::OkStatus();
  for (size_t i = 0; i < request.transfers.size() && status.ok(); ++i) {
    const TransferSpec& spec = request.transfers[i];
    const bool known = used_ids_.contains(spec.transfer_id);
    absl::StatusOr<TransferResult> result =
        Apply(spec, request.field_prefix(i), cards_.at(spec.card_number));
    if (!result.ok()) {
      status = result.status();
      break;
    }
    if (!known) new_ids.push_back(spec.transfer_id);
    out.results.push_back(*std::move(result));
  }
  if (!status.ok()) {
    writes_.RollBack(mark);
    for (auto& [account_id, state] : saved_accounts) accounts_[account_id] = std::move(state);
    for (auto& [hold_id, hold] : saved_holds) holds_[hold_id] = std::move(hold);
    for (const std::string& id : new_ids) used_ids_.erase(id);
    return status;
  }
  const AccountState& first = accounts_[cards_.at(request.transfers[0].card_number).account_id];
  out.balance = SummarizeBalance(first.lots, first.held, now_, kDefaultExpiringWindow,
                                 DebtOf(first.lots, first.balance));
  return out;
}

absl::StatusOr<sql::HoldRow*> BatchRun::HoldForPosting(const TransferSpec& spec,
                                                       const std::string& prefix,
                                                       const sql::CardRow& card) {
  const std::string field = prefix + "hold_id";
  auto it = holds_.find(spec.hold_id);
  if (it == holds_.end()) return FieldError(absl::StatusCode::kNotFound, field, "no such hold");
  sql::HoldRow& hold = it->second;
  if (hold.account_id != card.account_id) {
    return FieldError(absl::StatusCode::kFailedPrecondition, field, "the hold is on another card");
  }
  switch (hold.hold.state) {
    case HoldState::kHeld:
      break;
    case HoldState::kPosted:
      return FieldError(absl::StatusCode::kFailedPrecondition, field, "the hold is already posted");
    case HoldState::kVoided:
      return FieldError(absl::StatusCode::kFailedPrecondition, field, "the hold was voided");
    case HoldState::kExpired:
      return FieldError(absl::StatusCode::kFailedPrecondition, field, "the hold expired");
  }
  if (hold.hold.amount != spec.amount) {
    return InvalidField(prefix + "amount",
                        absl::StrCat("must equal the hold's amount ", hold.hold.amount));
  }
  return &hold;
}

absl::StatusOr<TransferResult> BatchRun::Apply(const TransferSpec& spec, const std::string& prefix,
                                               const sql::CardRow& card) {
  const std::string fingerprint = TransferFingerprint(spec);
  if (auto used = used_ids_.find(spec.transfer_id); used != used_ids_.end()) {
    if (used->second.fingerprint != fingerprint) {
      return FieldError(absl::StatusCode::kAlreadyExists, prefix + "transfer_id",
                        "already used for a different transfer");
    }
    return used->second.result;
  }

  // Refunds still go through on a blocked card; new business does not.
  if ((spec.kind == TransferKind::kAccrual || spec.kind == TransferKind::kRedemption) &&
      card.status != CardStatus::kActive) {
    return FieldError(absl::StatusCode::kFailedPrecondition, prefix + "card_number",
                      absl::StrCat("the card is ", CardStatusName(card.status)));
  }

  AccountState& account = accounts_[card.account_id];
  const TransferRoute route = RouteOf(spec.kind);
  std::vector<LotTake> takes;
  sql::HoldRow* hold = nullptr;
  int64_t moved = spec.amount;
  // + taken below zero, - repaid (the transfers row's debt_change).
  int64_t debt_change = 0;
  const int64_t debt = DebtOf(account.lots, account.balance);
  if (route.member_is_source) {
    const int64_t held = account.held;
    // Debt reserves points like a hold: spending must leave it covered.
    const int64_t reserved = held + debt;
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
      case TransferKind::kRedemption: {
        if (spec.hold_id.empty()) {
          RETURN_IF_ERROR(all_or_refuse(PlanRedemption(account.lots, now_, spec.amount, reserved)));
          break;
        }
        ASSIGN_OR_RETURN(hold, HoldForPosting(spec, prefix, card));
        // A hold reserved its points before any later debt: posting it
        // spends them whatever the account owes since (the debt stays).
        RETURN_IF_ERROR(all_or_refuse(
            PlanRedemption(account.lots, now_, spec.amount, held - hold->hold.amount)));
        break;
      }
      case TransferKind::kCorrectionDebit:
        RETURN_IF_ERROR(
            all_or_refuse(PlanCorrectionDebit(account.lots, now_, spec.amount, reserved)));
        break;
      case TransferKind::kExpiration:
        takes = PlanExpiration(account.lots, now_);
        moved = TotalTaken(takes);
        break;
      default: {  // kAccrualReversal, the only other kind with a member source
        // Debt and open holds both keep their points: the lots give at most
        // what the balance has beyond them. The floor bounds the balance as
        // it will be once the holds are posted too (posting is allowed
        // whatever the debt), so held points are no room for more debt.
        const int64_t room_in_lots = std::max<int64_t>(0, account.balance - held);
        takes = PlanAccrualReversal(account.lots, now_, std::min(spec.amount, room_in_lots),
                                    reserved, spec.reference);
        const int64_t taken = TotalTaken(takes);
        debt_change =
            PlanDebt(spec.amount - taken, account.balance - taken - held, spec.negative_floor);
        moved = taken + debt_change;
        break;
      }
    }
  } else if (route.creates_lot) {
    // A credit repays the debt before it becomes spendable points.
    debt_change = -std::min(debt, moved);
  }

  // A partner's accruals come from its own `issued` account and its
  // redemptions go to its own `redeemed` account (reversals likewise).
  const std::string system =
      system_accounts_.Get(tx_, program_id_, route.system_account, spec.partner_id);
  writes_.AddTransfer(
      TransferRecord{.transfer_id = spec.transfer_id,
                     .kind = spec.kind,
                     .fingerprint = fingerprint,
                     .card_number = spec.card_number,
                     .debit_account_id = route.member_is_source ? card.account_id : system,
                     .credit_account_id = route.member_is_source ? system : card.account_id,
                     .requested = spec.amount,
                     .moved = moved,
                     .hold_id = spec.hold_id,
                     .reference = spec.reference,
                     .reason = spec.reason,
                     .actor = spec.actor,
                     .partner_id = spec.partner_id,
                     .debt_change = debt_change});
  const int64_t member_delta = route.member_is_source ? -moved : moved;
  account.balance += member_delta;
  writes_.AddBalanceDelta(card.account_id, member_delta);

  const absl::Time activate_time = spec.activate_time.value_or(now_);
  // What repaid debt becomes no lot (a credit that only repays creates none).
  const int64_t lot_amount = moved + std::min<int64_t>(debt_change, 0);
  if (route.creates_lot && lot_amount > 0) {
    const int64_t lot_id = writes_.AddLot(NewLot{.account_id = card.account_id,
                                                 .transfer_id = spec.transfer_id,
                                                 .origin = spec.kind,
                                                 .reference = spec.reference,
                                                 .amount = lot_amount,
                                                 .activate_time = activate_time,
                                                 .expire_time = spec.expire_time,
                                                 .partner_id = spec.partner_id});
    account.lots.push_back(Lot{.lot_id = lot_id,
                               .remaining = lot_amount,
                               .activate_time = activate_time,
                               .expire_time = spec.expire_time,
                               .origin = spec.kind,
                               .reference = spec.reference,
                               .partner_id = spec.partner_id});
  }
  for (const LotTake& take : takes) {
    for (Lot& lot : account.lots) {
      if (lot.lot_id == take.lot_id) lot.remaining -= take.amount;
    }
    writes_.Consume(take.lot_id, spec.transfer_id, take.amount);
  }
  std::erase_if(account.lots, [](const Lot& lot) { return lot.remaining <= 0; });
  if (hold != nullptr) {
    hold->stored_state = HoldState::kPosted;
    hold->hold.state = HoldState::kPosted;
    account.held -= hold->hold.amount;
    writes_.PostHold(spec.hold_id, spec.transfer_id);
  }

  TransferResult result{
      .transfer_id = spec.transfer_id, .amount = moved, .create_time = now_, .replayed = false};
  SetDebtChange(result, debt_change);
  TransferResult replay = result;
  replay.replayed = true;
  used_ids_.emplace(spec.transfer_id, UsedId{.fingerprint = fingerprint, .result = replay});
  writes_.AddEvent(AppliedTransfer{.spec = spec,
                                   .result = result,
                                   .client_id = card.client_id,
                                   .account_id = card.account_id,
                                   .activate_time = activate_time,
                                   .balance_after = account.balance});
  return result;
}

}  // namespace

absl::StatusOr<std::vector<absl::StatusOr<CommitResult>>> ApplyTransferBatch(
    pg::Tx& tx, absl::string_view program_id, absl::Time now,
    std::span<const CommitRequest* const> requests, SystemAccountCache& system_accounts) {
  BatchRun run(tx, program_id, now, system_accounts);
  return run.Run(requests);
}

}  // namespace loyalty::cards
