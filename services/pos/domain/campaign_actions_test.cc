#include "services/pos/domain/campaign_actions.h"

#include <map>
#include <utility>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace loyalty::pos {
namespace {

// identity as the actions see it: tags and attribute values per client.
class FakeMembers final : public MemberActions {
 public:
  absl::Status AddTag(const std::string&, const std::string& client_id,
                      const std::string& tag) override {
    ++calls;
    if (!next_error.ok()) return std::exchange(next_error, absl::OkStatus());
    if (tag == "unknown") return absl::NotFoundError("no tag 'unknown' in this program");
    tags[client_id].push_back(tag);
    return absl::OkStatus();
  }
  absl::Status SetAttribute(const std::string&, const std::string& client_id,
                            const std::string& key, const std::string& value,
                            const std::string& request_id) override {
    ++calls;
    if (!next_error.ok()) return std::exchange(next_error, absl::OkStatus());
    attributes[client_id][key] = value;
    request_ids.push_back(request_id);
    return absl::OkStatus();
  }

  int calls = 0;
  absl::Status next_error;
  std::map<std::string, std::vector<std::string>> tags;
  std::map<std::string, std::map<std::string, std::string>> attributes;
  std::vector<std::string> request_ids;
};

// campaigns' IssuePromoCode: idempotent by issue id, like the real one.
class FakeIssuer final : public PromoCodeIssuer {
 public:
  absl::StatusOr<std::string> Issue(const std::string&, const std::string& pool_id,
                                    const std::string&, const std::string& issue_id) override {
    issue_ids.push_back(issue_id);
    if (!next_error.ok()) return std::exchange(next_error, absl::OkStatus());
    if (pool_id == "empty") return absl::FailedPreconditionError("pool_id: no unused code left");
    auto [it, fresh] = issued.try_emplace(issue_id, absl::StrCat("CODE", issued.size() + 1));
    return it->second;
  }

  absl::Status next_error;
  std::vector<std::string> issue_ids;
  std::map<std::string, std::string> issued;  // issue id -> code
};

// The queue as a list: Claim hands out what is due, Record honours the
// claim token.
class FakeQueue final : public ActionQueue {
 public:
  absl::StatusOr<std::vector<ClaimedAction>> Claim(int limit, absl::Duration) override {
    std::vector<ClaimedAction> out;
    for (ClaimedAction& item : items) {
      if (static_cast<int>(out.size()) == limit) break;
      if (item.action.state != ActionState::kDue) continue;
      ++item.action.attempts;
      item.claim_token = absl::StrCat("claim-", ++claims);
      out.push_back(item);
    }
    return out;
  }
  absl::StatusOr<bool> Record(const ClaimedAction& claimed,
                              const ActionOutcome& outcome) override {
    for (ClaimedAction& item : items) {
      if (item.receipt_id != claimed.receipt_id || item.position != claimed.position) continue;
      if (item.claim_token != claimed.claim_token || steal_claims) return false;
      item.action.state = outcome.state;
      item.action.promo_code = outcome.promo_code;
      item.action.reason = outcome.reason;
      outcomes.push_back(outcome);
      return true;
    }
    return false;
  }

