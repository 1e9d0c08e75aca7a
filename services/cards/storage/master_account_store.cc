#include "services/cards/storage/master_account_store.h"

#include <algorithm>
#include <map>
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
#include "services/cards/domain/definition.h"
#include "services/cards/domain/fingerprint.h"
#include "services/cards/storage/events.h"
#include "services/cards/storage/ledger_writes.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {
namespace {

// Kinds whose postings on the master account count for the card they name.
constexpr char kContributionKinds[] = "('POOL_JOIN', 'ACCRUAL', 'MERGE', 'ACCRUAL_REVERSAL')";
// Kinds whose lots in the master account are the named card's own.
constexpr char kOwnLotKinds[] = "('POOL_JOIN', 'ACCRUAL', 'MERGE')";

struct MasterRow {
  LeaveRule default_rule = LeaveRule::kProportional;
  bool dissolved = false;
  absl::Time create_time;
};

struct MemberRow {
  int64_t membership_id = 0;
  std::string card_number;
  int64_t posting_floor = 0;
  int64_t joined_points = 0;
  absl::Time join_time;
  int64_t contribution = 0;
};

absl::Status NoSuchMaster() {
  return FieldError(absl::StatusCode::kNotFound, "master_account_id", "no such master account");
}

std::optional<MasterRow> LoadMaster(pg::Tx& tx, absl::string_view program_id,
                                    const std::string& account_id) {
  pqxx::result rows = tx.exec_params(
      "SELECT default_leave_rule, state, ts_to_micros(created_at) FROM master_accounts"
      " WHERE program_id = $1 AND account_id = $2::uuid",
      std::string(program_id), account_id);
  if (rows.empty()) return std::nullopt;
  return MasterRow{
      .default_rule = *ParseLeaveRule(rows[0][0].as<std::string>()),  // the column's CHECK
      .dissolved = rows[0][1].as<std::string>() == "DISSOLVED",
      .create_time = sql::TimeOf(rows[0][2])};
}

// Current members with their contributions, in card number order.
std::vector<MemberRow> LoadMembers(pg::Tx& tx, absl::string_view program_id,
                                   const std::string& account_id) {
  std::vector<MemberRow> members;
  for (const auto& row : tx.exec_params(
           absl::StrCat("SELECT m.membership_id, m.card_number, m.posting_floor, m.joined_points,"
                        "       ts_to_micros(m.joined_at), COALESCE(c.total, 0)::bigint"
                        " FROM master_members m LEFT JOIN LATERAL ("
                        "   SELECT sum(p.amount) AS total FROM postings p"
                        "   JOIN transfers t ON t.program_id = p.program_id"
                        "    AND t.transfer_id = p.transfer_id"
                        "   WHERE p.program_id = m.program_id AND p.account_id = m.account_id"
                        "     AND p.posting_id > m.posting_floor AND t.card_number = m.card_number"
                        "     AND t.kind IN ",
                        kContributionKinds,
                        ") c ON true"
                        " WHERE m.program_id = $1 AND m.account_id = $2::uuid AND m.left_at IS NULL"
                        " ORDER BY m.card_number"),
           std::string(program_id), account_id)) {
    members.push_back(MemberRow{.membership_id = row[0].as<int64_t>(),
                                .card_number = row[1].as<std::string>(),
                                .posting_floor = row[2].as<int64_t>(),
                                .joined_points = row[3].as<int64_t>(),
                                .join_time = sql::TimeOf(row[4]),
                                .contribution = row[5].as<int64_t>()});
  }
  return members;
}

// Lots with points left in the master account that `member` brought in or
// accrued while a member.
std::set<int64_t> OwnLotIds(pg::Tx& tx, absl::string_view program_id, const std::string& account_id,
                            const MemberRow& member) {
  std::set<int64_t> ids;
  for (const auto& row : tx.exec_params(
           absl::StrCat("SELECT l.lot_id FROM lots l"
                        " JOIN transfers t ON t.program_id = l.program_id"
                        "  AND t.transfer_id = l.transfer_id"
                        " WHERE l.program_id = $1 AND l.account_id = $2::uuid AND l.remaining > 0"
                        "   AND t.card_number = $3 AND t.kind IN ",
                        kOwnLotKinds,
                        "   AND EXISTS (SELECT 1 FROM postings p"
                        "     WHERE p.program_id = l.program_id AND p.transfer_id = l.transfer_id"
                        "       AND p.account_id = l.account_id AND p.posting_id > $4)"),
           std::string(program_id), account_id, member.card_number, member.posting_floor)) {
    ids.insert(row[0].as<int64_t>());
  }
  return ids;
}

int64_t TotalContribution(const std::vector<MemberRow>& members) {
  int64_t total = 0;
  for (const MemberRow& member : members) total += std::max<int64_t>(member.contribution, 0);
  return total;
}

MasterAccountView ViewOf(pg::Tx& tx, absl::string_view program_id, const std::string& account_id,
                         const MasterRow& master, absl::Time now) {
  MasterAccountView view{.master_account_id = account_id,
                         .dissolved = master.dissolved,
                         .default_leave_rule = master.default_rule,
                         .create_time = master.create_time};
  std::vector<MemberRow> members = LoadMembers(tx, program_id, account_id);
  view.total_contribution = TotalContribution(members);
  const std::vector<Lot> lots = sql::LoadOpenLots(tx, program_id, account_id);
  const int64_t unexpired = UnexpiredPoints(lots, now);
  for (const MemberRow& member : members) {
    const std::set<int64_t> own = OwnLotIds(tx, program_id, account_id, member);
    int64_t own_remaining = 0;
    for (const LotTake& take :
         PlanLeave(lots, now, LeaveInput{.rule = LeaveRule::kOwnRemaining, .own_lot_ids = own})) {
      own_remaining += take.amount;
    }
    view.members.push_back(MasterMemberView{
        .card_number = member.card_number,
        .join_time = member.join_time,
        .joined_points = member.joined_points,
        .contribution = member.contribution,
        .share_bp = ShareBasisPoints(member.contribution, view.total_contribution),
        .proportional_points =
            ProportionalShare(unexpired, member.contribution, view.total_contribution),
        .own_remaining_points = own_remaining});
  }
  view.balance = sql::LoadBalance(tx, program_id, account_id, now);
  return view;
}

struct StoredRequest {
  std::string fingerprint;
  std::string account_id;
  std::optional<int64_t> membership_id;
};

std::optional<StoredRequest> FindRequest(pg::Tx& tx, absl::string_view program_id,
                                         absl::string_view request_id) {
  pqxx::result rows = tx.exec_params(
      "SELECT fingerprint, account_id::text, membership_id FROM master_account_requests"
      " WHERE program_id = $1 AND request_id = $2",
      std::string(program_id), std::string(request_id));
  if (rows.empty()) return std::nullopt;
  StoredRequest stored{.fingerprint = rows[0][0].as<std::string>(),
                       .account_id = rows[0][1].as<std::string>()};
  if (!rows[0][2].is_null()) stored.membership_id = rows[0][2].as<int64_t>();
  return stored;
}

// Looks the request id up: the stored request when it was applied with the
// same content, ALREADY_EXISTS with other content. Otherwise records it
// (a concurrent twin makes this insert fail on the key, and
// TransactIdempotent runs the body again to find the winner).
absl::StatusOr<std::optional<StoredRequest>> ClaimRequest(pg::Tx& tx, absl::string_view program_id,
                                                          absl::string_view request_id,
                                                          const std::string& fingerprint,
                                                          const std::string& account_id,
                                                          absl::Time now) {
  if (std::optional<StoredRequest> stored = FindRequest(tx, program_id, request_id)) {
    if (stored->fingerprint != fingerprint) {
      return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                        "already used for a different request");
    }
    return stored;
  }
  tx.exec_params(
      "INSERT INTO master_account_requests (program_id, request_id, fingerprint, account_id,"
      "                                     created_at)"
      " VALUES ($1, $2, $3, $4::uuid, micros_to_ts($5))",
      std::string(program_id), std::string(request_id), fingerprint, account_id, sql::Micros(now));
  return std::optional<StoredRequest>();
}

