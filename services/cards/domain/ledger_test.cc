#include "services/cards/domain/ledger.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::cards {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1'750'000'000);

TransferSpec Accrual(int64_t amount) {
  return TransferSpec{.transfer_id = "t-1",
                      .kind = TransferKind::kAccrual,
                      .card_number = "2000000000008",
                      .amount = amount};
}

Lot MakeLot(int64_t id, int64_t remaining, absl::Time activate, std::optional<absl::Time> expire,
            std::string reference = "") {
  return Lot{.lot_id = id,
             .remaining = remaining,
             .activate_time = activate,
             .expire_time = expire,
             .origin = TransferKind::kAccrual,
             .reference = std::move(reference)};
}

// --- Validation ---------------------------------------------------------------

std::optional<std::string> FieldOf(const std::vector<TransferSpec>& transfers) {
  return ViolatedField(ValidateTransfers(transfers));
}

TEST(ValidateTransfersTest, AcceptsAWellFormedRequest) {
  TransferSpec accrual = Accrual(100);
  accrual.activate_time = kNow;
  accrual.expire_time = kNow + absl::Hours(24);
  TransferSpec redemption{.transfer_id = "t-2",
                          .kind = TransferKind::kRedemption,
                          .card_number = "2000000000008",
                          .amount = 5,
                          .hold_id = "h-1"};
  EXPECT_TRUE(ValidateTransfers(std::vector<TransferSpec>{accrual, redemption}).ok());
}

TEST(ValidateTransfersTest, NamesTheFieldWithItsIndex) {
  EXPECT_EQ(FieldOf({}), "transfers");
  EXPECT_EQ(FieldOf(std::vector<TransferSpec>(kMaxTransfersPerCommit + 1, Accrual(1))),
            "transfers");

  TransferSpec bad = Accrual(0);
  EXPECT_EQ(FieldOf({Accrual(1), bad}), "transfers[1].amount");
  bad = Accrual(kMaxAmount + 1);
  EXPECT_EQ(FieldOf({bad}), "transfers[0].amount");
  bad = Accrual(-5);
  EXPECT_EQ(FieldOf({bad}), "transfers[0].amount");

  bad = Accrual(1);
  bad.transfer_id.clear();
  EXPECT_EQ(FieldOf({bad}), "transfers[0].transfer_id");
  bad.transfer_id = std::string(kMaxIdLength + 1, 'x');
  EXPECT_EQ(FieldOf({bad}), "transfers[0].transfer_id");

  bad = Accrual(1);
  bad.kind = TransferKind::kUnspecified;
  EXPECT_EQ(FieldOf({bad}), "transfers[0].kind");

  bad = Accrual(1);
  bad.card_number.clear();
  EXPECT_EQ(FieldOf({bad}), "transfers[0].card_number");

  bad = Accrual(1);
  bad.hold_id = "h-1";  // only redemptions post holds
  EXPECT_EQ(FieldOf({bad}), "transfers[0].hold_id");

  bad = Accrual(1);
  bad.activate_time = kNow;
  bad.expire_time = kNow;
  EXPECT_EQ(FieldOf({bad}), "transfers[0].expire_time");

  bad = Accrual(1);
  bad.kind = TransferKind::kRedemption;
  bad.activate_time = kNow;
  EXPECT_EQ(FieldOf({bad}), "transfers[0].activate_time");
  bad.activate_time.reset();
  bad.kind = TransferKind::kAccrualReversal;
  bad.expire_time = kNow;
  EXPECT_EQ(FieldOf({bad}), "transfers[0].expire_time");

  bad = Accrual(1);
  bad.reference = std::string(kMaxReferenceLength + 1, 'r');
  EXPECT_EQ(FieldOf({bad}), "transfers[0].reference");

  // A NUL would truncate the id on its way into SQL.
  bad = Accrual(1);
  bad.transfer_id = std::string("t-1\0x", 5);
  EXPECT_EQ(FieldOf({bad}), "transfers[0].transfer_id");
  bad = Accrual(1);
  bad.card_number += "\n";
  EXPECT_EQ(FieldOf({bad}), "transfers[0].card_number");
  bad = Accrual(1);
  bad.reference = "receipt\x7f";
  EXPECT_EQ(FieldOf({bad}), "transfers[0].reference");
  bad = Accrual(1);
  bad.reference = "чек №5";  // UTF-8 is fine
  EXPECT_EQ(FieldOf({bad}), std::nullopt);
}

