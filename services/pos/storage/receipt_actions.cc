#include "services/pos/storage/receipt_actions.h"

#include <optional>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/common/random_ids.h"
#include "libs/pg/array_literal.h"

namespace loyalty::pos {
namespace {

// The column's CHECK admits only ActionKindName's names.
ActionKind KindFromName(const std::string& name) {
  if (name == "ISSUE_PROMO_CODE") return ActionKind::kIssuePromoCode;
  if (name == "SET_ATTRIBUTE") return ActionKind::kSetAttribute;
  return ActionKind::kAddTag;
}

// The names the state column's CHECK admits.
const char* StateName(ActionState state) {
  switch (state) {
    case ActionState::kPending:
      return "PENDING";
    case ActionState::kSkipped:
      return "SKIPPED";
    case ActionState::kDue:
      return "DUE";
    case ActionState::kDone:
      return "DONE";
    case ActionState::kFailed:
      return "FAILED";
  }
  return "PENDING";
}

ActionState StateFromName(const std::string& name) {
  if (name == "SKIPPED") return ActionState::kSkipped;
  if (name == "DUE") return ActionState::kDue;
  if (name == "DONE") return ActionState::kDone;
  if (name == "FAILED") return ActionState::kFailed;
  return ActionState::kPending;
}

// The columns ActionFromRow reads, from column `first` on.
constexpr char kActionColumns[] =
    "campaign_id, campaign_version, rule_id, kind, target, value, client_id, state, attempts,"
    " promo_code, reason";

ReceiptAction ActionFromRow(const pqxx::row& row, int first) {
  return ReceiptAction{.campaign_id = row[first].as<std::string>(),
                       .campaign_version = row[first + 1].as<int64_t>(),
                       .rule_id = row[first + 2].as<std::string>(),
                       .kind = KindFromName(row[first + 3].as<std::string>()),
                       .target = row[first + 4].as<std::string>(),
                       .value = row[first + 5].as<std::string>(),
                       .client_id = row[first + 6].as<std::string>(),
                       .state = StateFromName(row[first + 7].as<std::string>()),
                       .attempts = row[first + 8].as<int32_t>(),
                       .promo_code = row[first + 9].as<std::string>(),
                       .reason = row[first + 10].as<std::string>()};
}

}  // namespace

void SaveReceiptActions(pg::Tx& tx, const Receipt& receipt) {
  // A first calculation has nothing to replace: most receipts pay no
  // statement here.
  if (receipt.calculation > 1) {
    tx.exec_params("DELETE FROM receipt_actions WHERE receipt_id = $1", receipt.receipt_id);
  }
  if (receipt.actions.empty()) return;
  std::vector<int64_t> positions, versions;
  std::vector<std::string> campaign_ids, rule_ids, kinds, targets, values, clients, states,
      reasons;
  for (size_t position = 0; position < receipt.actions.size(); ++position) {
    const ReceiptAction& action = receipt.actions[position];
    positions.push_back(static_cast<int64_t>(position));
    campaign_ids.push_back(action.campaign_id);
    versions.push_back(action.campaign_version);
    rule_ids.push_back(action.rule_id);
    kinds.push_back(ActionKindName(action.kind));
    targets.push_back(action.target);
    values.push_back(action.value);
    clients.push_back(action.client_id);
    states.push_back(StateName(action.state));
    reasons.push_back(action.reason);
  }
  // One statement for all actions, like the receipt's other rows.
  tx.exec_params(
      "INSERT INTO receipt_actions (receipt_id, position, campaign_id, campaign_version, rule_id,"
      " kind, target, value, client_id, state, reason)"
      " SELECT $1::uuid, p, c, v, r, k, t, val, cl, s, re FROM unnest($2::bigint[], $3::text[],"
      " $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],"
      " $11::text[]) AS u(p, c, v, r, k, t, val, cl, s, re)",
      receipt.receipt_id, pg::IntArray(positions), pg::TextArray(campaign_ids),
      pg::IntArray(versions), pg::TextArray(rule_ids), pg::TextArray(kinds),
      pg::TextArray(targets), pg::TextArray(values), pg::TextArray(clients),
      pg::TextArray(states), pg::TextArray(reasons));
}

const char kSelectReceiptActions[] =
    "SELECT campaign_id, campaign_version, rule_id, kind, target, value, client_id, state,"
    " attempts, promo_code, reason FROM receipt_actions WHERE receipt_id = $1 ORDER BY position";

void ReadReceiptActions(const pqxx::result& rows, Receipt& receipt) {
  receipt.actions.clear();
  for (const auto& row : rows) receipt.actions.push_back(ActionFromRow(row, 0));
}

void MarkActionsDue(pg::Tx& tx, Receipt& receipt) {
  bool pending = false;
  for (ReceiptAction& action : receipt.actions) {
    if (action.state != ActionState::kPending) continue;
    action.state = ActionState::kDue;
    pending = true;
  }
  // Most receipts have no action: no statement for them.
  if (!pending) return;
  tx.exec_params(
      "UPDATE receipt_actions SET state = 'DUE', due_at = now()"
      " WHERE receipt_id = $1 AND state = 'PENDING'",
      receipt.receipt_id);
}

absl::StatusOr<std::vector<ClaimedAction>> PgActionQueue::Claim(int limit, absl::Duration lease) {
  std::vector<ClaimedAction> claimed;
  // One token per claim: Record matches it, so a claim that lost its lease
  // to another cannot record over it.
  const std::string token = RandomHex(8);
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    claimed.clear();
    // SKIP LOCKED: concurrent workers claim disjoint actions instead of
    // waiting for each other; the lease moves due_at past the claim, so
    // the next claim sees the action only if this one dies.
    pqxx::result rows = tx.exec_params(
        absl::StrCat(
            "UPDATE receipt_actions a SET attempts = a.attempts + 1, claim_token = $3,"
            " due_at = now() + $2 * interval '1 microsecond'"
            " FROM (SELECT receipt_id, position FROM receipt_actions"
            "   WHERE state = 'DUE' AND due_at <= now() ORDER BY due_at LIMIT $1"
            "   FOR UPDATE SKIP LOCKED) c, receipts r"
            " WHERE a.receipt_id = c.receipt_id AND a.position = c.position"
            " AND r.receipt_id = a.receipt_id"
            " RETURNING r.program_id::text, a.receipt_id::text, a.position, ",
            "a.campaign_id, a.campaign_version, a.rule_id, a.kind, a.target, a.value,"
            " a.client_id, a.state, a.attempts, a.promo_code, a.reason"),
        limit, absl::ToInt64Microseconds(lease), token);
    for (const auto& row : rows) {
      claimed.push_back(ClaimedAction{.program_id = row[0].as<std::string>(),
                                      .receipt_id = row[1].as<std::string>(),
                                      .position = row[2].as<int32_t>(),
                                      .claim_token = token,
                                      .action = ActionFromRow(row, 3)});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return claimed;
}

absl::StatusOr<bool> PgActionQueue::Record(const ClaimedAction& claimed,
                                           const ActionOutcome& outcome) {
  bool recorded = false;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    const bool retry = outcome.state == ActionState::kDue;
    std::optional<int64_t> retry_at;
    if (retry) retry_at = absl::ToUnixMicros(outcome.retry_at);
    pqxx::result updated = tx.exec_params(
        "UPDATE receipt_actions SET state = $4::text, promo_code = $5, reason = $6, claim_token = '',"
        " due_at = CASE WHEN $4::text = 'DUE'"
        "   THEN 'epoch'::timestamptz + $7::bigint * interval '1 microsecond' END,"
        " finished_at = CASE WHEN $4::text = 'DUE' THEN NULL ELSE now() END"
        " WHERE receipt_id = $1 AND position = $2 AND claim_token = $3 AND state = 'DUE'",
        claimed.receipt_id, claimed.position, claimed.claim_token,
        std::string(StateName(outcome.state)), outcome.promo_code, outcome.reason, retry_at);
    recorded = updated.affected_rows() == 1;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return recorded;
}

}  // namespace loyalty::pos
