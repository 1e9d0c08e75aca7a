#include "services/pos/domain/receipt_engine.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/pos/domain/fake_certificates.h"
#include "services/pos/domain/fake_promo_codes.h"
#include "services/pos/domain/offline_upload.h"

namespace loyalty::pos {
namespace {

// A ledger that keeps one card's points in memory and deduplicates by id.
class FakeLedger final : public Ledger {
 public:
  absl::StatusOr<CardInfo> GetCard(const std::string& number) override {
    if (number != "2000000000008") return absl::NotFoundError("no card");
    // As cards reports it: available = active - held - debt, at least 0.
    return CardInfo{.number = number,
                    .active = active,
                    .balance = Balance{std::max<int64_t>(0, available - debt), 0, held},
                    .client_id = client_id,
                    .active_points = available + held,
                    .debt = debt};
  }
  absl::Status Hold(const std::string& hold_id, const std::string&, int64_t amount) override {
    if (amount > available - debt) return absl::FailedPreconditionError("insufficient");
    holds[hold_id] = amount;
    available -= amount;
    held += amount;
    return absl::OkStatus();
  }
  absl::Status VoidHold(const std::string& hold_id) override {
    auto it = holds.find(hold_id);
    if (it != holds.end()) {
      available += it->second;
      held -= it->second;
      holds.erase(it);
    }
    return absl::OkStatus();
  }
  absl::StatusOr<CommitResult> Commit(const std::vector<Transfer>& transfers) override {
    if (fail_commits > 0) {
      --fail_commits;
      return absl::UnavailableError("cards restarting");
    }
    if (refuse_commits) return absl::FailedPreconditionError("the hold lapsed");
    CommitResult result;
    for (const Transfer& t : transfers) {
      if (!applied.insert(t.transfer_id).second) {
        result.moved.push_back(t.amount);
        result.into_debt.push_back(0);
        continue;
      }
      int64_t into_debt = 0;
      int64_t moved = t.amount;
      switch (t.kind) {
        case Transfer::Kind::kAccrual:
        case Transfer::Kind::kRedemptionReversal:
          available += t.amount;
          break;
        case Transfer::Kind::kRedemption:
          held -= holds.at(t.hold_id);
          holds.erase(t.hold_id);
          break;
        case Transfer::Kind::kAccrualReversal: {
          // As cards does: what is left, then debt down to -negative_floor.
          const int64_t taken = std::clamp<int64_t>(available, 0, t.amount);
          into_debt = std::clamp<int64_t>(available - taken + t.negative_floor, 0,
                                          t.negative_floor > 0 ? t.amount - taken : 0);
          moved = taken + into_debt;
          available -= moved;
          break;
        }
      }
      floors.push_back(t.negative_floor);
      result.moved.push_back(moved);
      result.into_debt.push_back(into_debt);
    }
    result.balance = Balance{available, 0, held};
    return result;
  }

  bool active = true;
  int64_t debt = 0;  // owed: covers this much of `available` first
  std::vector<int64_t> floors;  // negative_floor of each applied transfer
  int64_t available = 1000;
  int64_t held = 0;
  int fail_commits = 0;
  bool refuse_commits = false;
  std::map<std::string, int64_t> holds;
  std::set<std::string> applied;
  std::string client_id;  // of the card; "" for a card given to no client
};

class FakeRepository final : public ReceiptRepository {
 public:
  absl::StatusOr<PosSettings> GetSettings(const std::string&) override { return settings; }
  absl::Status CheckStore(const std::string&, const std::string& store_id) override {
    return store_id == kStore ? absl::OkStatus() : absl::NotFoundError("no store");
  }
  absl::StatusOr<std::optional<Receipt>> FindByNumber(const std::string&, const std::string&,
                                                      const std::string& number) override {
    for (const auto& [id, receipt] : receipts) {
      if (receipt.receipt_number == number) return std::optional<Receipt>(receipt);
    }
    return std::optional<Receipt>();
  }
  absl::StatusOr<Receipt> Get(const std::string&, const std::string& id) override {
    auto it = receipts.find(id);
    if (it == receipts.end()) return absl::NotFoundError("no receipt");
    return it->second;
  }
  absl::Status BeginRecalculation(const std::string&, const std::string& id,
                                  int32_t calculation) override {
    Receipt& receipt = receipts.at(id);
    if (receipt.state != ReceiptState::kCalculated || receipt.calculation != calculation) {
      return absl::AbortedError("changed");
    }
    ++receipt.calculation;
    receipt.hold_id.clear();
    for (ReceiptCertificate& certificate : receipt.certificates) certificate.hold_id.clear();
    return absl::OkStatus();
  }
  absl::Status SaveCalculation(const Receipt& receipt) override {
    if (receipt.calculation == 1) {
      if (receipts.contains(receipt.receipt_id)) return absl::AbortedError("lost");
    } else {
      const Receipt& stored = receipts.at(receipt.receipt_id);
      if (stored.calculation != receipt.calculation || !stored.hold_id.empty()) {
        return absl::AbortedError("stale");
      }
    }
    receipts[receipt.receipt_id] = receipt;
    return absl::OkStatus();
  }
  absl::StatusOr<Receipt> BeginConfirm(const std::string&, const std::string& bound_store,
                                       const std::string& id, const std::string&) override {
    auto it = receipts.find(id);
    if (it == receipts.end()) return absl::NotFoundError("no receipt");
    Receipt& receipt = it->second;
    if (!bound_store.empty() && receipt.store_id != bound_store) {
      return absl::NotFoundError("no receipt");
    }
    if (receipt.state == ReceiptState::kCancelled) return absl::FailedPreconditionError("x");
    if (receipt.state == ReceiptState::kCalculated) {
      for (const ReceiptCertificate& certificate : receipt.certificates) {
        if (certificate.amount > 0 && certificate.hold_id.empty()) {
          return absl::FailedPreconditionError("being calculated again");
        }
      }
      receipt.state = ReceiptState::kConfirming;
    }
    return receipt;
  }
  absl::Status RevertConfirm(const std::string&, const std::string& id) override {
    Receipt& receipt = receipts.at(id);
    if (receipt.state == ReceiptState::kConfirming) receipt.state = ReceiptState::kCalculated;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<ReceiptCertificate>> SendBack(const std::string&,
                                                           const std::string& id,
                                                           int32_t calculation) override {
    if (fail_send_backs > 0) {
      --fail_send_backs;
      return absl::UnavailableError("database restarting");
    }
    Receipt& receipt = receipts.at(id);
    if (receipt.state != ReceiptState::kConfirming || receipt.calculation != calculation) {
      return absl::AbortedError("changed");
    }
    receipt.state = ReceiptState::kCalculated;
    ++receipt.calculation;
    receipt.hold_id.clear();
    for (ReceiptCertificate& certificate : receipt.certificates) {
      if (certificate.hold_id.empty()) continue;
      releases[id].push_back(certificate);
      certificate.hold_id.clear();
    }
    return releases[id];
  }
  absl::StatusOr<std::vector<ReceiptCertificate>> PendingReleases(const std::string&,
                                                                  const std::string& id) override {
    return releases[id];
  }
  absl::Status ForgetReleases(const std::string&, const std::string& id,
                              const std::vector<ReceiptCertificate>& released) override {
    std::erase_if(releases[id], [&](const ReceiptCertificate& pending) {
      return std::any_of(released.begin(), released.end(), [&](const ReceiptCertificate& done) {
        return done.hold_id == pending.hold_id;
      });
    });
    return absl::OkStatus();
  }
  absl::StatusOr<Receipt> FinishConfirm(const std::string&, const std::string& id,
                                        const Balance& balance) override {
    Receipt& receipt = receipts.at(id);
    if (receipt.state == ReceiptState::kConfirming) {
      receipt.state = ReceiptState::kConfirmed;
      receipt.balance = balance;
      ++confirm_events;
    }
    return receipt;
  }
  absl::StatusOr<Cancellation> Cancel(const std::string&, const std::string&,
                                      const std::string& id) override {
    Receipt& receipt = receipts.at(id);
    const std::string cancel_key = "cancel:" + id;
    std::optional<Refund> cancel_refund;
    if (refunds.contains(cancel_key)) cancel_refund = refunds[cancel_key];
    if (receipt.state == ReceiptState::kConfirmed && !cancel_refund) {
      absl::StatusOr<Refund> refund = Record(id, cancel_key, {});
      if (!refund.ok()) return FieldError(refund.status().code(), "receipt_id", "all returned");
      cancel_refund = *refund;
    } else if (receipt.state == ReceiptState::kCalculated) {
      receipt.state = ReceiptState::kCancelled;
    } else if (receipt.state != ReceiptState::kCancelled && !cancel_refund) {
      return absl::FailedPreconditionError("x");
    }
    return Cancellation{.receipt = receipt, .refund = cancel_refund};
  }
  absl::StatusOr<Refund> BeginRefund(const std::string&, const std::string&,
                                     const std::string& receipt_id, const std::string& request_id,
                                     const std::vector<RefundRequestLine>& lines) override {
    if (refunds.contains(request_id)) return refunds[request_id];
    if (refunds.contains("cancel:" + receipt_id)) return absl::FailedPreconditionError("cancel");
    return Record(receipt_id, request_id, lines);
  }
  absl::StatusOr<Refund> GetRefund(const std::string&, const std::string& refund_id) override {
    for (auto& [key, refund] : refunds) {
      if (refund.refund_id == refund_id) return refund;
    }
    return absl::NotFoundError("no refund");
  }
  absl::StatusOr<Refund> FinishRefund(const std::string&, const std::string& refund_id,
                                      int64_t reversed, int64_t into_negative,
                                      const Balance& balance) override {
    for (auto& [key, refund] : refunds) {
      if (refund.refund_id == refund_id) {
        if (refund.cancels_receipt && refund.state == RefundState::kPending) {
          receipts.at(refund.receipt_id).state = ReceiptState::kCancelled;
          ++cancel_events;
        }
        refund.state = RefundState::kDone;
        refund.points_reversed = reversed;
        refund.points_into_negative = into_negative;
        refund.balance = balance;
        return refund;
      }
    }
    return absl::NotFoundError("no refund");
  }
  absl::StatusOr<std::vector<StalledWork>> ListStalled(absl::Duration, int) override {
    std::vector<StalledWork> work;
    for (const auto& [id, receipt] : receipts) {
      if (receipt.state == ReceiptState::kConfirming) {
        work.push_back({StalledWork::Kind::kConfirm, "p", id});
      }
    }
    for (const auto& [id, pending] : releases) {
      if (!pending.empty()) work.push_back({StalledWork::Kind::kCertificateRelease, "p", id});
    }
    for (const auto& [key, refund] : refunds) {
      if (refund.state == RefundState::kPending) {
        work.push_back({StalledWork::Kind::kRefund, "p", refund.refund_id});
      }
    }
    return work;
  }

  // Plans and records a refund under `key`; "cancel:<receipt id>" is the
  // receipt's cancel refund.
  absl::StatusOr<Refund> Record(const std::string& receipt_id, const std::string& key,
                                const std::vector<RefundRequestLine>& lines) {
    Receipt& receipt = receipts.at(receipt_id);
    absl::StatusOr<RefundPlan> plan = PlanRefund(receipt.lines, lines, receipt.point_value);
    if (!plan.ok()) return plan.status();
    Refund refund{.refund_id = "refund-" + key,
                  .receipt_id = receipt_id,
                  .card_number = receipt.card_number,
                  .plan = *plan,
                  .shortfall_policy = settings.refund_shortfall_policy,
                  .negative_floor = RefundFloor(settings),
                  .cancels_receipt = key == "cancel:" + receipt_id};
    refund.certificates =
        PlanCertificateRefund(receipt.lines, receipt.point_value, receipt.certificates);
    refunds[key] = refund;
    return refund;
  }

  static constexpr char kStore[] = "6f1c1d9e-1111-4222-8333-444455556666";
  std::map<std::string, Receipt> receipts;
  std::map<std::string, Refund> refunds;
  std::map<std::string, std::vector<ReceiptCertificate>> releases;  // by receipt id
  int fail_send_backs = 0;  // the next SendBack calls fail
  int confirm_events = 0;
  int cancel_events = 0;
  PosSettings settings{.accrual_rate_bp = 1000, .max_redeem_share_bp = 5000, .point_value = 100};
};

class ReceiptEngineTest : public ::testing::Test {
 protected:
  CalculateInput Input(int64_t points) {
    return CalculateInput{.store_id = FakeRepository::kStore,
                          .receipt_number = "R-1",
                          .card_number = "2000000000008",
                          .lines = {{.sku = "a", .quantity = "2", .price = 50000},
                                    {.sku = "b", .quantity = "1", .price = 20000}},
                          .points_to_spend = points};
  }