// --- Fingerprints ---------------------------------------------------------------

TEST(TransferFingerprintTest, SameContentSameDigestWhateverTheId) {
  TransferSpec a = Accrual(100);
  TransferSpec b = a;
  b.transfer_id = "another id";
  EXPECT_EQ(TransferFingerprint(a), TransferFingerprint(b));
  EXPECT_EQ(TransferFingerprint(a).size(), 16u);
}

TEST(TransferFingerprintTest, EveryFieldCounts) {
  const TransferSpec base = Accrual(100);
  const std::string digest = TransferFingerprint(base);
  std::vector<TransferSpec> variants(7, base);
  variants[0].kind = TransferKind::kRedemptionReversal;
  variants[1].card_number = "2000000000015";
  variants[2].amount = 101;
  variants[3].hold_id = "h";
  variants[4].activate_time = kNow;
  variants[5].expire_time = kNow;
  variants[6].reference = "receipt-1";
  for (const TransferSpec& variant : variants) {
    EXPECT_NE(TransferFingerprint(variant), digest);
  }
  // Unset differs from any set time, the epoch included.
  TransferSpec epoch = base;
  epoch.activate_time = absl::UnixEpoch();
  EXPECT_NE(TransferFingerprint(epoch), digest);
}

TEST(TransferFingerprintTest, FieldsDoNotRunIntoEachOther) {
  TransferSpec a = Accrual(100);
  a.kind = TransferKind::kRedemption;
  TransferSpec b = a;
  a.hold_id = "ab";
  a.reference = "";
  b.hold_id = "a";
  b.reference = "b";
  EXPECT_NE(TransferFingerprint(a), TransferFingerprint(b));
}

