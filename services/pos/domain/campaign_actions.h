#pragma once

// Post-confirm campaign actions (CMP-2 / CMP-4): what a campaign rule asks
// to do for the receipt's member once the receipt is confirmed (issue a
// promo code, set an attribute, add a tag). They are kept with the
// calculation (receipt.h ReceiptAction), become DUE in the transaction that
// confirms the receipt, and a worker runs them here, through three ports:
// the queue of due actions (pos's own table), the member directory
// (identity) and the promo code issuer (campaigns).
//
// Exactly once: every call carries an idempotency key derived from stored
// ids (ActionEffectId), or is idempotent by nature (a tag the client has,
// an attribute set to the value it has), so an action run twice (a worker
// that crashed after the call and before recording it, or whose lease ran
// out) has one effect.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

// Gives each action of a calculation the member it is for, PENDING until
// the receipt is confirmed; without a member (`client_id` empty: no card,
// an unknown or blocked card, a card given to no client) they are SKIPPED
// with the reason, and never run.
std::vector<ReceiptAction> AssignActions(std::vector<ReceiptAction> actions,
                                         const std::string& client_id,
                                         NoLoyaltyReason no_loyalty_reason);

// ISSUE_PROMO_CODE, SET_ATTRIBUTE or ADD_TAG: how the kind is stored and
// named in events.
const char* ActionKindName(ActionKind kind);

// The idempotency key of the effect of the action at `position` of a
// receipt: the same for every attempt, unique per action.
std::string ActionEffectId(const std::string& receipt_id, int32_t position);

// A DUE action a worker claimed; `action.attempts` counts this claim.
struct ClaimedAction {
  std::string program_id;
  std::string receipt_id;
  int32_t position = 0;
  std::string claim_token;  // only this claim may record the outcome
  ReceiptAction action;
};

// What became of one run: kDone, kFailed, or kDue to run again at
// `retry_at`.
struct ActionOutcome {
  ActionState state = ActionState::kDue;
  std::string promo_code;  // kDone kIssuePromoCode
  std::string reason;      // kFailed, or the error retried
  absl::Time retry_at;     // kDue
};

class ActionQueue {
 public:
  virtual ~ActionQueue() = default;
  // Claims up to `limit` DUE actions whose time has come, for `lease`:
  // another claim gets them only after the lease, if no outcome was
  // recorded meanwhile. Concurrent claims never return the same action.
  virtual absl::StatusOr<std::vector<ClaimedAction>> Claim(int limit, absl::Duration lease) = 0;
  // Records the outcome; false when the claim no longer holds (its lease
  // ran out and another claim took the action), in which case nothing
  // changed.
  virtual absl::StatusOr<bool> Record(const ClaimedAction& claimed,
                                      const ActionOutcome& outcome) = 0;
};

// identity, for the member. Both calls are idempotent. A refusal that a
// retry cannot cure (an unknown tag or attribute, a value the attribute
// does not admit) is NOT_FOUND, INVALID_ARGUMENT or FAILED_PRECONDITION.
class MemberActions {
 public:
  virtual ~MemberActions() = default;
  // `tag`: the tag's id, or its name (ignoring case), as campaign
  // conditions name tags.
  virtual absl::Status AddTag(const std::string& program_id, const std::string& client_id,
                              const std::string& tag) = 0;
  // `value` as text, read by the attribute's type; `request_id` makes a
  // retry harmless.
  virtual absl::Status SetAttribute(const std::string& program_id, const std::string& client_id,
                                    const std::string& key, const std::string& value,
                                    const std::string& request_id) = 0;
};

// campaigns' IssuePromoCode: one code of the pool for the client,
// idempotent by `issue_id` (a retry returns the first code).
// FAILED_PRECONDITION when the pool can give none (exhausted, archived,
// ended).
class PromoCodeIssuer {
 public:
  virtual ~PromoCodeIssuer() = default;
  virtual absl::StatusOr<std::string> Issue(const std::string& program_id,
                                            const std::string& pool_id,
                                            const std::string& client_id,
                                            const std::string& issue_id) = 0;
};

struct ActionRetryPolicy {
  int max_attempts = 8;  // then FAILED with the last error
  absl::Duration first_backoff = absl::Seconds(2);
  absl::Duration max_backoff = absl::Minutes(10);
};

// Whether a failed call may succeed if made again (the peer was away, the
// call timed out or raced): the action is retried.
bool IsTransient(const absl::Status& status);

// The wait before attempt `attempts + 1`: first_backoff doubling per
// attempt, at most max_backoff.
absl::Duration Backoff(const ActionRetryPolicy& policy, int32_t attempts);

// Runs one claimed action and says what became of it: DONE, FAILED at once
// for a permanent refusal, DUE again after the backoff for a transient one
// until the attempts run out.
ActionOutcome RunAction(const ClaimedAction& claimed, MemberActions& members,
                        PromoCodeIssuer& issuer, const ActionRetryPolicy& policy, absl::Time now);

struct ActionRunCounts {
  int done = 0;
  int failed = 0;
  int retried = 0;
  int lost = 0;  // ran, but not recorded (the claim was lost, or the write failed)
};

struct ActionRunnerOptions {
  int batch = 50;
  // Longer than any run of a batch, so that a live worker keeps its
  // claims: 50 actions of up to three identity calls at its 1 s timeout
  // take 150 s at worst.
  absl::Duration lease = absl::Minutes(10);
  ActionRetryPolicy retry;
};

// One pass of the actions worker: claims a batch, runs each action and
// records its outcome.
class CampaignActionRunner final {
 public:
  using Clock = std::function<absl::Time()>;

  CampaignActionRunner(ActionQueue& queue, MemberActions& members, PromoCodeIssuer& issuer,
                       Clock clock, ActionRunnerOptions options)
      : queue_(queue),
        members_(members),
        issuer_(issuer),
        clock_(std::move(clock)),
        options_(options) {}

  absl::StatusOr<ActionRunCounts> RunOnce();

 private:
  ActionQueue& queue_;
  MemberActions& members_;
  PromoCodeIssuer& issuer_;
  Clock clock_;
  ActionRunnerOptions options_;
};

}  // namespace loyalty::pos