absl::Status ValidateCall(absl::string_view request_id) {
  if (request_id.empty()) return InvalidField("request_id", "required");
  return ValidateRequestId(request_id);
}

absl::Status ValidateCardField(absl::string_view field, absl::string_view number) {
  if (number.empty()) return InvalidField(field, "required");
  return ValidateNoControlCharacters(field, number);
}

// Checks the fields of AddMember and RemoveMember; returns the master
// account id normalized.
absl::StatusOr<std::string> ValidateMemberCall(absl::string_view request_id,
                                               absl::string_view master_account_id,
                                               absl::string_view card_number) {
  RETURN_IF_ERROR(ValidateCall(request_id));
  std::string master_id(master_account_id);
  RETURN_IF_ERROR(NormalizeUuid("master_account_id", master_id));
  RETURN_IF_ERROR(ValidateCardField("card_number", card_number));
  return master_id;
}

// Locks the card rows in number order, as MergeCards does, and reads them
// again under the lock.
std::vector<sql::CardRow> LockCards(pg::Tx& tx, absl::string_view program_id,
                                    std::vector<std::string> numbers) {
  std::sort(numbers.begin(), numbers.end());
  std::vector<sql::CardRow> cards;
  for (const std::string& number : numbers) {
    tx.exec_params("SELECT 1 FROM cards WHERE program_id = $1 AND number = $2 FOR UPDATE",
                   std::string(program_id), number);
    cards.push_back(*sql::FindCard(tx, program_id, number));
  }
  return cards;
}