  std::vector<ClaimedAction> items;
  std::vector<ActionOutcome> outcomes;
  int claims = 0;
  bool steal_claims = false;
};

ClaimedAction Claimed(ActionKind kind, const std::string& target, int32_t attempts = 1) {
  return ClaimedAction{.program_id = "p1",
                       .receipt_id = "r1",
                       .position = 2,
                       .claim_token = "t",
                       .action = {.campaign_id = "c1",
                                  .rule_id = "rule",
                                  .kind = kind,
                                  .target = target,
                                  .value = "gold",
                                  .client_id = "client-1",
                                  .state = ActionState::kDue,
                                  .attempts = attempts}};
}

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TEST(AssignActionsTest, AMemberGetsPendingActionsAndNoMemberSkipsThem) {
  std::vector<ReceiptAction> given = {{.kind = ActionKind::kAddTag, .target = "vip"},
                                      {.kind = ActionKind::kIssuePromoCode, .target = "pool"}};
  std::vector<ReceiptAction> member = AssignActions(given, "client-1", NoLoyaltyReason::kNone);
  for (const ReceiptAction& action : member) {
    EXPECT_EQ(action.state, ActionState::kPending);
    EXPECT_EQ(action.client_id, "client-1");
    EXPECT_EQ(action.reason, "");
  }
  std::vector<ReceiptAction> anonymous = AssignActions(given, "", NoLoyaltyReason::kNoCard);
  for (const ReceiptAction& action : anonymous) {
    EXPECT_EQ(action.state, ActionState::kSkipped);
    EXPECT_EQ(action.reason, "no member: the receipt has no card");
  }
  // A card given to no client is loyalty without a member.
  EXPECT_EQ(AssignActions(given, "", NoLoyaltyReason::kNone)[0].reason,
            "no member: the card is not given to a client");
  EXPECT_EQ(AssignActions(given, "", NoLoyaltyReason::kCardInactive)[0].reason,
            "no member: the card is blocked");
}

TEST(RunActionTest, IssuesACodeUnderAKeyDerivedFromTheReceiptAndPosition) {
  FakeMembers members;
  FakeIssuer issuer;
  const ClaimedAction claimed = Claimed(ActionKind::kIssuePromoCode, "pool");
  ActionOutcome first = RunAction(claimed, members, issuer, {}, kNow);
  EXPECT_EQ(first.state, ActionState::kDone);
  EXPECT_EQ(first.promo_code, "CODE1");
  // A second run (a crash before the outcome was recorded) asks with the
  // same key and gets the same code: one code for the client.
  ActionOutcome again = RunAction(claimed, members, issuer, {}, kNow);
  EXPECT_EQ(again.promo_code, "CODE1");
  EXPECT_EQ(issuer.issued.size(), 1u);
  ASSERT_EQ(issuer.issue_ids.size(), 2u);
  EXPECT_EQ(issuer.issue_ids[0], "r1:action:2");
  EXPECT_EQ(issuer.issue_ids[1], "r1:action:2");
}

TEST(RunActionTest, TagsAndAttributesGoToTheMember) {
  FakeMembers members;
  FakeIssuer issuer;
  EXPECT_EQ(RunAction(Claimed(ActionKind::kAddTag, "vip"), members, issuer, {}, kNow).state,
            ActionState::kDone);
  EXPECT_EQ(RunAction(Claimed(ActionKind::kSetAttribute, "tier"), members, issuer, {}, kNow).state,
            ActionState::kDone);
  EXPECT_EQ(members.tags["client-1"], std::vector<std::string>{"vip"});
  EXPECT_EQ(members.attributes["client-1"]["tier"], "gold");
  EXPECT_EQ(members.request_ids, std::vector<std::string>{"r1:action:2"});
}

TEST(RunActionTest, APermanentRefusalFailsAtOnce) {
  FakeMembers members;
  FakeIssuer issuer;
  ActionOutcome exhausted =
      RunAction(Claimed(ActionKind::kIssuePromoCode, "empty"), members, issuer, {}, kNow);
  EXPECT_EQ(exhausted.state, ActionState::kFailed);
  EXPECT_EQ(exhausted.reason, "FAILED_PRECONDITION: pool_id: no unused code left");
  ActionOutcome unknown_tag =
      RunAction(Claimed(ActionKind::kAddTag, "unknown"), members, issuer, {}, kNow);
  EXPECT_EQ(unknown_tag.state, ActionState::kFailed);
  members.next_error = absl::InvalidArgumentError("values[0].key: unknown attribute 'tier'");
  EXPECT_EQ(RunAction(Claimed(ActionKind::kSetAttribute, "tier"), members, issuer, {}, kNow).state,
            ActionState::kFailed);
}

TEST(RunActionTest, ATransientErrorIsRetriedWithBackoffUntilTheLimit) {
  FakeMembers members;
  FakeIssuer issuer;
  const ActionRetryPolicy policy{
      .max_attempts = 3, .first_backoff = absl::Seconds(2), .max_backoff = absl::Minutes(1)};
  members.next_error = absl::UnavailableError("identity restarting");
  ActionOutcome first = RunAction(Claimed(ActionKind::kAddTag, "vip", 1), members, issuer,
                                  policy, kNow);
  EXPECT_EQ(first.state, ActionState::kDue);
  EXPECT_EQ(first.retry_at, kNow + absl::Seconds(2));
  EXPECT_EQ(first.reason, "UNAVAILABLE: identity restarting");
  members.next_error = absl::DeadlineExceededError("slow");
  ActionOutcome second = RunAction(Claimed(ActionKind::kAddTag, "vip", 2), members, issuer,
                                   policy, kNow);
  EXPECT_EQ(second.state, ActionState::kDue);
  EXPECT_EQ(second.retry_at, kNow + absl::Seconds(4));
  members.next_error = absl::UnavailableError("still away");
  ActionOutcome last = RunAction(Claimed(ActionKind::kAddTag, "vip", 3), members, issuer,
                                 policy, kNow);
  EXPECT_EQ(last.state, ActionState::kFailed);
  EXPECT_EQ(last.reason, "gave up after 3 attempts; last error UNAVAILABLE: still away");
}

TEST(BackoffTest, DoublesUpToTheCap) {
  const ActionRetryPolicy policy{
      .max_attempts = 50, .first_backoff = absl::Seconds(1), .max_backoff = absl::Seconds(10)};
  EXPECT_EQ(Backoff(policy, 1), absl::Seconds(1));
  EXPECT_EQ(Backoff(policy, 2), absl::Seconds(2));
  EXPECT_EQ(Backoff(policy, 4), absl::Seconds(8));
  EXPECT_EQ(Backoff(policy, 5), absl::Seconds(10));
  EXPECT_EQ(Backoff(policy, 40), absl::Seconds(10));
}

TEST(CampaignActionRunnerTest, RunsEachDueActionOnceAndCountsOutcomes) {
  FakeQueue queue;
  FakeMembers members;
  FakeIssuer issuer;
  auto due = [](int32_t position, ActionKind kind, const std::string& target) {
    ClaimedAction item = Claimed(kind, target, 0);
    item.position = position;
    return item;
  };
  queue.items = {due(0, ActionKind::kAddTag, "vip"), due(1, ActionKind::kIssuePromoCode, "pool"),
                 due(2, ActionKind::kIssuePromoCode, "empty")};
  queue.items.push_back(due(3, ActionKind::kAddTag, "vip"));
  queue.items.back().action.state = ActionState::kPending;  // not confirmed: never runs
  CampaignActionRunner runner(queue, members, issuer, [] { return kNow; }, {.batch = 10});

  absl::StatusOr<ActionRunCounts> counts = runner.RunOnce();
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->done, 2);
  EXPECT_EQ(counts->failed, 1);
  EXPECT_EQ(counts->retried, 0);
  EXPECT_EQ(queue.items[1].action.promo_code, "CODE1");
  EXPECT_EQ(queue.items[2].action.state, ActionState::kFailed);
  EXPECT_EQ(queue.items[3].action.state, ActionState::kPending);
  EXPECT_EQ(members.calls, 1);

  // Nothing is due any more: a second pass runs nothing.
  counts = runner.RunOnce();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->done + counts->failed + counts->retried + counts->lost, 0);
  EXPECT_EQ(members.calls, 1);
}

TEST(CampaignActionRunnerTest, AnOutcomeWhoseClaimWasTakenOverIsNotRecorded) {
  FakeQueue queue;
  FakeMembers members;
  FakeIssuer issuer;
  queue.items = {Claimed(ActionKind::kAddTag, "vip", 0)};
  queue.steal_claims = true;
  CampaignActionRunner runner(queue, members, issuer, [] { return kNow; }, {});
  absl::StatusOr<ActionRunCounts> counts = runner.RunOnce();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->lost, 1);
  EXPECT_EQ(counts->done, 0);
  EXPECT_EQ(queue.items[0].action.state, ActionState::kDue);
}

}  // namespace
}  // namespace loyalty::pos