TEST(TransferFingerprintTest, IsStableAcrossReleases) {
  // Stored fingerprints are compared with ones computed by later builds: a
  // change here would turn every retry of an old transfer into a conflict.
  TransferSpec spec = Accrual(100);
  spec.expire_time = absl::FromUnixSeconds(1'800'000'000);
  spec.reference = "receipt-1";
  EXPECT_EQ(TransferFingerprint(spec), "d5814faa479f1f50");
  EXPECT_EQ(HoldFingerprint({.hold_id = "h", .card_number = "2000000000008", .amount = 5}),
            "38574365213947e5");
}

TEST(HoldFingerprintTest, DefaultTtlEqualsExplicitDefault) {
  HoldRequest a{.hold_id = "h-1", .card_number = "2000000000008", .amount = 10};
  HoldRequest b = a;
  b.ttl = kDefaultHoldTtl;
  EXPECT_EQ(HoldFingerprint(a), HoldFingerprint(b));
  b.hold_id = "h-2";  // the id is not content
  EXPECT_EQ(HoldFingerprint(a), HoldFingerprint(b));
  b.ttl = absl::Minutes(5);
  EXPECT_NE(HoldFingerprint(a), HoldFingerprint(b));
  b = a;
  b.amount = 11;
  EXPECT_NE(HoldFingerprint(a), HoldFingerprint(b));
}

TEST(HoldRequestTest, Validation) {
  HoldRequest good{.hold_id = "h-1", .card_number = "2000000000008", .amount = 10};
  EXPECT_TRUE(ValidateHoldRequest(good).ok());
  EXPECT_EQ(EffectiveHoldTtl(good), kDefaultHoldTtl);

  auto field_of = [&](auto mutate) {
    HoldRequest request = good;
    mutate(request);
    return ViolatedField(ValidateHoldRequest(request));
  };
  EXPECT_EQ(field_of([](HoldRequest& r) { r.hold_id.clear(); }), "hold_id");
  EXPECT_EQ(field_of([](HoldRequest& r) { r.card_number.clear(); }), "card_number");
  EXPECT_EQ(field_of([](HoldRequest& r) { r.amount = 0; }), "amount");
  EXPECT_EQ(field_of([](HoldRequest& r) { r.ttl = absl::Seconds(-1); }), "ttl_seconds");
  EXPECT_EQ(field_of([](HoldRequest& r) { r.ttl = kMaxHoldTtl + absl::Seconds(1); }),
            "ttl_seconds");
  EXPECT_EQ(field_of([](HoldRequest& r) { r.hold_id.push_back('\0'); }), "hold_id");
  EXPECT_EQ(field_of([](HoldRequest& r) { r.card_number.push_back('\t'); }), "card_number");
}

// --- Lots -------------------------------------------------------------------

TEST(LotStateTest, PendingActiveExpired) {
  Lot lot = MakeLot(1, 10, kNow + absl::Hours(1), kNow + absl::Hours(2));
  EXPECT_EQ(LotStateAt(lot, kNow), LotState::kPending);
  EXPECT_EQ(LotStateAt(lot, kNow + absl::Hours(1)), LotState::kActive);
  EXPECT_EQ(LotStateAt(lot, kNow + absl::Hours(2)), LotState::kExpired);
  // Expiring before activation: never spendable.
  Lot odd = MakeLot(2, 10, kNow + absl::Hours(2), kNow + absl::Hours(1));
  EXPECT_EQ(LotStateAt(odd, kNow + absl::Hours(1)), LotState::kExpired);
  EXPECT_EQ(LotStateAt(MakeLot(3, 1, kNow, std::nullopt), kNow + absl::Hours(1e6)),
            LotState::kActive);
}

TEST(PlanRedemptionTest, SoonestExpiringFirstNeverExpiringLast) {
  const std::vector<Lot> lots = {
      MakeLot(1, 100, kNow - absl::Hours(1), kNow + absl::Hours(240)),
      MakeLot(2, 100, kNow - absl::Hours(1), std::nullopt),
      MakeLot(3, 100, kNow - absl::Hours(1), kNow + absl::Hours(120)),
      MakeLot(4, 100, kNow + absl::Hours(1), kNow + absl::Hours(24)),  // pending
      MakeLot(5, 100, kNow - absl::Hours(9), kNow - absl::Hours(1)),   // expired
      MakeLot(6, 0, kNow - absl::Hours(1), kNow + absl::Hours(1)),     // used up
  };
  auto plan = PlanRedemption(lots, kNow, 250, 0);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(*plan, ElementsAre(LotTake{3, 100}, LotTake{1, 100}, LotTake{2, 50}));
  EXPECT_EQ(TotalTaken(*plan), 250);

  auto all = PlanRedemption(lots, kNow, 300, 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(TotalTaken(*all), 300);
  // Pending and expired lots don't count.
  EXPECT_EQ(PlanRedemption(lots, kNow, 301, 0).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(PlanRedemptionTest, TiesBreakByActivationThenLot) {
  const absl::Time expiry = kNow + absl::Hours(24);
  const std::vector<Lot> lots = {
      MakeLot(7, 10, kNow - absl::Hours(1), expiry),
      MakeLot(3, 10, kNow - absl::Hours(2), expiry),
      MakeLot(5, 10, kNow - absl::Hours(1), expiry),
  };
  auto plan = PlanRedemption(lots, kNow, 25, 0);
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(*plan, ElementsAre(LotTake{3, 10}, LotTake{5, 10}, LotTake{7, 5}));
}

TEST(PlanRedemptionTest, OtherHoldsStayCovered) {
  const std::vector<Lot> lots = {MakeLot(1, 100, kNow, std::nullopt)};
  EXPECT_TRUE(PlanRedemption(lots, kNow, 30, 70).ok());
  absl::Status refused = PlanRedemption(lots, kNow, 31, 70).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("30 available"));
  // More held than active (a lot expired under a hold): nothing available.
  EXPECT_FALSE(PlanRedemption(lots, kNow, 1, 150).ok());
}

TEST(PlanAccrualReversalTest, ReferencedLotFirstThenExpiredActivePending) {
  const std::vector<Lot> lots = {
      MakeLot(1, 100, kNow - absl::Hours(1), kNow + absl::Hours(24), "other"),
      MakeLot(2, 40, kNow - absl::Hours(1), kNow + absl::Hours(240), "receipt-9"),
      MakeLot(3, 20, kNow + absl::Hours(1), std::nullopt),                    // pending
      MakeLot(4, 30, kNow - absl::Hours(9), kNow - absl::Hours(1), "other"),  // expired
  };
  EXPECT_THAT(PlanAccrualReversal(lots, kNow, 200, 0, "receipt-9"),
              ElementsAre(LotTake{2, 40}, LotTake{4, 30}, LotTake{1, 100}, LotTake{3, 20}));
  // Without a reference, the plain order.
  EXPECT_THAT(PlanAccrualReversal(lots, kNow, 50, 0, ""),
              ElementsAre(LotTake{4, 30}, LotTake{1, 20}));
}

TEST(PlanAccrualReversalTest, OnlyAccrualLotsMatchTheReference) {
  std::vector<Lot> lots = {MakeLot(1, 10, kNow, std::nullopt, "r"),
                           MakeLot(2, 10, kNow, kNow + absl::Hours(1), "r")};
  lots[0].origin = TransferKind::kRedemptionReversal;
  EXPECT_THAT(PlanAccrualReversal(lots, kNow, 5, 0, "r"), ElementsAre(LotTake{2, 5}));
  lots[1].origin = TransferKind::kRedemptionReversal;
  lots[0].origin = TransferKind::kAccrual;
  EXPECT_THAT(PlanAccrualReversal(lots, kNow, 5, 0, "r"), ElementsAre(LotTake{1, 5}));
}

TEST(PlanAccrualReversalTest, CappedAtWhatTheMemberHasOutsideHolds) {
  const std::vector<Lot> lots = {
      MakeLot(1, 100, kNow - absl::Hours(1), std::nullopt, "r"),
      MakeLot(2, 50, kNow + absl::Hours(1), std::nullopt),  // pending
  };
  // 100 active of which 80 held: 20 active plus 50 pending reachable.
  EXPECT_THAT(PlanAccrualReversal(lots, kNow, 500, 80, "r"),
              ElementsAre(LotTake{1, 20}, LotTake{2, 50}));
  EXPECT_THAT(PlanAccrualReversal(lots, kNow, 10, 80, "r"), ElementsAre(LotTake{1, 10}));
  EXPECT_THAT(PlanAccrualReversal({}, kNow, 10, 0, "r"), IsEmpty());
  EXPECT_THAT(
      PlanAccrualReversal(std::vector<Lot>{MakeLot(1, 10, kNow, std::nullopt)}, kNow, 10, 10, ""),
      IsEmpty());
}

TEST(SummarizeBalanceTest, SplitsByStateAndSubtractsHolds) {
  const std::vector<Lot> lots = {
      MakeLot(1, 100, kNow - absl::Hours(1), std::nullopt),
      MakeLot(2, 30, kNow + absl::Hours(1), std::nullopt),
      MakeLot(3, 7, kNow - absl::Hours(9), kNow - absl::Hours(1)),
  };
  EXPECT_EQ(SummarizeBalance(lots, 40, kNow),
            (Balance{.available = 60, .active = 100, .pending = 30, .held = 40}));
  EXPECT_EQ(SummarizeBalance(lots, 140, kNow).available, 0);
  EXPECT_EQ(SummarizeBalance(lots, 0, kNow + absl::Hours(2)).active, 130);
}

TEST(HoldStateTest, ExpiryIsLazy) {
  const absl::Time expiry = kNow + absl::Minutes(15);
  EXPECT_EQ(EffectiveHoldState(HoldState::kHeld, expiry, kNow), HoldState::kHeld);
  EXPECT_EQ(EffectiveHoldState(HoldState::kHeld, expiry, expiry), HoldState::kExpired);
  EXPECT_EQ(EffectiveHoldState(HoldState::kPosted, expiry, expiry), HoldState::kPosted);
  EXPECT_EQ(EffectiveHoldState(HoldState::kVoided, expiry, expiry), HoldState::kVoided);
  for (HoldState state :
       {HoldState::kHeld, HoldState::kPosted, HoldState::kVoided, HoldState::kExpired}) {
    EXPECT_EQ(ParseHoldState(HoldStateName(state)), state);
  }
}

TEST(RouteTest, KindsFixTheDirection) {
  EXPECT_EQ(RouteOf(TransferKind::kAccrual).system_account, AccountKind::kIssued);
  EXPECT_FALSE(RouteOf(TransferKind::kAccrual).member_is_source);
  EXPECT_TRUE(RouteOf(TransferKind::kAccrual).creates_lot);
  EXPECT_EQ(RouteOf(TransferKind::kRedemption).system_account, AccountKind::kRedeemed);
  EXPECT_TRUE(RouteOf(TransferKind::kRedemption).member_is_source);
  EXPECT_EQ(RouteOf(TransferKind::kAccrualReversal).system_account, AccountKind::kIssued);
  EXPECT_TRUE(RouteOf(TransferKind::kAccrualReversal).member_is_source);
  EXPECT_FALSE(RouteOf(TransferKind::kAccrualReversal).creates_lot);
  EXPECT_EQ(RouteOf(TransferKind::kRedemptionReversal).system_account, AccountKind::kRedeemed);
  EXPECT_TRUE(RouteOf(TransferKind::kRedemptionReversal).creates_lot);
  EXPECT_EQ(RouteOf(TransferKind::kExpiration).system_account, AccountKind::kExpired);
  EXPECT_TRUE(RouteOf(TransferKind::kExpiration).member_is_source);
  EXPECT_EQ(RouteOf(TransferKind::kCorrectionCredit).system_account, AccountKind::kAdjustment);
  EXPECT_FALSE(RouteOf(TransferKind::kCorrectionCredit).member_is_source);
  EXPECT_TRUE(RouteOf(TransferKind::kCorrectionCredit).creates_lot);
  EXPECT_EQ(RouteOf(TransferKind::kCorrectionDebit).system_account, AccountKind::kAdjustment);
  EXPECT_TRUE(RouteOf(TransferKind::kCorrectionDebit).member_is_source);
  for (TransferKind kind :
       {TransferKind::kAccrual, TransferKind::kRedemption, TransferKind::kAccrualReversal,
        TransferKind::kRedemptionReversal, TransferKind::kExpiration,
        TransferKind::kCorrectionCredit, TransferKind::kCorrectionDebit, TransferKind::kMerge}) {
    EXPECT_EQ(ParseTransferKind(TransferKindName(kind)), kind);
  }
}

TEST(ValidateTransfersTest, CorrectionsNeedAReasonAndExpirationIsNotRequestable) {
  TransferSpec credit = Accrual(10);
  credit.kind = TransferKind::kCorrectionCredit;
  EXPECT_EQ(ViolatedField(ValidateTransfer(credit, "")), "reason");
  credit.reason = "goodwill";
  EXPECT_TRUE(ValidateTransfer(credit, "").ok());
  credit.expire_time = kNow + absl::Hours(1);
  EXPECT_TRUE(ValidateTransfer(credit, "").ok()) << "a credit creates a lot, so it may expire";

  TransferSpec debit = Accrual(10);
  debit.kind = TransferKind::kCorrectionDebit;
  debit.reason = "duplicate accrual";
  EXPECT_TRUE(ValidateTransfer(debit, "").ok());
  debit.expire_time = kNow;
  EXPECT_EQ(ViolatedField(ValidateTransfer(debit, "")), "expire_time");

  TransferSpec too_long = credit;
  too_long.reason = std::string(kMaxReasonLength + 1, 'r');
  EXPECT_EQ(ViolatedField(ValidateTransfer(too_long, "x.")), "x.reason");
  too_long.reason = "line\nbreak";
  too_long.reason[4] = '\n';
  EXPECT_EQ(ViolatedField(ValidateTransfer(too_long, "")), "reason");

  TransferSpec expiration = Accrual(10);
  expiration.kind = TransferKind::kExpiration;
  EXPECT_EQ(ViolatedField(ValidateTransfer(expiration, "")), "kind");
  expiration.kind = TransferKind::kMerge;
  EXPECT_EQ(ViolatedField(ValidateTransfer(expiration, "")), "kind");
}

TEST(TransferFingerprintTest, ReasonCountsOnlyWhenGiven) {
  TransferSpec spec = Accrual(10);
  const std::string without = TransferFingerprint(spec);
  spec.reason = "goodwill";
  EXPECT_NE(TransferFingerprint(spec), without);
  spec.actor = "operator-1";
  const std::string with_actor = TransferFingerprint(spec);
  spec.actor = "operator-2";
  EXPECT_EQ(TransferFingerprint(spec), with_actor) << "who retries does not change the request";
}

TEST(PlanCorrectionDebitTest, ActiveOutsideHoldsThenPendingAllOrNothing) {
  const std::vector<Lot> lots = {
      MakeLot(1, 50, kNow - absl::Hours(1), kNow + absl::Hours(5)),
      MakeLot(2, 40, kNow - absl::Hours(1), std::nullopt),
      MakeLot(3, 30, kNow + absl::Hours(1), std::nullopt),          // pending
      MakeLot(4, 20, kNow - absl::Hours(9), kNow - absl::Hours(1)),  // expired
  };
  // 90 active, 60 of it held: 30 active + 30 pending can go.
  auto plan = PlanCorrectionDebit(lots, kNow, 45, 60);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(*plan, ElementsAre(LotTake{1, 30}, LotTake{3, 15}));
  EXPECT_EQ(PlanCorrectionDebit(lots, kNow, 61, 60).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto all = PlanCorrectionDebit(lots, kNow, 120, 0);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(*all, ElementsAre(LotTake{1, 50}, LotTake{2, 40}, LotTake{3, 30}));
}

TEST(PlanExpirationTest, TakesEverythingExpiredLotsHaveLeft) {
  const std::vector<Lot> lots = {
      MakeLot(1, 50, kNow - absl::Hours(9), kNow),  // expires exactly now
      MakeLot(2, 40, kNow - absl::Hours(1), std::nullopt),
      MakeLot(3, 30, kNow - absl::Hours(9), kNow - absl::Hours(1)),
      MakeLot(4, 0, kNow - absl::Hours(9), kNow - absl::Hours(1)),  // used up
      MakeLot(5, 9, kNow - absl::Hours(9), kNow + absl::Seconds(1)),
  };
  EXPECT_THAT(PlanExpiration(lots, kNow), ElementsAre(LotTake{1, 50}, LotTake{3, 30}));
  EXPECT_THAT(PlanExpiration(lots, kNow - absl::Hours(2)), IsEmpty());
}

TEST(SummarizeBalanceTest, ExpiringSoonWithinTheWindow) {
  const std::vector<Lot> lots = {
      MakeLot(1, 100, kNow - absl::Hours(1), kNow + absl::Hours(24 * 10)),
      MakeLot(2, 30, kNow + absl::Hours(1), kNow + absl::Hours(24 * 20)),  // pending
      MakeLot(3, 7, kNow - absl::Hours(1), kNow + absl::Hours(24 * 40)),
      MakeLot(4, 5, kNow - absl::Hours(9), kNow - absl::Hours(1)),  // expired already
      MakeLot(5, 1, kNow - absl::Hours(9), std::nullopt),
  };
  Balance balance = SummarizeBalance(lots, 0, kNow);
  EXPECT_EQ(balance.expiring_soon, 130);
  EXPECT_EQ(balance.next_expire_time, kNow + absl::Hours(24 * 10));
  EXPECT_EQ(SummarizeBalance(lots, 0, kNow, absl::Hours(24 * 60)).expiring_soon, 137);
  EXPECT_EQ(SummarizeBalance(lots, 0, kNow, absl::Hours(24)).expiring_soon, 0);
  EXPECT_EQ(SummarizeBalance({}, 0, kNow).next_expire_time, std::nullopt);
}

TEST(ExpiringWindowTest, DaysWithDefaultAndBounds) {
  EXPECT_EQ(*ExpiringWindowFromDays(0, "d"), kDefaultExpiringWindow);
  EXPECT_EQ(*ExpiringWindowFromDays(7, "d"), absl::Hours(24 * 7));
  EXPECT_EQ(*ExpiringWindowFromDays(366, "d"), absl::Hours(24 * 366));
  EXPECT_EQ(ViolatedField(ExpiringWindowFromDays(367, "d").status()), "d");
  EXPECT_EQ(ViolatedField(ExpiringWindowFromDays(-1, "d").status()), "d");
}

}  // namespace
}  // namespace loyalty::cards

namespace loyalty::cards {
namespace {

TEST(DebtTest, IsWhatTheLotsHoldBeyondTheBalance) {
  const std::vector<Lot> lots = {MakeLot(1, 60, kNow, std::nullopt),
                                 MakeLot(2, 40, kNow + absl::Hours(1), std::nullopt)};
  EXPECT_EQ(DebtOf(lots, 100), 0);
  EXPECT_EQ(DebtOf(lots, 30), 70);
  EXPECT_EQ(DebtOf({}, -25), 25);
  EXPECT_EQ(DebtOf({}, 0), 0);
}

TEST(DebtTest, PlanDebtStopsAtTheFloor) {
  EXPECT_EQ(PlanDebt(70, 0, 500), 70);   // all of it fits
  EXPECT_EQ(PlanDebt(70, 0, 50), 50);    // down to -50, 20 left
  EXPECT_EQ(PlanDebt(70, -50, 50), 0);   // at the floor already
  EXPECT_EQ(PlanDebt(70, -40, 50), 10);  // the last 10
  EXPECT_EQ(PlanDebt(70, 0, 0), 0);      // no floor: capped
  EXPECT_EQ(PlanDebt(0, 0, 500), 0);     // nothing short
  // Held points beside the debt count in the balance: -floor is the
  // balance's limit, not the debt's.
  EXPECT_EQ(PlanDebt(60, 60, 10), 60);
}

TEST(DebtTest, ReservesActivePointsLikeAHold) {
  const std::vector<Lot> lots = {MakeLot(1, 100, kNow - absl::Hours(1), std::nullopt)};
  Balance balance = SummarizeBalance(lots, 30, kNow, kDefaultExpiringWindow, 50);
  EXPECT_EQ(balance.debt, 50);
  EXPECT_EQ(balance.active, 100);
  EXPECT_EQ(balance.available, 20);
  EXPECT_EQ(SummarizeBalance(lots, 30, kNow, kDefaultExpiringWindow, 90).available, 0);
  EXPECT_EQ(SummarizeBalance({}, 0, kNow, kDefaultExpiringWindow, 25), (Balance{.debt = 25}));
}

TEST(ValidateTransfersTest, NegativeFloorOnlyOnReversalsWithinRange) {
  TransferSpec reversal{.transfer_id = "t-1",
                        .kind = TransferKind::kAccrualReversal,
                        .card_number = "2000000000008",
                        .amount = 10,
                        .negative_floor = 500};
  EXPECT_TRUE(ValidateTransfer(reversal, "").ok());
  reversal.negative_floor = -1;
  EXPECT_EQ(ViolatedField(ValidateTransfer(reversal, "t.")), "t.negative_floor");
  reversal.negative_floor = kMaxAmount + 1;
  EXPECT_EQ(ViolatedField(ValidateTransfer(reversal, "t.")), "t.negative_floor");
  TransferSpec accrual = Accrual(10);
  accrual.negative_floor = 5;
  EXPECT_EQ(ViolatedField(ValidateTransfer(accrual, "t.")), "t.negative_floor");
}

TEST(TransferFingerprintTest, NegativeFloorCountsOnlyWhenGiven) {
  TransferSpec reversal{.transfer_id = "t-1",
                        .kind = TransferKind::kAccrualReversal,
                        .card_number = "2000000000008",
                        .amount = 10};
  const std::string capped = TransferFingerprint(reversal);
  reversal.negative_floor = 500;
  const std::string with_floor = TransferFingerprint(reversal);
  EXPECT_NE(capped, with_floor);
  reversal.negative_floor = 400;
  EXPECT_NE(TransferFingerprint(reversal), with_floor);
}

}  // namespace
}  // namespace loyalty::cards