int64_t NextVal(pg::Tx& tx, const char* table, const char* column) {
  return tx
      .exec_params1("SELECT nextval(pg_get_serial_sequence($1, $2))", std::string(table),
                    std::string(column))[0]
      .as<int64_t>();
}

std::string NewMemberAccount(pg::Tx& tx, absl::string_view program_id, absl::Time now) {
  std::string account_id = NewUuid();
  tx.exec_params(
      "INSERT INTO accounts (program_id, account_id, kind, balance, created_at)"
      " VALUES ($1, $2::uuid, 'member', 0, micros_to_ts($3))",
      std::string(program_id), account_id, sql::Micros(now));
  return account_id;
}

// Writes of one call: member -> member lot moves and expirations.
class PoolWrites final {
 public:
  PoolWrites(absl::string_view program_id, absl::Time now, std::string actor)
      : program_id_(program_id), now_(now), actor_(std::move(actor)) {}

  // Moves `amount` of `lot` from `from` to `to` as one `kind` transfer named
  // by `card`, creating a lot with the same activation and expiry in `to`.
  void Move(TransferKind kind, const std::string& transfer_id, const sql::CardRow& card,
            const Lot& lot, int64_t amount, const std::string& from, const std::string& to,
            int64_t to_balance_after) {
    writes_.AddTransfer(TransferRecord{.transfer_id = transfer_id,
                                       .kind = kind,
                                       .fingerprint = Fingerprint("pool.v1")
                                                          .Add(TransferKindName(kind))
                                                          .Add(card.number)
                                                          .Add(lot.lot_id)
                                                          .Add(amount)
                                                          .Digest(),
                                       .card_number = card.number,
                                       .debit_account_id = from,
                                       .credit_account_id = to,
                                       .requested = amount,
                                       .moved = amount,
                                       .reference = lot.reference,
                                       .actor = actor_});
    writes_.AddBalanceDelta(from, -amount);
    writes_.AddBalanceDelta(to, amount);
    writes_.Consume(lot.lot_id, transfer_id, amount);
    writes_.AddLot(NewLot{.account_id = to,
                          .transfer_id = transfer_id,
                          .origin = kind,
                          .reference = lot.reference,
                          .amount = amount,
                          .activate_time = lot.activate_time,
                          .expire_time = lot.expire_time,
                          // Whoever issued the points still owes them (CRD-9).
                          .partner_id = lot.partner_id});
    writes_.AddEvent(AppliedTransfer{
        .spec = TransferSpec{.transfer_id = transfer_id,
                             .kind = kind,
                             .card_number = card.number,
                             .amount = amount,
                             .expire_time = lot.expire_time,
                             .reference = lot.reference,
                             .actor = actor_},
        .result = TransferResult{.transfer_id = transfer_id, .amount = amount, .create_time = now_},
        .client_id = card.client_id,
        .account_id = to,
        .activate_time = lot.activate_time,
        .balance_after = to_balance_after});
  }

