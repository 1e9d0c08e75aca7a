#include "services/pos/domain/campaign_actions.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace loyalty::pos {
namespace {

std::string SkipReason(NoLoyaltyReason reason) {
  switch (reason) {
    case NoLoyaltyReason::kNoCard:
      return "no member: the receipt has no card";
    case NoLoyaltyReason::kCardNotFound:
      return "no member: the card is not known in this program";
    case NoLoyaltyReason::kCardInactive:
      return "no member: the card is blocked";
    case NoLoyaltyReason::kNone:
      break;
  }
  return "no member: the card is not given to a client";
}

}  // namespace

std::vector<ReceiptAction> AssignActions(std::vector<ReceiptAction> actions,
                                         const std::string& client_id,
                                         NoLoyaltyReason no_loyalty_reason) {
  for (ReceiptAction& action : actions) {
    action.client_id = client_id;
    if (client_id.empty()) {
      action.state = ActionState::kSkipped;
      action.reason = SkipReason(no_loyalty_reason);
    } else {
      action.state = ActionState::kPending;
    }
  }
  return actions;
}

const char* ActionKindName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kIssuePromoCode:
      return "ISSUE_PROMO_CODE";
    case ActionKind::kSetAttribute:
      return "SET_ATTRIBUTE";
    case ActionKind::kAddTag:
      break;
  }
  return "ADD_TAG";
}

std::string ActionEffectId(const std::string& receipt_id, int32_t position) {
  return absl::StrCat(receipt_id, ":action:", position);
}

bool IsTransient(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         absl::IsAborted(status) || absl::IsResourceExhausted(status) ||
         absl::IsInternal(status) || absl::IsUnknown(status) || absl::IsCancelled(status);
}

absl::Duration Backoff(const ActionRetryPolicy& policy, int32_t attempts) {
  absl::Duration wait = policy.first_backoff;
  for (int32_t i = 1; i < attempts && wait < policy.max_backoff; ++i) wait *= 2;
  return std::min(wait, policy.max_backoff);
}

ActionOutcome RunAction(const ClaimedAction& claimed, MemberActions& members,
                        PromoCodeIssuer& issuer, const ActionRetryPolicy& policy, absl::Time now) {
  const ReceiptAction& action = claimed.action;
  const std::string effect_id = ActionEffectId(claimed.receipt_id, claimed.position);
  absl::Status status;
  std::string code;
  switch (action.kind) {
    case ActionKind::kIssuePromoCode: {
      absl::StatusOr<std::string> issued =
          issuer.Issue(claimed.program_id, action.target, action.client_id, effect_id);
      status = issued.status();
      if (issued.ok()) code = *std::move(issued);
      break;
    }
    case ActionKind::kSetAttribute:
      status = members.SetAttribute(claimed.program_id, action.client_id, action.target,
                                    action.value, effect_id);
      break;
    case ActionKind::kAddTag:
      status = members.AddTag(claimed.program_id, action.client_id, action.target);
      break;
  }
  if (status.ok()) return ActionOutcome{.state = ActionState::kDone, .promo_code = code};
  const std::string error = std::string(status.message());
  if (!IsTransient(status)) {
    return ActionOutcome{.state = ActionState::kFailed,
                         .reason = absl::StrCat(absl::StatusCodeToString(status.code()), ": ",
                                                error)};
  }
  if (action.attempts >= policy.max_attempts) {
    return ActionOutcome{
        .state = ActionState::kFailed,
        .reason = absl::StrCat("gave up after ", action.attempts, " attempts; last error ",
                               absl::StatusCodeToString(status.code()), ": ", error)};
  }
  return ActionOutcome{.state = ActionState::kDue,
                       .reason = absl::StrCat(absl::StatusCodeToString(status.code()), ": ", error),
                       .retry_at = now + Backoff(policy, action.attempts)};
}

absl::StatusOr<ActionRunCounts> CampaignActionRunner::RunOnce() {
  absl::StatusOr<std::vector<ClaimedAction>> claimed =
      queue_.Claim(options_.batch, options_.lease);
  if (!claimed.ok()) return claimed.status();
  ActionRunCounts counts;
  for (const ClaimedAction& one : *claimed) {
    const ActionOutcome outcome = RunAction(one, members_, issuer_, options_.retry, clock_());
    absl::StatusOr<bool> recorded = queue_.Record(one, outcome);
    // Not recorded (the database is away, or another claim took over):
    // the lease runs out and the action runs again, with the same
    // idempotency key.
    if (!recorded.ok() || !*recorded) {
      ++counts.lost;
    } else if (outcome.state == ActionState::kDone) {
      ++counts.done;
    } else if (outcome.state == ActionState::kFailed) {
      ++counts.failed;
    } else {
      ++counts.retried;
    }
  }
  return counts;
}

}  // namespace loyalty::pos