  FakeRepository repository_;
  FakeLedger ledger_;
  ReceiptEngine engine_{repository_, [] { return absl::FromUnixSeconds(1'800'000'000); }};
};

// 10% off the first line, 7 bonus points on the second.
class FakeCampaigns final : public ReceiptCampaigns {
 public:
  absl::StatusOr<CampaignPricing> Price(const std::string&, const std::string& store_id,
                                        absl::Time at, const PosSettings&,
                                        const CardInfo* member_card, std::vector<PricedLine>& lines,
                                        const std::vector<promotions::EnteredPromoCode>&,
                                        const std::vector<std::string>&) override {
    if (!failure.ok()) return failure;
    stores.push_back(store_id);
    times.push_back(at);
    member_cards.push_back(member_card != nullptr ? member_card->number : "");
    lines[0].discount = lines[0].amount / 10;
    CampaignPricing pricing;
    pricing.line_bonus_points = {0, 7};
    pricing.bonus_points = 7;
    pricing.messages = {"Spring sale"};
    pricing.applied = {{.campaign_id = "c1", .campaign_version = 4, .rule_id = "r1"}};
    pricing.gifts = {{.campaign_id = "c1",
                      .campaign_version = 4,
                      .rule_id = "r1",
                      .sku = "mug",
                      .product_name = "Mug",
                      .in_catalogue = true,
                      .quantity_milli = 1000}};
    pricing.actions = {{.campaign_id = "c1",
                        .campaign_version = 4,
                        .rule_id = "r1",
                        .kind = ActionKind::kAddTag,
                        .target = "buyer"}};
    return pricing;
  }

  absl::Status failure;
  std::vector<std::string> stores;
  std::vector<std::string> member_cards;  // "" for none
  std::vector<absl::Time> times;          // the sale time each pricing was for
};

TEST_F(ReceiptEngineTest, CampaignDiscountsComeBeforePointsAndBonusPointsAreAdded) {
  FakeCampaigns campaigns;
  ReceiptEngine engine(repository_, [] { return absl::FromUnixSeconds(1'800'000'000); },
                       &campaigns);
  auto receipt = engine.Calculate("p", Input(0), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(campaigns.stores, std::vector<std::string>{FakeRepository::kStore});
  // The card is known before the campaigns price, for their member facts.
  EXPECT_EQ(campaigns.member_cards, std::vector<std::string>{"2000000000008"});
  EXPECT_EQ(receipt->lines[0].discount, 10000);
  EXPECT_EQ(receipt->total_amount, 120000);
  // 10% of the 1100.00 left to pay, plus the campaign's 7.
  EXPECT_EQ(receipt->points_earned, 117);
  EXPECT_EQ(receipt->lines[1].points_earned, 20 + 7);
  EXPECT_EQ(receipt->messages, std::vector<std::string>{"Spring sale"});
  ASSERT_EQ(receipt->applied_campaigns.size(), 1u);
  EXPECT_EQ(receipt->applied_campaigns[0].campaign_version, 4);
  EXPECT_EQ(AmountToPay(receipt->lines, receipt->point_value), 110000);
  // The gifts are saved with the calculation; they change no amount.
  ASSERT_EQ(receipt->gifts.size(), 1u);
  EXPECT_EQ(receipt->gifts[0].sku, "mug");
  ASSERT_EQ(repository_.receipts.size(), 1u);
  EXPECT_EQ(repository_.receipts.begin()->second.gifts.size(), 1u);
}

TEST_F(ReceiptEngineTest, ActionsWaitForTheMembersConfirmationOrAreSkippedWithoutOne) {
  FakeCampaigns campaigns;
  ReceiptEngine engine(repository_, [] { return absl::FromUnixSeconds(1'800'000'000); },
                       &campaigns);
  ledger_.client_id = "client-1";
  auto member = engine.Calculate("p", Input(0), ledger_);
  ASSERT_TRUE(member.ok()) << member.status();
  ASSERT_EQ(member->actions.size(), 1u);
  EXPECT_EQ(member->actions[0].state, ActionState::kPending);
  EXPECT_EQ(member->actions[0].client_id, "client-1");
  EXPECT_EQ(member->actions[0].target, "buyer");
  EXPECT_EQ(repository_.receipts.at(member->receipt_id).actions.size(), 1u);

  CalculateInput anonymous = Input(0);
  anonymous.receipt_number = "R-ANON";
  anonymous.card_number.clear();
  auto skipped = engine.Calculate("p", anonymous, ledger_);
  ASSERT_TRUE(skipped.ok()) << skipped.status();
  ASSERT_EQ(skipped->actions.size(), 1u);
  EXPECT_EQ(skipped->actions[0].state, ActionState::kSkipped);
  EXPECT_EQ(skipped->actions[0].reason, "no member: the receipt has no card");

  // A card nobody was given yet: loyalty, but no member to act on.
  ledger_.client_id.clear();
  CalculateInput unowned = Input(0);
  unowned.receipt_number = "R-UNOWNED";
  auto no_client = engine.Calculate("p", unowned, ledger_);
  ASSERT_TRUE(no_client.ok()) << no_client.status();
  EXPECT_EQ(no_client->actions[0].state, ActionState::kSkipped);
  EXPECT_EQ(no_client->actions[0].reason, "no member: the card is not given to a client");
}

TEST_F(ReceiptEngineTest, WithoutACardCampaignsDiscountButEarnNothing) {
  FakeCampaigns campaigns;
  ReceiptEngine engine(repository_, [] { return absl::FromUnixSeconds(1'800'000'000); },
                       &campaigns);
  CalculateInput input = Input(0);
  input.card_number.clear();
  auto receipt = engine.Calculate("p", input, ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(campaigns.member_cards, std::vector<std::string>{""});
  EXPECT_EQ(receipt->lines[0].discount, 10000);
  EXPECT_EQ(receipt->points_earned, 0);
  EXPECT_EQ(receipt->lines[1].points_earned, 0);
}

TEST_F(ReceiptEngineTest, ACampaignPricingErrorFailsTheCalculationAndStoresNothing) {
  FakeCampaigns campaigns;
  campaigns.failure = absl::UnavailableError("catalogue unreachable");
  ReceiptEngine engine(repository_, [] { return absl::FromUnixSeconds(1'800'000'000); },
                       &campaigns);
  EXPECT_EQ(engine.Calculate("p", Input(0), ledger_).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(repository_.receipts.empty());
  EXPECT_EQ(ledger_.held, 0);
}

TEST_F(ReceiptEngineTest, CalculateHoldsAndConfirmPostsOnce) {
  auto receipt = engine_.Calculate("p", Input(300), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->total_amount, 120000);
  EXPECT_EQ(receipt->max_points_payable, 600);
  EXPECT_EQ(receipt->points_spent, 300);
  EXPECT_EQ(receipt->points_earned, 90);  // 10% of 900.00
  EXPECT_EQ(ledger_.held, 300);

  ledger_.fail_commits = 1;  // cards restarts during the first confirm
  EXPECT_EQ(engine_.Confirm("p", "", "c-1", receipt->receipt_id, ledger_).status().code(),
            absl::StatusCode::kUnavailable);
  auto confirmed = engine_.Confirm("p", "", "c-1", receipt->receipt_id, ledger_);
  ASSERT_TRUE(confirmed.ok()) << confirmed.status();
  auto again = engine_.Confirm("p", "", "c-1", receipt->receipt_id, ledger_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(confirmed->state, ReceiptState::kConfirmed);
  EXPECT_EQ(ledger_.available, 1000 - 300 + 90);
  EXPECT_EQ(ledger_.held, 0);
  EXPECT_EQ(repository_.confirm_events, 1);
}

TEST_F(ReceiptEngineTest, RecalculationReplacesTheHold) {
  auto first = engine_.Calculate("p", Input(300), ledger_);
  ASSERT_TRUE(first.ok());
  auto second = engine_.Calculate("p", Input(100), ledger_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->receipt_id, first->receipt_id);
  EXPECT_EQ(second->calculation, 2);
  EXPECT_EQ(ledger_.held, 100);
  EXPECT_EQ(ledger_.holds.size(), 1u);
}

TEST_F(ReceiptEngineTest, ARecalculationCountsItsOwnHoldOnlyAsFarAsTheDebtLeavesIt) {
  auto first = engine_.Calculate("p", Input(300), ledger_);
  ASSERT_TRUE(first.ok()) << first.status();
  // A refund of another receipt left the card owing 900 of its 1000
  // points: once the hold of 300 is voided, 100 are spendable, not 300.
  ledger_.debt = 900;
  auto again = engine_.Calculate("p", Input(300), ledger_);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(again.status()), "points_to_spend");
  EXPECT_TRUE(absl::StrContains(again.status().message(), "the card has 100 available"))
      << again.status();
  EXPECT_EQ(ledger_.held, 300);  // nothing changed
  auto within = engine_.Calculate("p", Input(100), ledger_);
  ASSERT_TRUE(within.ok()) << within.status();
  EXPECT_EQ(within->points_spent, 100);
  EXPECT_EQ(ledger_.held, 100);
}

TEST_F(ReceiptEngineTest, SpendingMoreThanPayableIsRefusedAndChangesNothing) {
  auto receipt = engine_.Calculate("p", Input(700), ledger_);  // cap is 600
  EXPECT_EQ(receipt.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(receipt.status()), "points_to_spend");
  ledger_.available = 50;
  receipt = engine_.Calculate("p", Input(51), ledger_);
  EXPECT_EQ(ViolatedField(receipt.status()), "points_to_spend");
  EXPECT_TRUE(repository_.receipts.empty());
  EXPECT_EQ(ledger_.held, 0);

  // A recalculation may reuse the points its own earlier hold took.
  ASSERT_TRUE(engine_.Calculate("p", Input(50), ledger_).ok());
  EXPECT_EQ(ledger_.available, 0);
  auto again = engine_.Calculate("p", Input(50), ledger_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->points_spent, 50);
  EXPECT_EQ(again->max_points_payable, 50);
  EXPECT_EQ(ledger_.held, 50);
}

TEST_F(ReceiptEngineTest, CrashAfterBeginConfirmIsFinishedByResume) {
  auto receipt = engine_.Calculate("p", Input(100), ledger_);
  ASSERT_TRUE(receipt.ok());
  ledger_.fail_commits = 1;  // the pos process "dies" during the ledger call
  EXPECT_FALSE(engine_.Confirm("p", "", "c-1", receipt->receipt_id, ledger_).ok());
  auto stalled = repository_.ListStalled(absl::Seconds(0), 10);
  ASSERT_TRUE(stalled.ok());
  ASSERT_EQ(stalled->size(), 1u);
  ASSERT_TRUE(engine_.Resume((*stalled)[0], ledger_).ok());
  EXPECT_EQ(repository_.receipts.at(receipt->receipt_id).state, ReceiptState::kConfirmed);
  EXPECT_EQ(repository_.confirm_events, 1);
  EXPECT_EQ(ledger_.held, 0);
}

TEST_F(ReceiptEngineTest, LedgerRefusalSendsTheReceiptBackToCalculation) {
  auto receipt = engine_.Calculate("p", Input(100), ledger_);
  ASSERT_TRUE(receipt.ok());
  ledger_.refuse_commits = true;
  auto refused = engine_.Confirm("p", "", "c-1", receipt->receipt_id, ledger_);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(repository_.receipts.at(receipt->receipt_id).state, ReceiptState::kCalculated);
  ledger_.refuse_commits = false;
  auto again = engine_.Calculate("p", Input(100), ledger_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(engine_.Confirm("p", "", "c-2", receipt->receipt_id, ledger_).ok());
}

TEST_F(ReceiptEngineTest, StoreBoundCredentialsSeeOnlyTheirStore) {
  auto receipt = engine_.Calculate("p", Input(0), ledger_);
  ASSERT_TRUE(receipt.ok());
  EXPECT_EQ(
      engine_
          .Confirm("p", "6f1c1d9e-1111-4222-8333-000000000000", "c", receipt->receipt_id, ledger_)
          .status()
          .code(),
      absl::StatusCode::kNotFound);
  // Upper-case ids name the same receipt.
  std::string upper = receipt->receipt_id;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto confirmed = engine_.Confirm("p", FakeRepository::kStore, "c", upper, ledger_);
  ASSERT_TRUE(confirmed.ok()) << confirmed.status();
  EXPECT_EQ(ledger_.applied.count(receipt->receipt_id + ":accrue"), 1u);
}

TEST_F(ReceiptEngineTest, UnknownOrBlockedCardPricesWithoutLoyalty) {
  CalculateInput input = Input(100);
  input.card_number = "999";
  auto receipt = engine_.Calculate("p", input, ledger_);
  ASSERT_TRUE(receipt.ok());
  EXPECT_EQ(receipt->no_loyalty_reason, NoLoyaltyReason::kCardNotFound);
  EXPECT_EQ(receipt->points_spent, 0);
  EXPECT_EQ(receipt->points_earned, 0);

  ledger_.active = false;
  input = Input(100);
  input.receipt_number = "R-2";
  receipt = engine_.Calculate("p", input, ledger_);
  ASSERT_TRUE(receipt.ok());
  EXPECT_EQ(receipt->no_loyalty_reason, NoLoyaltyReason::kCardInactive);
  EXPECT_EQ(ledger_.held, 0);
}

TEST_F(ReceiptEngineTest, CancelVoidsAndBlocksConfirm) {
  auto receipt = engine_.Calculate("p", Input(300), ledger_);
  ASSERT_TRUE(receipt.ok());
  ASSERT_TRUE(engine_.Cancel("p", "", receipt->receipt_id, ledger_).ok());
  EXPECT_EQ(ledger_.held, 0);
  EXPECT_EQ(ledger_.available, 1000);
  EXPECT_EQ(engine_.Confirm("p", "", "c", receipt->receipt_id, ledger_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ReceiptEngineTest, RefundReversesProRataOnce) {
  auto receipt = engine_.Calculate("p", Input(0), ledger_);
  ASSERT_TRUE(receipt.ok());
  ASSERT_TRUE(engine_.Confirm("p", "", "c", receipt->receipt_id, ledger_).ok());
  EXPECT_EQ(ledger_.available, 1120);
  auto refund = engine_.RefundReceipt("p", "", "r-1", receipt->receipt_id, {{1, "1"}}, ledger_);
  ASSERT_TRUE(refund.ok()) << refund.status();
  // Line 1 (1000.00 of 1200.00) earned 100 of 120 points; half of it back.
  EXPECT_EQ(refund->plan.points_to_reverse, 50);
  EXPECT_EQ(refund->points_reversed, 50);
  auto retried = engine_.RefundReceipt("p", "", "r-1", receipt->receipt_id, {{1, "1"}}, ledger_);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(ledger_.available, 1070);
}

// POS-5: a confirmed sale cancelled is undone entirely, once.
TEST_F(ReceiptEngineTest, CancelOfAConfirmedReceiptUndoesTheSaleOnce) {
  auto receipt = engine_.Calculate("p", Input(300), ledger_);
  ASSERT_TRUE(receipt.ok());
  ASSERT_TRUE(engine_.Confirm("p", "", "c", receipt->receipt_id, ledger_).ok());
  ASSERT_GT(receipt->points_earned, 0);
  EXPECT_EQ(ledger_.available, 1000 - 300 + receipt->points_earned);

  auto cancelled = engine_.Cancel("p", "", receipt->receipt_id, ledger_);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->receipt.state, ReceiptState::kCancelled);
  ASSERT_TRUE(cancelled->refund.has_value());
  EXPECT_TRUE(cancelled->refund->cancels_receipt);
  EXPECT_EQ(cancelled->refund->state, RefundState::kDone);
  EXPECT_EQ(cancelled->refund->plan.points_to_return, 300);
  EXPECT_EQ(cancelled->refund->points_reversed, receipt->points_earned);
  EXPECT_EQ(ledger_.available, 1000);
  EXPECT_EQ(ledger_.held, 0);

  // A retry answers the same refund and moves nothing more.
  auto again = engine_.Cancel("p", "", receipt->receipt_id, ledger_);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(again->refund.has_value());
  EXPECT_EQ(again->refund->refund_id, cancelled->refund->refund_id);
  EXPECT_EQ(ledger_.available, 1000);
  EXPECT_EQ(repository_.cancel_events, 1);
  // Neither refunded nor confirmed again.
  EXPECT_EQ(
      engine_.RefundReceipt("p", "", "r-late", receipt->receipt_id, {}, ledger_).status().code(),
      absl::StatusCode::kFailedPrecondition);
}

TEST_F(ReceiptEngineTest, CancelAfterAPartialRefundUndoesOnlyTheRest) {
  auto receipt = engine_.Calculate("p", Input(300), ledger_);
  ASSERT_TRUE(receipt.ok());
  ASSERT_TRUE(engine_.Confirm("p", "", "c", receipt->receipt_id, ledger_).ok());
  auto refund = engine_.RefundReceipt("p", "", "r-1", receipt->receipt_id, {{1, "1"}}, ledger_);
  ASSERT_TRUE(refund.ok()) << refund.status();

  auto cancelled = engine_.Cancel("p", "", receipt->receipt_id, ledger_);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  ASSERT_TRUE(cancelled->refund.has_value());
  // Together the two give back exactly what the sale moved.
  EXPECT_EQ(refund->plan.points_to_return + cancelled->refund->plan.points_to_return, 300);
  EXPECT_EQ(refund->points_reversed + cancelled->refund->points_reversed, receipt->points_earned);
  EXPECT_EQ(refund->plan.amount + cancelled->refund->plan.amount,
            AmountToPay(receipt->lines, receipt->point_value));
  EXPECT_EQ(ledger_.available, 1000);
  EXPECT_EQ(cancelled->receipt.state, ReceiptState::kCancelled);
}

TEST_F(ReceiptEngineTest, AReceiptRefundedWhollyCannotBeCancelled) {
  auto receipt = engine_.Calculate("p", Input(0), ledger_);
  ASSERT_TRUE(receipt.ok());
  ASSERT_TRUE(engine_.Confirm("p", "", "c", receipt->receipt_id, ledger_).ok());
  ASSERT_TRUE(engine_.RefundReceipt("p", "", "r-1", receipt->receipt_id, {}, ledger_).ok());
  auto cancelled = engine_.Cancel("p", "", receipt->receipt_id, ledger_);
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(cancelled.status()), "receipt_id");
  EXPECT_EQ(repository_.receipts.at(receipt->receipt_id).state, ReceiptState::kConfirmed);
}

TEST_F(ReceiptEngineTest, ACancelStoppedHalfWayIsFinishedByResumeOrARetry) {
  auto receipt = engine_.Calculate("p", Input(300), ledger_);
  ASSERT_TRUE(receipt.ok());
  ASSERT_TRUE(engine_.Confirm("p", "", "c", receipt->receipt_id, ledger_).ok());
  ledger_.fail_commits = 1;
  EXPECT_EQ(engine_.Cancel("p", "", receipt->receipt_id, ledger_).status().code(),
            absl::StatusCode::kUnavailable);
  // Recorded but not done: still CONFIRMED, and refunds are refused now.
  EXPECT_EQ(repository_.receipts.at(receipt->receipt_id).state, ReceiptState::kConfirmed);
  EXPECT_EQ(engine_.RefundReceipt("p", "", "r-1", receipt->receipt_id, {{1, "1"}}, ledger_)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  auto stalled = repository_.ListStalled(absl::ZeroDuration(), 10);
  ASSERT_TRUE(stalled.ok());
  ASSERT_EQ(stalled->size(), 1u);
  ASSERT_TRUE(engine_.Resume(stalled->front(), ledger_).ok());
  EXPECT_EQ(repository_.receipts.at(receipt->receipt_id).state, ReceiptState::kCancelled);
  EXPECT_EQ(ledger_.available, 1000);
  // The till's retry after the recovery changes nothing.
  auto retried = engine_.Cancel("p", "", receipt->receipt_id, ledger_);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(ledger_.available, 1000);
  EXPECT_EQ(repository_.cancel_events, 1);
}

// POS-4: the member spent the points a refund must take back.
TEST_F(ReceiptEngineTest, RefundOfSpentPointsFollowsThePolicyRecordedWithIt) {
  auto receipt = engine_.Calculate("p", Input(0), ledger_);
  ASSERT_TRUE(receipt.ok());
  ASSERT_TRUE(engine_.Confirm("p", "", "c", receipt->receipt_id, ledger_).ok());
  ledger_.available = 30;  // 120 earned, most of it spent since

  // CAP: 30 taken back, 20 forgiven, nothing below zero.
  auto capped = engine_.RefundReceipt("p", "", "r-1", receipt->receipt_id, {{1, "1"}}, ledger_);
  ASSERT_TRUE(capped.ok()) << capped.status();
  EXPECT_EQ(capped->plan.points_to_reverse, 50);
  EXPECT_EQ(capped->shortfall_policy, RefundShortfallPolicy::kCap);
  EXPECT_EQ(capped->points_reversed_from_balance(), 30);
  EXPECT_EQ(capped->points_into_negative, 0);
  EXPECT_EQ(capped->points_forgiven(), 20);
  EXPECT_EQ(ledger_.floors.back(), 0);
  EXPECT_EQ(ledger_.available, 0);

  // NEGATIVE_BALANCE with floor 40: the other half line's 50 points are all
  // owed, but only 40 fit above the floor.
  repository_.settings.refund_shortfall_policy = RefundShortfallPolicy::kNegativeBalance;
  repository_.settings.refund_negative_floor = 40;
  auto negative = engine_.RefundReceipt("p", "", "r-2", receipt->receipt_id, {{1, "1"}}, ledger_);
  ASSERT_TRUE(negative.ok()) << negative.status();
  EXPECT_EQ(negative->shortfall_policy, RefundShortfallPolicy::kNegativeBalance);
  EXPECT_EQ(negative->negative_floor, 40);
  EXPECT_EQ(ledger_.floors.back(), 40);
  EXPECT_EQ(negative->points_reversed, 40);
  EXPECT_EQ(negative->points_into_negative, 40);
  EXPECT_EQ(negative->points_reversed_from_balance(), 0);
  EXPECT_EQ(negative->points_forgiven(), 10);
  EXPECT_EQ(ledger_.available, -40);

  // A retry answers the first result and changes nothing.
  auto retried = engine_.RefundReceipt("p", "", "r-2", receipt->receipt_id, {{1, "1"}}, ledger_);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->points_into_negative, 40);
  EXPECT_EQ(ledger_.available, -40);
}

TEST_F(ReceiptEngineTest, BadInputNamesTheField) {
  CalculateInput input = Input(0);
  input.store_id = "";
  EXPECT_EQ(ViolatedField(engine_.Calculate("p", input, ledger_).status()), "store_id");
  input = Input(0);
  input.bound_store_id = "6f1c1d9e-1111-4222-8333-000000000000";
  auto status = engine_.Calculate("p", input, ledger_).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  input = Input(-5);
  EXPECT_EQ(ViolatedField(engine_.Calculate("p", input, ledger_).status()), "points_to_spend");
  input = Input(0);
  input.store_id = "6f1c1d9e-1111-4222-8333-000000000000";
  EXPECT_EQ(ViolatedField(engine_.Calculate("p", input, ledger_).status()), "store_id");
  EXPECT_TRUE(repository_.receipts.empty());
  EXPECT_EQ(ViolatedField(engine_.RefundReceipt("p", "", "", "x", {}, ledger_).status()),
            "request_id");
}

// CMP-5: 10% off the first line by a campaign with a budget, unless left
// out.
class BudgetedCampaigns final : public ReceiptCampaigns {
 public:
  absl::StatusOr<CampaignPricing> Price(const std::string&, const std::string&, absl::Time,
                                        const PosSettings&, const CardInfo*,
                                        std::vector<PricedLine>& lines,
                                        const std::vector<promotions::EnteredPromoCode>&,
                                        const std::vector<std::string>& excluded) override {
    asked.push_back(excluded);
    CampaignPricing pricing;
    pricing.line_bonus_points.assign(lines.size(), 0);
    lines[0].discount = 0;
    if (!excluded.empty()) return pricing;
    lines[0].discount = lines[0].amount / 10;
    pricing.applied = {{.campaign_id = "capped",
                        .campaign_version = 1,
                        .rule_id = "r1",
                        .discount = lines[0].discount}};
    pricing.consumption = {{.campaign_id = "capped", .discount = lines[0].discount}};
    if (with_budget) pricing.consumption[0].budget = {.max_discount = 1'000'000};
    return pricing;
  }

  bool with_budget = true;
  std::vector<std::vector<std::string>> asked;
};

class RecordingBudgets final : public CampaignBudgets {
 public:
  absl::StatusOr<std::vector<std::string>> Reserve(const BudgetKey& key,
                                                   const std::vector<BudgetClaim>& claims,
                                                   absl::Time) override {
    if (exhausted) return std::vector<std::string>{"capped"};
    reserved[key.receipt_id] = claims.at(0).discount;
    return std::vector<std::string>{};
  }
  absl::Status Release(const std::string&, const std::string& receipt_id, int32_t) override {
    ++settlements;
    reserved.erase(receipt_id);
    return absl::OkStatus();
  }
  absl::Status ReleaseBefore(const std::string&, const std::string&, int32_t) override {
    return absl::OkStatus();
  }
  absl::Status Consume(const std::string&, const std::string& receipt_id, int32_t,
                       absl::Time) override {
    ++settlements;
    if (!consume_result.ok()) return consume_result;
    used += reserved[receipt_id];
    reserved.erase(receipt_id);
    return absl::OkStatus();
  }
  absl::Status Unconsume(const std::string&, const std::string&, int32_t, absl::Time) override {
    ++unconsumed;
    return absl::OkStatus();
  }
  absl::Status GiveBack(const std::string&, const std::string&) override {
    ++given_back;
    return absl::OkStatus();
  }

  bool exhausted = false;
  absl::Status consume_result;
  std::map<std::string, int64_t> reserved;
  int64_t used = 0;
  int unconsumed = 0;
  int given_back = 0;
  int settlements = 0;  // Consume and Release calls
};

class ReceiptBudgetsTest : public ReceiptEngineTest {
 protected:
  BudgetedCampaigns campaigns_;
  RecordingBudgets budgets_;
  ReceiptEngine budgeted_{repository_, [] { return absl::FromUnixSeconds(1'800'000'000); },
                          &campaigns_, &budgets_};
};

TEST_F(ReceiptBudgetsTest, AnExhaustedBudgetPricesTheReceiptAgainWithoutTheCampaign) {
  budgets_.exhausted = true;
  auto receipt = budgeted_.Calculate("p", Input(0), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ASSERT_EQ(campaigns_.asked.size(), 2u);
  EXPECT_EQ(campaigns_.asked[1], std::vector<std::string>{"capped"});
  EXPECT_EQ(receipt->lines[0].discount, 0);
  EXPECT_TRUE(receipt->applied_campaigns.empty());
  EXPECT_EQ(receipt->points_earned, 120);  // 10% of the whole 1200.00
  EXPECT_EQ(receipt->messages, std::vector<std::string>{BudgetExhaustedMessage("capped")});
}

TEST_F(ReceiptBudgetsTest, ConfirmUsesTheReservationCancelReleasesItRefundGivesBack) {
  auto receipt = budgeted_.Calculate("p", Input(0), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->lines[0].discount, 10000);
  EXPECT_EQ(budgets_.reserved[receipt->receipt_id], 10000);
  ASSERT_TRUE(budgeted_.Confirm("p", "", "c-1", receipt->receipt_id, ledger_).ok());
  EXPECT_EQ(budgets_.used, 10000);
  ASSERT_TRUE(budgeted_.RefundReceipt("p", "", "r-1", receipt->receipt_id, {}, ledger_).ok());
  EXPECT_EQ(budgets_.given_back, 1);

  CalculateInput other = Input(0);
  other.receipt_number = "R-2";
  auto cancelled = budgeted_.Calculate("p", other, ledger_);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_TRUE(budgets_.reserved.contains(cancelled->receipt_id));
  ASSERT_TRUE(budgeted_.Cancel("p", "", cancelled->receipt_id, ledger_).ok());
  EXPECT_FALSE(budgets_.reserved.contains(cancelled->receipt_id));
}

TEST_F(ReceiptBudgetsTest, ReceiptsNoBudgetCoversSkipTheBudgetsOnConfirmAndCancel) {
  campaigns_.with_budget = false;
  auto receipt = budgeted_.Calculate("p", Input(0), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->applied_campaigns.size(), 1u);
  EXPECT_FALSE(receipt->budget_reserved);
  ASSERT_TRUE(budgeted_.Confirm("p", "", "c-1", receipt->receipt_id, ledger_).ok());
  CalculateInput other = Input(0);
  other.receipt_number = "R-2";
  auto cancelled = budgeted_.Calculate("p", other, ledger_);
  ASSERT_TRUE(cancelled.ok());
  ASSERT_TRUE(budgeted_.Cancel("p", "", cancelled->receipt_id, ledger_).ok());
  EXPECT_EQ(budgets_.settlements, 0);

  // With a budget both settle, as the test above shows in detail.
  campaigns_.with_budget = true;
  other.receipt_number = "R-3";
  auto budgeted = budgeted_.Calculate("p", other, ledger_);
  ASSERT_TRUE(budgeted.ok());
  EXPECT_TRUE(budgeted->budget_reserved);
  ASSERT_TRUE(budgeted_.Confirm("p", "", "c-3", budgeted->receipt_id, ledger_).ok());
  EXPECT_EQ(budgets_.settlements, 1);
}

TEST_F(ReceiptBudgetsTest, ALapsedReservationTheBudgetNoLongerCoversSendsTheReceiptBack) {
  auto receipt = budgeted_.Calculate("p", Input(300), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  budgets_.consume_result = absl::FailedPreconditionError("budget exhausted");
  EXPECT_EQ(budgeted_.Confirm("p", "", "c-1", receipt->receipt_id, ledger_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(repository_.receipts.at(receipt->receipt_id).state, ReceiptState::kCalculated);
  EXPECT_EQ(ledger_.held, 300);  // nothing posted: the hold waits for a recalculation
  EXPECT_EQ(repository_.confirm_events, 0);

  // The ledger refusing outright gives the usage back.
  budgets_.consume_result = absl::OkStatus();
  ledger_.refuse_commits = true;
  EXPECT_FALSE(budgeted_.Confirm("p", "", "c-2", receipt->receipt_id, ledger_).ok());
  EXPECT_EQ(budgets_.unconsumed, 1);
}

// A campaign that takes 10% off line 1 when the shared code SPRING was
// entered, and one that gives 5 points for any code of pool-unique.
class PromoCampaigns final : public ReceiptCampaigns {
 public:
  absl::StatusOr<CampaignPricing> Price(
      const std::string&, const std::string&, absl::Time, const PosSettings&, const CardInfo*,
      std::vector<PricedLine>& lines, const std::vector<promotions::EnteredPromoCode>& promo_codes,
      const std::vector<std::string>&) override {
    CampaignPricing pricing;
    pricing.line_bonus_points.assign(lines.size(), 0);
    pricing.promo_code_campaigns.assign(promo_codes.size(), "");
    for (size_t i = 0; i < promo_codes.size(); ++i) {
      const promotions::EnteredPromoCode& code = promo_codes[i];
      if (code.pool_id.empty() && code.code == "SPRING") {
        lines[0].discount = lines[0].amount / 10;
        pricing.promo_code_campaigns[i] = "c-spring";
        pricing.applied.push_back({.campaign_id = "c-spring", .rule_id = "r1"});
      } else if (code.pool_id == "pool-unique") {
        pricing.line_bonus_points[0] += 5;
        pricing.bonus_points += 5;
        pricing.promo_code_campaigns[i] = "c-unique";
        if (budgeted) {
          pricing.consumption.push_back(
              {.campaign_id = "c-unique", .bonus_points = 5, .budget = {.max_bonus_points = 1000}});
        }
      }
    }
    return pricing;
  }

  bool budgeted = false;  // c-unique has a budget
};

class ReceiptPromoCodesTest : public ReceiptEngineTest {
 protected:
  void SetUp() override {
    promo_.codes["SPRING"] = {.pool_id = "pool-shared"};
    promo_.codes["UNIQ1"] = {.pool_id = "pool-unique", .max_uses = 1};
    promo_.codes["IDLE"] = {.pool_id = "pool-idle"};
    promo_.codes["OLD"] = {.pool_id = "pool-old", .expired = true};
  }
  CalculateInput WithCodes(std::vector<std::string> codes, int64_t points = 0) {
    CalculateInput input = Input(points);
    input.promo_codes = std::move(codes);
    return input;
  }

  FakePromoCodes promo_;
  PromoCampaigns promo_campaigns_;
  ReceiptEngine codes_engine_{repository_, [this] { return promo_.now; }, &promo_campaigns_,
                              nullptr, &promo_};
};

TEST_F(ReceiptPromoCodesTest, AppliedCodesHoldAUseAndTheOthersSayWhy) {
  auto receipt =
      codes_engine_.Calculate("p", WithCodes({"spring", "UNIQ1", "IDLE", "NOPE", "OLD"}), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ASSERT_EQ(receipt->promo_codes.size(), 5u);
  EXPECT_EQ(receipt->promo_codes[0].code, "SPRING");
  EXPECT_EQ(receipt->promo_codes[0].outcome, PromoCodeOutcome::kApplied);
  EXPECT_EQ(receipt->promo_codes[0].campaign_id, "c-spring");
  EXPECT_EQ(receipt->promo_codes[1].campaign_id, "c-unique");
  EXPECT_EQ(receipt->promo_codes[2].outcome, PromoCodeOutcome::kNotUsed);
  EXPECT_EQ(receipt->promo_codes[3].outcome, PromoCodeOutcome::kUnknown);
  EXPECT_EQ(receipt->promo_codes[4].outcome, PromoCodeOutcome::kExpired);
  EXPECT_EQ(receipt->lines[0].discount, 10000);
  EXPECT_EQ(promo_.Uses("SPRING"), 1);
  EXPECT_EQ(promo_.Uses("UNIQ1"), 1);
  EXPECT_EQ(promo_.Uses("IDLE"), 0);  // reserved, then released: no use burnt
  EXPECT_EQ(repository_.receipts.at(receipt->receipt_id).promo_codes.size(), 5u);
  EXPECT_EQ(receipt->messages,
            (std::vector<std::string>{"Promo code IDLE: no campaign applies it to this receipt",
                                      "Promo code NOPE: not a code of this program",
                                      "Promo code OLD: this code has expired"}));
}

TEST_F(ReceiptPromoCodesTest, AMalformedCodeIsRefusedAndNothingIsReserved) {
  auto status = codes_engine_.Calculate("p", WithCodes({"SPRING", "BAD CODE"}), ledger_).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_EQ(ViolatedField(status), "promo_codes[1]");
  EXPECT_EQ(promo_.reserve_calls, 0);
  EXPECT_TRUE(repository_.receipts.empty());
}

TEST_F(ReceiptPromoCodesTest, RecalculationAndRetriesHoldOneUseAndDroppingACodeReleasesIt) {
  auto first = codes_engine_.Calculate("p", WithCodes({"UNIQ1"}), ledger_);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string reservation = first->promo_codes[0].reservation_id;
  // The till retries, then recalculates: the single-use code is still ours.
  for (int i = 0; i < 2; ++i) {
    auto again = codes_engine_.Calculate("p", WithCodes({"UNIQ1"}), ledger_);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->promo_codes[0].outcome, PromoCodeOutcome::kApplied);
    EXPECT_EQ(again->promo_codes[0].reservation_id, reservation);
  }
  EXPECT_EQ(promo_.reservations.size(), 1u);
  // Dropped from the receipt: its use is given back.
  auto dropped = codes_engine_.Calculate("p", WithCodes({}), ledger_);
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_TRUE(dropped->promo_codes.empty());
  EXPECT_EQ(promo_.Uses("UNIQ1"), 0);
  // Entered again: a new reservation, since the old one was released.
  auto back = codes_engine_.Calculate("p", WithCodes({"UNIQ1"}), ledger_);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->promo_codes[0].outcome, PromoCodeOutcome::kApplied);
  EXPECT_NE(back->promo_codes[0].reservation_id, reservation);
  EXPECT_EQ(promo_.Uses("UNIQ1"), 1);
}

TEST_F(ReceiptPromoCodesTest, ASecondReceiptOfASingleUseCodeIsRefused) {
  ASSERT_TRUE(codes_engine_.Calculate("p", WithCodes({"UNIQ1"}), ledger_).ok());
  CalculateInput other = WithCodes({"UNIQ1"});
  other.receipt_number = "R-2";
  auto receipt = codes_engine_.Calculate("p", other, ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->promo_codes[0].outcome, PromoCodeOutcome::kExhausted);
  EXPECT_EQ(receipt->points_earned, 120);  // no bonus points from c-unique
}

TEST_F(ReceiptPromoCodesTest, AFailedCalculationReleasesWhatItReserved) {
  // More points than the receipt allows: refused after the code was reserved.
  auto status = codes_engine_.Calculate("p", WithCodes({"UNIQ1"}, 100000), ledger_).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_EQ(promo_.Uses("UNIQ1"), 0);
}

TEST_F(ReceiptPromoCodesTest, CampaignsUnavailablePricesWithoutCodes) {
  promo_.unavailable = true;
  auto receipt = codes_engine_.Calculate("p", WithCodes({"SPRING"}), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->promo_codes[0].outcome, PromoCodeOutcome::kUnchecked);
  EXPECT_EQ(receipt->lines[0].discount, 0);
  EXPECT_EQ(receipt->messages,
            std::vector<std::string>{"Promo codes could not be checked: priced without them"});
}

TEST_F(ReceiptPromoCodesTest, ConfirmConsumesOnceAcrossRetriesAndRecovery) {
  auto receipt = codes_engine_.Calculate("p", WithCodes({"UNIQ1", "IDLE"}), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ledger_.fail_commits = 1;
  EXPECT_FALSE(codes_engine_.Confirm("p", "", "q-1", receipt->receipt_id, ledger_).ok());
  // The code was consumed before the ledger failed; the stalled confirm is
  // finished by recovery and consumes it again harmlessly.
  ASSERT_TRUE(codes_engine_.Resume({StalledWork::Kind::kConfirm, "p", receipt->receipt_id}, ledger_)
                  .ok());
  auto retried = codes_engine_.Confirm("p", "", "q-1", receipt->receipt_id, ledger_);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->state, ReceiptState::kConfirmed);
  EXPECT_EQ(promo_.Consumed("UNIQ1"), 1);
  EXPECT_EQ(promo_.Consumed("IDLE"), 0);
}

TEST_F(ReceiptPromoCodesTest, ALapsedReservationRefusesTheConfirmBeforeAnyPointMoves) {
  auto receipt = codes_engine_.Calculate("p", WithCodes({"UNIQ1"}, 100), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  promo_.now += absl::Hours(1);
  auto status = codes_engine_.Confirm("p", "", "q-1", receipt->receipt_id, ledger_).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_EQ(ViolatedField(status), "promo_codes");
  EXPECT_TRUE(ledger_.applied.empty());
  EXPECT_EQ(repository_.receipts.at(receipt->receipt_id).state, ReceiptState::kCalculated);
  // Calculated again, it reserves anew and confirms.
  ASSERT_TRUE(codes_engine_.Calculate("p", WithCodes({"UNIQ1"}, 100), ledger_).ok());
  ASSERT_TRUE(codes_engine_.Confirm("p", "", "q-2", receipt->receipt_id, ledger_).ok());
  EXPECT_EQ(promo_.Consumed("UNIQ1"), 1);
}

TEST_F(ReceiptPromoCodesTest, ALapsedReservationGivesBackTheBudgetTheConfirmConsumed) {
  RecordingBudgets budgets;
  promo_campaigns_.budgeted = true;
  ReceiptEngine engine{repository_, [this] { return promo_.now; }, &promo_campaigns_, &budgets,
                       &promo_};
  auto receipt = engine.Calculate("p", WithCodes({"UNIQ1"}), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ASSERT_TRUE(receipt->budget_reserved);
  promo_.now += absl::Hours(1);
  auto status = engine.Confirm("p", "", "q-1", receipt->receipt_id, ledger_).status();
  EXPECT_EQ(ViolatedField(status), "promo_codes");
  // The budget was consumed before the codes refused; it is given back.
  EXPECT_EQ(budgets.unconsumed, 1);
  EXPECT_EQ(repository_.receipts.at(receipt->receipt_id).state, ReceiptState::kCalculated);
}

TEST_F(ReceiptPromoCodesTest, CancelReleases) {
  auto receipt = codes_engine_.Calculate("p", WithCodes({"UNIQ1"}), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ASSERT_TRUE(codes_engine_.Cancel("p", "", receipt->receipt_id, ledger_).ok());
  EXPECT_EQ(promo_.Uses("UNIQ1"), 0);
}

TEST_F(ReceiptPromoCodesTest, AWholeRefundGivesTheUseBackAPartialOneKeepsIt) {
  auto receipt = codes_engine_.Calculate("p", WithCodes({"UNIQ1"}), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ASSERT_TRUE(codes_engine_.Confirm("p", "", "q-1", receipt->receipt_id, ledger_).ok());
  ASSERT_TRUE(codes_engine_.RefundReceipt("p", "", "f-1", receipt->receipt_id, {{1, "1"}}, ledger_).ok());
  EXPECT_EQ(promo_.Consumed("UNIQ1"), 1);
  auto whole = codes_engine_.RefundReceipt("p", "", "f-2", receipt->receipt_id,
                                           {{1, "1"}, {2, "1"}}, ledger_);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(promo_.Consumed("UNIQ1"), 0);
  EXPECT_EQ(promo_.Uses("UNIQ1"), 0);
}

// Gift certificates paying part of a receipt (POS-2): 1200.00 on the
// receipt, 300 points (300.00) paid with points, 900.00 left to pay.
class ReceiptCertificatesTest : public ReceiptEngineTest {
 protected:
  void SetUp() override {
    certificates_.Issue("4000000001", 50000);
    certificates_.Issue("4000000002", 100000);
  }
  CalculateInput WithCertificates(std::vector<CertificateInput> offered, int64_t points = 300) {
    CalculateInput input = Input(points);
    input.certificates = std::move(offered);
    return input;
  }

  FakeCertificates certificates_;
  ReceiptEngine certificates_engine_{repository_,
                                     [] { return absl::FromUnixSeconds(1'800'000'000); },
                                     nullptr,
                                     nullptr,
                                     nullptr,
                                     &certificates_};
};

TEST_F(ReceiptCertificatesTest, CertificatesPayWhatDiscountsAndPointsLeaveAndAreHeld) {
  auto receipt = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001"}, {.number = "4000000002"}}), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ASSERT_EQ(receipt->certificates.size(), 2u);
  // The first pays all it has, the second only what is still left.
  EXPECT_EQ(receipt->certificates[0].outcome, CertificateOutcome::kApplied);
  EXPECT_EQ(receipt->certificates[0].amount, 50000);
  EXPECT_EQ(receipt->certificates[1].outcome, CertificateOutcome::kApplied);
  EXPECT_EQ(receipt->certificates[1].amount, 40000);
  EXPECT_EQ(AmountToPay(receipt->lines, receipt->point_value) - CertificatesAmount(*receipt), 0);
  EXPECT_EQ(certificates_.Held("4000000002"), 40000);
  EXPECT_EQ(receipt->points_spent, 300);  // points first, untouched
  EXPECT_EQ(repository_.receipts.at(receipt->receipt_id).certificates.size(), 2u);
}

TEST_F(ReceiptCertificatesTest, ACertificateThatCannotPayIsAnOutcomeNotAFailure) {
  certificates_.Issue("4000000003", 1000);
  certificates_.Issue("4000000004", 1000);
  certificates_.certificates.at("4000000004").blocked = true;
  certificates_.Issue("4000000005", 1000);
  certificates_.certificates.at("4000000005").expired = true;
  certificates_.Issue("4000000006", 1000);
  certificates_.certificates.at("4000000006").program_id = "another";
  auto receipt = certificates_engine_.Calculate(
      "p",
      WithCertificates({{.number = "4000000003", .amount = 2000},
                        {.number = "4000000004"},
                        {.number = "4000000005"},
                        {.number = "4000000006"},
                        {.number = "4000000001", .amount = 30000}}),
      ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ASSERT_EQ(receipt->certificates.size(), 5u);
  EXPECT_EQ(receipt->certificates[0].outcome, CertificateOutcome::kInsufficient);
  EXPECT_EQ(receipt->certificates[1].outcome, CertificateOutcome::kBlocked);
  EXPECT_EQ(receipt->certificates[2].outcome, CertificateOutcome::kExpired);
  EXPECT_EQ(receipt->certificates[3].outcome, CertificateOutcome::kUnknown);
  EXPECT_EQ(receipt->certificates[4].outcome, CertificateOutcome::kApplied);
  EXPECT_EQ(receipt->certificates[4].amount, 30000);
  EXPECT_EQ(CertificatesAmount(*receipt), 30000);
  EXPECT_NE(std::find(receipt->messages.begin(), receipt->messages.end(),
                      "Certificate 4000000003: only 1000 is available on it"),
            receipt->messages.end());
  EXPECT_EQ(certificates_.Held("4000000003"), 0);
}

TEST_F(ReceiptCertificatesTest, CardsUnavailableLeavesCertificatesUncheckedAndUnpaid) {
  certificates_.fail_calls = 1;
  auto receipt = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001"}, {.number = "4000000002"}}), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->certificates[0].outcome, CertificateOutcome::kUnchecked);
  EXPECT_EQ(receipt->certificates[1].outcome, CertificateOutcome::kUnchecked);
  EXPECT_EQ(CertificatesAmount(*receipt), 0);
}

TEST_F(ReceiptCertificatesTest, AMalformedEntryIsRefusedNamingItAndNothingIsHeld) {
  auto receipt = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001"}, {.number = "12a45678"}}), ledger_);
  EXPECT_EQ(receipt.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(receipt.status()), "certificates[1].number");
  auto repeated = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001"}, {.number = "4000000001"}}), ledger_);
  EXPECT_EQ(ViolatedField(repeated.status()), "certificates[1].number");
  auto negative = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001", .amount = -1}}), ledger_);
  EXPECT_EQ(ViolatedField(negative.status()), "certificates[0].amount");
  EXPECT_TRUE(certificates_.holds.empty());
  EXPECT_TRUE(repository_.receipts.empty());
}

TEST_F(ReceiptCertificatesTest, RecalculationVoidsTheOldHoldsAndCancelVoidsTheNew) {
  auto first = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001"}}), ledger_);
  ASSERT_TRUE(first.ok()) << first.status();
  // The same certificate again: what the old hold reserved is available.
  auto second = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001"}}), ledger_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->certificates[0].amount, 50000);
  EXPECT_NE(second->certificates[0].hold_id, first->certificates[0].hold_id);
  EXPECT_EQ(certificates_.holds.at(first->certificates[0].hold_id).state,
            FakeCertificates::HoldRow::State::kVoided);
  EXPECT_EQ(certificates_.Held("4000000001"), 50000);

  ASSERT_TRUE(certificates_engine_.Cancel("p", "", second->receipt_id, ledger_).ok());
  EXPECT_EQ(certificates_.Held("4000000001"), 0);
  EXPECT_EQ(certificates_.Available("4000000001"), 50000);
}

TEST_F(ReceiptCertificatesTest, ConfirmPostsOnceAcrossRetriesAndRecovery) {
  auto receipt = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001", .amount = 20000}}), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ledger_.fail_commits = 1;  // certificates posted, points not yet
  EXPECT_EQ(certificates_engine_.Confirm("p", "", "q-1", receipt->receipt_id, ledger_)
                .status()
                .code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(repository_.receipts.at(receipt->receipt_id).state, ReceiptState::kConfirming);
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 30000);
  // The recovery task finishes it; the till's retry then changes nothing.
  auto stalled = repository_.ListStalled(absl::Seconds(30), 10);
  ASSERT_TRUE(stalled.ok());
  ASSERT_EQ(stalled->size(), 1u);
  ASSERT_TRUE(certificates_engine_.Resume((*stalled)[0], ledger_).ok());
  auto again = certificates_engine_.Confirm("p", "", "q-1", receipt->receipt_id, ledger_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state, ReceiptState::kConfirmed);
  EXPECT_EQ(certificates_.posts, 1);
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 30000);
  EXPECT_EQ(ledger_.held, 0);  // the points were posted too
}

TEST_F(ReceiptCertificatesTest, ALapsedHoldSendsTheReceiptBackBeforeAnyPointMoves) {
  auto receipt = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001", .amount = 10000},
                             {.number = "4000000002", .amount = 10000}}),
      ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  certificates_.LapseHolds("4000000002");
  auto confirmed = certificates_engine_.Confirm("p", "", "q-1", receipt->receipt_id, ledger_);
  EXPECT_EQ(confirmed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(confirmed.status()), "certificates");
  // The first certificate's posting was given back; no point moved.
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 50000);
  EXPECT_TRUE(ledger_.applied.empty());
  EXPECT_EQ(repository_.receipts.at(receipt->receipt_id).state, ReceiptState::kCalculated);
  // Not confirmable again without a new calculation...
  EXPECT_FALSE(certificates_engine_.Confirm("p", "", "q-2", receipt->receipt_id, ledger_).ok());
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 50000);
  // ...which holds anew and confirms.
  auto recalculated = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001", .amount = 10000}}), ledger_);
  ASSERT_TRUE(recalculated.ok()) << recalculated.status();
  ASSERT_TRUE(
      certificates_engine_.Confirm("p", "", "q-3", receipt->receipt_id, ledger_).ok());
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 40000);
}

TEST_F(ReceiptCertificatesTest, ALedgerRefusalGivesThePostedCertificatesBack) {
  auto receipt = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001"}}), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ledger_.refuse_commits = true;
  EXPECT_EQ(certificates_engine_.Confirm("p", "", "q-1", receipt->receipt_id, ledger_)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 50000);
  EXPECT_EQ(repository_.receipts.at(receipt->receipt_id).state, ReceiptState::kCalculated);
}

TEST_F(ReceiptCertificatesTest, AHoldNotYetPostedWhenAnEarlierOneLapsedIsVoided) {
  auto receipt = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001", .amount = 10000},
                             {.number = "4000000002", .amount = 10000}}),
      ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  certificates_.LapseHolds("4000000001");
  EXPECT_EQ(ViolatedField(certificates_engine_
                              .Confirm("p", "", "q-1", receipt->receipt_id, ledger_)
                              .status()),
            "certificates");
  // The second was never posted: its hold is released at once, not left
  // to lapse.
  EXPECT_EQ(certificates_.Held("4000000002"), 0);
  EXPECT_EQ(certificates_.Available("4000000002"), 100000);
  EXPECT_TRUE(repository_.releases[receipt->receipt_id].empty());
}

TEST_F(ReceiptCertificatesTest, ARefusalIsRecordedBeforeAnythingIsGivenBack) {
  auto receipt = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001", .amount = 20000}}), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ledger_.refuse_commits = true;
  repository_.fail_send_backs = 1;  // pos's database restarts at the refusal
  EXPECT_EQ(certificates_engine_.Confirm("p", "", "q-1", receipt->receipt_id, ledger_)
                .status()
                .code(),
            absl::StatusCode::kUnavailable);
  // Still CONFIRMING and the certificate still paid: nothing was given back
  // that a later attempt could not post again.
  EXPECT_EQ(repository_.receipts.at(receipt->receipt_id).state, ReceiptState::kConfirming);
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 30000);
  // The ledger takes the points now: the recovery confirms, and the
  // certificate pays exactly once.
  ledger_.refuse_commits = false;
  auto stalled = repository_.ListStalled(absl::Seconds(30), 10);
  ASSERT_TRUE(stalled.ok());
  ASSERT_EQ(stalled->size(), 1u);
  ASSERT_TRUE(certificates_engine_.Resume((*stalled)[0], ledger_).ok());
  EXPECT_EQ(repository_.receipts.at(receipt->receipt_id).state, ReceiptState::kConfirmed);
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 30000);
}

TEST_F(ReceiptCertificatesTest, AReleaseCardsInterruptedIsFinishedByTheRecovery) {
  auto receipt = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001", .amount = 20000}}), ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ledger_.refuse_commits = true;
  certificates_.fail_voids = 1;  // cards goes down after the posting
  EXPECT_EQ(certificates_engine_.Confirm("p", "", "q-1", receipt->receipt_id, ledger_)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  // Sent back, and no longer refers to the posted hold: cancel succeeds
  // and a confirm cannot replay the posting.
  const Receipt& stored = repository_.receipts.at(receipt->receipt_id);
  EXPECT_EQ(stored.state, ReceiptState::kCalculated);
  EXPECT_TRUE(stored.certificates[0].hold_id.empty());
  EXPECT_FALSE(certificates_engine_.Confirm("p", "", "q-2", receipt->receipt_id, ledger_).ok());
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 30000);
  // The recovery gives the posting back, once.
  auto stalled = repository_.ListStalled(absl::Seconds(30), 10);
  ASSERT_TRUE(stalled.ok());
  ASSERT_EQ(stalled->size(), 1u);
  EXPECT_EQ((*stalled)[0].kind, StalledWork::Kind::kCertificateRelease);
  ASSERT_TRUE(certificates_engine_.Resume((*stalled)[0], ledger_).ok());
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 50000);
  EXPECT_TRUE(repository_.ListStalled(absl::Seconds(30), 10)->empty());
  ASSERT_TRUE(certificates_engine_.Cancel("p", "", receipt->receipt_id, ledger_).ok());
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 50000);
}

TEST_F(ReceiptCertificatesTest, RefundsGiveTheCertificatesTheirShareCumulatively) {
  // 900.00 to pay: 500.00 and 100.00 by certificates, the rest in cash.
  auto receipt = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001"}, {.number = "4000000002", .amount = 10000}}),
      ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ASSERT_TRUE(certificates_engine_.Confirm("p", "", "q-1", receipt->receipt_id, ledger_).ok());
  // One of the two units of line 1: 375.00 of the 900.00 paid comes back.
  auto first = certificates_engine_.RefundReceipt("p", "", "f-1", receipt->receipt_id,
                                                  {{1, "1"}}, ledger_);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->certificates.size(), 2u);
  EXPECT_EQ(first->certificates[0].amount, 20833);  // 50000 * 37500 / 90000
  EXPECT_EQ(first->certificates[1].amount, 4166);   // 10000 * 37500 / 90000
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 20833);
  // A retry gives nothing more.
  ASSERT_TRUE(certificates_engine_.RefundReceipt("p", "", "f-1", receipt->receipt_id, {{1, "1"}},
                                                 ledger_)
                  .ok());
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 20833);
  // The rest: everything each certificate paid is back.
  auto rest = certificates_engine_.RefundReceipt("p", "", "f-2", receipt->receipt_id, {},
                                                 ledger_);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 50000);
  EXPECT_EQ(certificates_.certificates.at("4000000002").balance, 100000);
}

TEST_F(ReceiptCertificatesTest, CancelOfAConfirmedReceiptPaysTheCertificatesBack) {
  auto receipt = certificates_engine_.Calculate(
      "p", WithCertificates({{.number = "4000000001"}, {.number = "4000000002", .amount = 10000}}),
      ledger_);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ASSERT_TRUE(certificates_engine_.Confirm("p", "", "q-1", receipt->receipt_id, ledger_).ok());
  ASSERT_EQ(certificates_.certificates.at("4000000001").balance, 0);
  // A partial refund first, then the cancel gives back the rest.
  ASSERT_TRUE(
      certificates_engine_.RefundReceipt("p", "", "f-1", receipt->receipt_id, {{1, "1"}}, ledger_)
          .ok());
  auto cancelled = certificates_engine_.Cancel("p", "", receipt->receipt_id, ledger_);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  ASSERT_TRUE(cancelled->refund.has_value());
  ASSERT_EQ(cancelled->refund->certificates.size(), 2u);
  EXPECT_EQ(cancelled->refund->certificates[0].amount, 50000 - 20833);
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 50000);
  EXPECT_EQ(certificates_.certificates.at("4000000002").balance, 100000);
  ASSERT_TRUE(certificates_engine_.Cancel("p", "", receipt->receipt_id, ledger_).ok());
  EXPECT_EQ(certificates_.certificates.at("4000000001").balance, 50000);
}

}  // namespace
}  // namespace loyalty::pos

namespace loyalty::pos {
namespace {

// POS-6: offline uploads through the engine, with the same fakes.
class OfflineUploadTest : public ReceiptEngineTest {
 protected:
  static absl::Time Now() { return absl::FromUnixSeconds(1'800'000'000); }
  CalculateInput Offline(const std::string& number, int64_t points, absl::Duration ago) {
    CalculateInput input = Input(points);
    input.receipt_number = number;
    input.taken_time = Now() - ago;
    return input;
  }

  FakeCampaigns campaigns_;
  ReceiptEngine offline_{repository_, [] { return Now(); }, &campaigns_};
};

TEST_F(OfflineUploadTest, EachReceiptIsPricedAsOfItsTakenTimeAndReportedInOrder) {
  CalculateInput bad = Offline("R-2", 0, absl::Hours(1));
  bad.lines[1].quantity = "0";
  auto results = offline_.UploadOffline(
      "p", "", {Offline("R-1", 300, absl::Hours(2)), bad, Offline("R-3", 0, absl::Hours(1))},
      ledger_);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 3u);

  const OfflineResult& first = (*results)[0];
  ASSERT_EQ(first.outcome, OfflineOutcome::kConfirmed) << first.error;
  EXPECT_EQ(first.receipt->state, ReceiptState::kConfirmed);
  EXPECT_EQ(first.receipt->taken_time, Now() - absl::Hours(2));
  // Activation counts from the sale (the fake program has no delay).
  EXPECT_EQ(first.receipt->activate_at, Now() - absl::Hours(2));
  EXPECT_EQ(campaigns_.times.front(), Now() - absl::Hours(2));
  EXPECT_EQ(first.receipt->points_spent, 300);

  const OfflineResult& second = (*results)[1];
  EXPECT_EQ(second.outcome, OfflineOutcome::kFailed);
  EXPECT_EQ(second.error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(second.error), "receipts[1].lines[1].quantity");
  EXPECT_FALSE(second.receipt.has_value());

  EXPECT_EQ((*results)[2].outcome, OfflineOutcome::kConfirmed);
  EXPECT_EQ(repository_.receipts.size(), 2u);
  EXPECT_EQ(repository_.confirm_events, 2);
  EXPECT_EQ(ledger_.held, 0);
}

TEST_F(OfflineUploadTest, ReplayIsAlreadyRecordedAndChangesNothing) {
  std::vector<CalculateInput> batch = {Offline("R-1", 300, absl::Hours(2)),
                                       Offline("R-2", 0, absl::Hours(1))};
  ASSERT_TRUE(offline_.UploadOffline("p", "", batch, ledger_).ok());
  const int64_t available = ledger_.available;
  auto again = offline_.UploadOffline("p", "", batch, ledger_);
  ASSERT_TRUE(again.ok());
  for (const OfflineResult& result : *again) {
    EXPECT_EQ(result.outcome, OfflineOutcome::kAlreadyRecorded) << result.error;
    EXPECT_EQ(result.receipt->state, ReceiptState::kConfirmed);
  }
  EXPECT_EQ(ledger_.available, available);
  EXPECT_EQ(repository_.confirm_events, 2);
}

TEST_F(OfflineUploadTest, AReceiptConfirmedOnlineIsAlreadyRecorded) {
  auto online = engine_.Calculate("p", Input(0), ledger_);
  ASSERT_TRUE(online.ok());
  ASSERT_TRUE(engine_.Confirm("p", "", "c-1", online->receipt_id, ledger_).ok());
  auto results = offline_.UploadOffline("p", "", {Offline("R-1", 0, absl::Hours(1))}, ledger_);
  ASSERT_TRUE(results.ok());
  EXPECT_EQ((*results)[0].outcome, OfflineOutcome::kAlreadyRecorded);
  EXPECT_EQ((*results)[0].receipt->receipt_id, online->receipt_id);
  EXPECT_EQ(repository_.confirm_events, 1);
}

TEST_F(OfflineUploadTest, TheSameNumberWithOtherContentIsAConflictOfThatReceiptOnly) {
  ASSERT_TRUE(offline_.UploadOffline("p", "", {Offline("R-1", 0, absl::Hours(1))}, ledger_).ok());
  const int64_t available = ledger_.available;
  CalculateInput changed = Offline("R-1", 0, absl::Hours(1));
  changed.lines[0].quantity = "3";
  auto results =
      offline_.UploadOffline("p", "", {changed, Offline("R-2", 0, absl::Hours(1))}, ledger_);
  ASSERT_TRUE(results.ok());
  EXPECT_EQ((*results)[0].outcome, OfflineOutcome::kFailed);
  EXPECT_EQ((*results)[0].error.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField((*results)[0].error), "receipts[0].receipt_number");
  EXPECT_EQ((*results)[1].outcome, OfflineOutcome::kConfirmed);
  // Only R-2 earned.
  EXPECT_EQ(ledger_.available, available + (*results)[1].receipt->points_earned);
}

TEST_F(OfflineUploadTest, ASpendTheCardNoLongerCoversIsReducedAndSaid) {
  ledger_.available = 100;
  auto results = offline_.UploadOffline("p", "", {Offline("R-1", 300, absl::Hours(1))}, ledger_);
  ASSERT_TRUE(results.ok());
  const OfflineResult& result = (*results)[0];
  ASSERT_EQ(result.outcome, OfflineOutcome::kConfirmed) << result.error;
  EXPECT_EQ(result.receipt->points_spent, 100);
  EXPECT_TRUE(std::any_of(
      result.receipt->messages.begin(), result.receipt->messages.end(),
      [](const std::string& m) { return m.find("reduced from 300 to 100") != std::string::npos; }));
  EXPECT_EQ(ledger_.available, result.receipt->points_earned);
}

TEST_F(OfflineUploadTest, ACrashHalfWayIsCompletedByTheNextUploadWithOneEffect) {
  ledger_.fail_commits = 1;  // cards goes away while the first receipt confirms
  std::vector<CalculateInput> batch = {Offline("R-1", 300, absl::Hours(2))};
  auto first = offline_.UploadOffline("p", "", batch, ledger_);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)[0].outcome, OfflineOutcome::kFailed);
  EXPECT_EQ((*first)[0].error.code(), absl::StatusCode::kUnavailable);
  auto again = offline_.UploadOffline("p", "", batch, ledger_);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ((*again)[0].outcome, OfflineOutcome::kAlreadyRecorded) << (*again)[0].error;
  EXPECT_EQ((*again)[0].receipt->state, ReceiptState::kConfirmed);
  EXPECT_EQ(ledger_.available, 1000 - 300 + (*again)[0].receipt->points_earned);
  EXPECT_EQ(ledger_.held, 0);
  EXPECT_EQ(repository_.confirm_events, 1);
}

TEST_F(OfflineUploadTest, TheOrderOfBatchesDoesNotChangeAnyReceipt) {
  std::vector<CalculateInput> a = {Offline("R-1", 200, absl::Hours(3))};
  std::vector<CalculateInput> b = {Offline("R-2", 100, absl::Hours(2)),
                                   Offline("R-3", 0, absl::Hours(1))};
  ASSERT_TRUE(offline_.UploadOffline("p", "", a, ledger_).ok());
  ASSERT_TRUE(offline_.UploadOffline("p", "", b, ledger_).ok());

  FakeRepository reversed_repository;
  FakeLedger reversed_ledger;
  FakeCampaigns campaigns;
  ReceiptEngine reversed(
      reversed_repository, [] { return Now(); }, &campaigns);
  ASSERT_TRUE(reversed.UploadOffline("p", "", b, reversed_ledger).ok());
  ASSERT_TRUE(reversed.UploadOffline("p", "", a, reversed_ledger).ok());

  for (const std::string number : {"R-1", "R-2", "R-3"}) {
    auto one = *repository_.FindByNumber("p", FakeRepository::kStore, number);
    auto other = *reversed_repository.FindByNumber("p", FakeRepository::kStore, number);
    ASSERT_TRUE(one && other);
    EXPECT_EQ(one->points_spent, other->points_spent) << number;
    EXPECT_EQ(one->points_earned, other->points_earned) << number;
    EXPECT_EQ(one->activate_at, other->activate_at) << number;
    EXPECT_EQ(one->lines[0].discount, other->lines[0].discount) << number;
  }
  EXPECT_EQ(ledger_.available, reversed_ledger.available);
}

TEST_F(OfflineUploadTest, WholeRequestProblemsFailTheCallAndChangeNothing) {
  EXPECT_EQ(offline_.UploadOffline("p", "", {}, ledger_).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto other_store = offline_.UploadOffline("p", "6f1c1d9e-1111-4222-8333-000000000000",
                                            {Offline("R-1", 0, absl::Hours(1))}, ledger_);
  EXPECT_EQ(other_store.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(repository_.receipts.empty());
}

TEST_F(OfflineUploadTest, AReceiptWithoutATakenTimeIsRefusedAlone) {
  CalculateInput untimed = Offline("R-1", 0, absl::Hours(1));
  untimed.taken_time.reset();
  auto results = offline_.UploadOffline("p", "", {untimed}, ledger_);
  ASSERT_TRUE(results.ok());
  EXPECT_EQ(ViolatedField((*results)[0].error), "receipts[0].taken_time");
  EXPECT_TRUE(repository_.receipts.empty());
}

}  // namespace
}  // namespace loyalty::pos