  // Expires what the account's expired lots have left (one EXPIRATION
  // transfer), so that an account no card will name again is left empty
  // rather than waiting for a sweep that looks accounts up by card.
  // Returns the points expired.
  int64_t Expire(const std::string& transfer_id, const sql::CardRow& card,
                 const std::string& account_id, const std::vector<Lot>& lots,
                 const std::string& expired_account_id, int64_t balance_after) {
    const std::vector<LotTake> takes = PlanExpiration(lots, now_);
    const int64_t amount = TotalTaken(takes);
    if (amount == 0) return 0;
    writes_.AddTransfer(TransferRecord{
        .transfer_id = transfer_id,
        .kind = TransferKind::kExpiration,
        .fingerprint = Fingerprint("pool.expire.v1").Add(account_id).Add(amount).Digest(),
        .card_number = card.number,
        .debit_account_id = account_id,
        .credit_account_id = expired_account_id,
        .requested = amount,
        .moved = amount,
        .actor = actor_});
    writes_.AddBalanceDelta(account_id, -amount);
    for (const LotTake& take : takes) writes_.Consume(take.lot_id, transfer_id, take.amount);
    writes_.AddEvent(AppliedTransfer{
        .spec = TransferSpec{.transfer_id = transfer_id,
                             .kind = TransferKind::kExpiration,
                             .card_number = card.number,
                             .amount = amount,
                             .actor = actor_},
        .result = TransferResult{.transfer_id = transfer_id, .amount = amount, .create_time = now_},
        .client_id = card.client_id,
        .account_id = account_id,
        .balance_after = balance_after});
    return amount;
  }

  absl::Status Flush(pg::Tx& tx) const { return writes_.Flush(tx, program_id_, now_); }

 private:
  std::string program_id_;
  absl::Time now_;
  std::string actor_;
  LedgerWrites writes_;
};

// The checks and writes of one card joining `master_id` (card and account
// rows locked by the caller). Returns the points moved in; `master_balance`
// follows the master account's stored balance.
absl::StatusOr<int64_t> Join(pg::Tx& tx, absl::string_view program_id, const std::string& master_id,
                             const sql::CardRow& card, absl::string_view field, absl::Time now,
                             PoolWrites& writes, int64_t& master_balance,
                             SystemAccountCache& system_accounts) {
  if (card.status != CardStatus::kActive) {
    return FieldError(absl::StatusCode::kFailedPrecondition, field,
                      absl::StrCat("the card is ", CardStatusName(card.status)));
  }
  pqxx::result current = tx.exec_params(
      "SELECT account_id::text FROM master_members"
      " WHERE program_id = $1 AND card_number = $2 AND left_at IS NULL",
      std::string(program_id), card.number);
  if (!current.empty() || card.account_id == master_id) {
    return FieldError(absl::StatusCode::kFailedPrecondition, field,
                      absl::StrCat("the card is already a member of master account ",
                                   current.empty() ? master_id : current[0][0].as<std::string>()));
  }
  if (sql::LoadHeld(tx, program_id, card.account_id, now) > 0) {
    return FieldError(absl::StatusCode::kFailedPrecondition, field,
                      "the card has open holds (a receipt in progress)");
  }
  const int64_t membership_id = NextVal(tx, "master_members", "membership_id");
  // Every posting of this membership is allocated after this value.
  const int64_t posting_floor = NextVal(tx, "postings", "posting_id");
  const std::vector<Lot> lots = sql::LoadOpenLots(tx, program_id, card.account_id);
  int64_t joined = 0;
  for (const Lot& lot : lots) {
    if (LotStateAt(lot, now) == LotState::kExpired) continue;
    joined += lot.remaining;
    master_balance += lot.remaining;
    writes.Move(TransferKind::kPoolJoin, absl::StrCat("pool-join:", membership_id, ":", lot.lot_id),
                card, lot, lot.remaining, card.account_id, master_id, master_balance);
  }
  writes.Expire(absl::StrCat("pool-expire:", membership_id), card, card.account_id, lots,
                system_accounts.Get(tx, program_id, AccountKind::kExpired), 0);
  tx.exec_params(
      "INSERT INTO master_members (membership_id, program_id, account_id, card_number,"
      "                            own_account_id, posting_floor, joined_points, joined_at)"
      " VALUES ($1, $2, $3::uuid, $4, $5::uuid, $6, $7, micros_to_ts($8))",
      membership_id, std::string(program_id), master_id, card.number, card.account_id,
      posting_floor, joined, sql::Micros(now));
  tx.exec_params("UPDATE cards SET account_id = $3::uuid WHERE program_id = $1 AND number = $2",
                 std::string(program_id), card.number, master_id);
  return joined;
}

std::vector<std::string> MemberNumbers(const MasterAccountView& view) {
  std::vector<std::string> numbers;
  for (const MasterMemberView& member : view.members) numbers.push_back(member.card_number);
  return numbers;
}

// The end of a call that joined cards: writes, then the view and the event.
absl::StatusOr<MasterAccountView> FinishJoin(pg::Tx& tx, absl::string_view program_id,
                                             const std::string& master_id, const MasterRow& master,
                                             const PoolWrites& writes, MasterAccountChange change) {
  RETURN_IF_ERROR(writes.Flush(tx));
  MasterAccountView view = ViewOf(tx, program_id, master_id, master, change.change_time);
  change.master_account_id = master_id;
  change.member_card_numbers = MemberNumbers(view);
  AppendMasterAccountChanged(tx, program_id, change);
  return view;
}

}  // namespace

absl::StatusOr<MasterAccountView> MasterAccountStore::Create(
    absl::string_view program_id, const std::vector<std::string>& card_numbers,
    LeaveRule default_rule, absl::string_view request_id, absl::string_view actor) {
  RETURN_IF_ERROR(ValidateCall(request_id));
  if (card_numbers.empty()) return InvalidField("card_numbers", "at least one card");
  if (card_numbers.size() > kMaxMasterAccountMembers) {
    return InvalidField("card_numbers", absl::StrCat("at most ", kMaxMasterAccountMembers));
  }
  Fingerprint fingerprint("master.create.v1");
  for (size_t i = 0; i < card_numbers.size(); ++i) {
    RETURN_IF_ERROR(ValidateCardField(absl::StrCat("card_numbers[", i, "]"), card_numbers[i]));
    fingerprint.Add(card_numbers[i]);
  }
  if (default_rule == LeaveRule::kUnspecified) default_rule = LeaveRule::kProportional;
  fingerprint.Add(LeaveRuleName(default_rule));
  const absl::Time now = sql::Truncate(clock_.Now());
  MasterAccountView view;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    std::string master_id = NewUuid();
    ASSIGN_OR_RETURN(
        std::optional<StoredRequest> stored,
        ClaimRequest(tx, program_id, request_id, fingerprint.Digest(), master_id, now));
    if (stored) {
      view = ViewOf(tx, program_id, stored->account_id,
                    *LoadMaster(tx, program_id, stored->account_id), now);
      view.replayed = true;
      return absl::OkStatus();
    }
    // Resolve numbers and barcodes, refusing repeats of one card.
    std::map<std::string, size_t> index_of;  // card number -> request index
    for (size_t i = 0; i < card_numbers.size(); ++i) {
      const std::string field = absl::StrCat("card_numbers[", i, "]");
      std::optional<sql::CardRow> card = sql::FindCard(tx, program_id, card_numbers[i]);
      if (!card) return FieldError(absl::StatusCode::kNotFound, field, "no such card");
      if (!index_of.emplace(card->number, i).second) return InvalidField(field, "repeated");
    }
    std::vector<std::string> numbers;
    for (const auto& [number, i] : index_of) numbers.push_back(number);
    const std::vector<sql::CardRow> cards = LockCards(tx, program_id, numbers);
    tx.exec_params(
        "INSERT INTO accounts (program_id, account_id, kind, balance, created_at)"
        " VALUES ($1, $2::uuid, 'member', 0, micros_to_ts($3))",
        std::string(program_id), master_id, sql::Micros(now));
    tx.exec_params(
        "INSERT INTO master_accounts (program_id, account_id, default_leave_rule, state,"
        "                             created_at)"
        " VALUES ($1, $2::uuid, $3, 'ACTIVE', micros_to_ts($4))",
        std::string(program_id), master_id, std::string(LeaveRuleName(default_rule)),
        sql::Micros(now));
    std::set<std::string> accounts{master_id};
    for (const sql::CardRow& card : cards) accounts.insert(card.account_id);
    LockMemberAccounts(tx, program_id, accounts);
    PoolWrites writes(program_id, now, std::string(actor));
    int64_t balance = 0;
    for (const sql::CardRow& card : cards) {
      RETURN_IF_ERROR(Join(tx, program_id, master_id, card,
                           absl::StrCat("card_numbers[", index_of.at(card.number), "]"), now,
                           writes, balance, system_accounts_)
                          .status());
    }
    ASSIGN_OR_RETURN(
        view, FinishJoin(tx, program_id, master_id, *LoadMaster(tx, program_id, master_id), writes,
                         MasterAccountChange{.kind = MasterAccountChangeKind::kCreated,
                                             .card_numbers = numbers,
                                             .points = balance,
                                             .balance_after = balance,
                                             .actor = std::string(actor),
                                             .change_time = now}));
    return absl::OkStatus();
  }));
  return view;
}

absl::StatusOr<MasterAccountView> MasterAccountStore::AddMember(absl::string_view program_id,
                                                                absl::string_view master_account_id,
                                                                absl::string_view card_number,
                                                                absl::string_view request_id,
                                                                absl::string_view actor) {
  ASSIGN_OR_RETURN(const std::string master_id,
                   ValidateMemberCall(request_id, master_account_id, card_number));
  const std::string fingerprint =
      Fingerprint("master.add.v1").Add(master_id).Add(card_number).Digest();
  const absl::Time now = sql::Truncate(clock_.Now());
  MasterAccountView view;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<StoredRequest> stored,
                     ClaimRequest(tx, program_id, request_id, fingerprint, master_id, now));
    std::optional<MasterRow> master = LoadMaster(tx, program_id, master_id);
    if (!master) return NoSuchMaster();
    if (stored) {
      view = ViewOf(tx, program_id, master_id, *master, now);
      view.replayed = true;
      return absl::OkStatus();
    }
    std::optional<sql::CardRow> found = sql::FindCard(tx, program_id, card_number);
    if (!found) return FieldError(absl::StatusCode::kNotFound, "card_number", "no such card");
    const sql::CardRow card = LockCards(tx, program_id, {found->number}).at(0);
    // Read under the card lock: a concurrent last leave may have dissolved it.
    master = LoadMaster(tx, program_id, master_id);
    if (master->dissolved) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "master_account_id",
                        "the master account is dissolved");
    }
    std::map<std::string, int64_t> balances =
        LockMemberAccounts(tx, program_id, {master_id, card.account_id});
    // Counted under the master account's lock, which every join takes.
    if (pg::ExecPrepared1(tx,
                          "SELECT count(*) FROM master_members"
                          " WHERE program_id = $1 AND account_id = $2::uuid AND left_at IS NULL",
                          std::string(program_id), master_id)[0]
            .as<int64_t>() >= static_cast<int64_t>(kMaxMasterAccountMembers)) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "master_account_id",
                        absl::StrCat("at most ", kMaxMasterAccountMembers, " members"));
    }
    PoolWrites writes(program_id, now, std::string(actor));
    int64_t balance = balances[master_id];
    ASSIGN_OR_RETURN(int64_t joined, Join(tx, program_id, master_id, card, "card_number", now,
                                          writes, balance, system_accounts_));
    ASSIGN_OR_RETURN(view,
                     FinishJoin(tx, program_id, master_id, *master, writes,
                                MasterAccountChange{.kind = MasterAccountChangeKind::kMemberAdded,
                                                    .card_numbers = {card.number},
                                                    .points = joined,
                                                    .balance_after = balance,
                                                    .actor = std::string(actor),
                                                    .change_time = now}));
    return absl::OkStatus();
  }));
  return view;
}

absl::StatusOr<LeaveResult> MasterAccountStore::RemoveMember(absl::string_view program_id,
                                                             absl::string_view master_account_id,
                                                             absl::string_view card_number,
                                                             LeaveRule rule,
                                                             absl::string_view request_id,
                                                             absl::string_view actor) {
  ASSIGN_OR_RETURN(const std::string master_id,
                   ValidateMemberCall(request_id, master_account_id, card_number));
  const std::string fingerprint = Fingerprint("master.remove.v1")
                                      .Add(master_id)
                                      .Add(card_number)
                                      .Add(LeaveRuleName(rule))
                                      .Digest();
  const absl::Time now = sql::Truncate(clock_.Now());
  LeaveResult result;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    result = LeaveResult();
    ASSIGN_OR_RETURN(std::optional<StoredRequest> stored,
                     ClaimRequest(tx, program_id, request_id, fingerprint, master_id, now));
    std::optional<MasterRow> master = LoadMaster(tx, program_id, master_id);
    if (!master) return NoSuchMaster();
    if (stored) {
      pqxx::row left = tx.exec_params1(
          "SELECT card_number, leave_rule, taken_points, leave_account_id::text"
          " FROM master_members WHERE membership_id = $1",
          *stored->membership_id);
      result = LeaveResult{.card_number = left[0].as<std::string>(),
                           .rule = *ParseLeaveRule(left[1].as<std::string>()),
                           .points = left[2].as<int64_t>(),
                           .account_id = left[3].as<std::string>(),
                           .master = ViewOf(tx, program_id, master_id, *master, now),
                           .replayed = true};
      return absl::OkStatus();
    }
    std::optional<sql::CardRow> found = sql::FindCard(tx, program_id, card_number);
    if (!found) return FieldError(absl::StatusCode::kNotFound, "card_number", "no such card");
    const sql::CardRow card = LockCards(tx, program_id, {found->number}).at(0);
    int64_t master_balance = LockMemberAccounts(tx, program_id, {master_id})[master_id];
    std::vector<MemberRow> members = LoadMembers(tx, program_id, master_id);
    auto leaver = std::find_if(members.begin(), members.end(),
                               [&](const MemberRow& m) { return m.card_number == card.number; });
    if (leaver == members.end()) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "card_number",
                        "the card is not a member of this master account");
    }
    if (sql::LoadHeld(tx, program_id, master_id, now) > 0) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "master_account_id",
                        "the master account has open holds (a receipt in progress)");
    }
    const LeaveRule applied = rule == LeaveRule::kUnspecified ? master->default_rule : rule;
    const bool last = members.size() == 1;
    const std::vector<Lot> lots = sql::LoadOpenLots(tx, program_id, master_id);
    const std::vector<LotTake> takes =
        PlanLeave(lots, now,
                  LeaveInput{.rule = applied,
                             .own_lot_ids = OwnLotIds(tx, program_id, master_id, *leaver),
                             .contribution = leaver->contribution,
                             .total_contribution = TotalContribution(members),
                             .last_member = last});
    const std::string own_account = NewMemberAccount(tx, program_id, now);
    std::map<int64_t, const Lot*> lot_by_id;
    for (const Lot& lot : lots) lot_by_id[lot.lot_id] = &lot;
    PoolWrites writes(program_id, now, std::string(actor));
    int64_t taken = 0;
    for (const LotTake& take : takes) {
      taken += take.amount;
      writes.Move(TransferKind::kPoolLeave,
                  absl::StrCat("pool-leave:", leaver->membership_id, ":", take.lot_id), card,
                  *lot_by_id.at(take.lot_id), take.amount, master_id, own_account, taken);
    }
    // Nobody names the master account after the last member: nothing may
    // be left for the sweep there.
    master_balance -= taken;
    if (last) {
      master_balance -=
          writes.Expire(absl::StrCat("pool-expire:", leaver->membership_id), card, master_id, lots,
                        system_accounts_.Get(tx, program_id, AccountKind::kExpired), 0);
    }
    RETURN_IF_ERROR(writes.Flush(tx));
    tx.exec_params(
        "UPDATE master_members SET left_at = micros_to_ts($2), leave_rule = $3,"
        "                          taken_points = $4, leave_account_id = $5::uuid"
        " WHERE membership_id = $1",
        leaver->membership_id, sql::Micros(now), std::string(LeaveRuleName(applied)), taken,
        own_account);
    tx.exec_params("UPDATE cards SET account_id = $3::uuid WHERE program_id = $1 AND number = $2",
                   std::string(program_id), card.number, own_account);
    if (last) {
      tx.exec_params(
          "UPDATE master_accounts SET state = 'DISSOLVED', dissolved_at = micros_to_ts($3)"
          " WHERE program_id = $1 AND account_id = $2::uuid",
          std::string(program_id), master_id, sql::Micros(now));
      master->dissolved = true;
    }
    tx.exec_params(
        "UPDATE master_account_requests SET membership_id = $3"
        " WHERE program_id = $1 AND request_id = $2",
        std::string(program_id), std::string(request_id), leaver->membership_id);
    result = LeaveResult{.card_number = card.number,
                         .rule = applied,
                         .points = taken,
                         .account_id = own_account,
                         .master = ViewOf(tx, program_id, master_id, *master, now)};
    AppendMasterAccountChanged(
        tx, program_id,
        MasterAccountChange{.master_account_id = master_id,
                            .kind = last ? MasterAccountChangeKind::kDissolved
                                         : MasterAccountChangeKind::kMemberRemoved,
                            .card_numbers = {card.number},
                            .points = taken,
                            .leave_rule = std::string(LeaveRuleName(applied)),
                            .member_card_numbers = MemberNumbers(result.master),
                            .balance_after = master_balance,
                            .actor = std::string(actor),
                            .change_time = now});
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<MasterAccountView> MasterAccountStore::Get(absl::string_view program_id,
                                                          absl::string_view master_account_id) {
  std::string master_id(master_account_id);
  RETURN_IF_ERROR(NormalizeUuid("master_account_id", master_id));
  const absl::Time now = clock_.Now();
  MasterAccountView view;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    std::optional<MasterRow> master = LoadMaster(tx, program_id, master_id);
    if (!master) return NoSuchMaster();
    view = ViewOf(tx, program_id, master_id, *master, now);
    return absl::OkStatus();
  }));
  return view;
}

absl::StatusOr<std::map<std::string, CardMembership>> MasterAccountStore::MembershipsOf(
    absl::string_view program_id, const std::vector<std::string>& card_numbers) {
  std::map<std::string, CardMembership> memberships;
  if (card_numbers.empty()) return memberships;
  RETURN_IF_ERROR(pool_.Transact(
      [&](pg::Tx& tx) -> absl::Status {
        memberships.clear();
        std::set<std::string> masters;
        for (const auto& row : tx.exec_params(
                 "SELECT DISTINCT account_id::text FROM master_members"
                 " WHERE program_id = $1 AND card_number = ANY($2::text[]) AND left_at IS NULL",
                 std::string(program_id), pg::TextArray(card_numbers))) {
          masters.insert(row[0].as<std::string>());
        }
        const std::set<std::string> wanted(card_numbers.begin(), card_numbers.end());
        for (const std::string& master_id : masters) {
          const std::vector<MemberRow> members = LoadMembers(tx, program_id, master_id);
          const int64_t total = TotalContribution(members);
          for (const MemberRow& member : members) {
            if (!wanted.contains(member.card_number)) continue;
            memberships[member.card_number] =
                CardMembership{.master_account_id = master_id,
                               .join_time = member.join_time,
                               .contribution = member.contribution,
                               .share_bp = ShareBasisPoints(member.contribution, total),
                               .member_count = static_cast<int32_t>(members.size())};
          }
        }
        return absl::OkStatus();
      },
      // One snapshot for the memberships and every family read after them.
      pg::Isolation::kRepeatableRead));
  return memberships;
}

}  // namespace loyalty::cards
