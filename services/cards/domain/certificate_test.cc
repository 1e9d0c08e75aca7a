#include "services/cards/domain/certificate.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::cards {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'750'000'000);

Certificate Live(int64_t balance, int64_t held = 0) {
  return Certificate{.number = "2000000000008",
                     .nominal = 5000,
                     .balance = balance,
                     .held = held,
                     .expire_time = kNow + absl::Hours(24)};
}

TEST(CertificateStatusTest, DerivedFromStoredStatusExpiryAndBalance) {
  EXPECT_EQ(EffectiveCertificateStatus(Live(5000), kNow), CertificateStatus::kActive);
  EXPECT_EQ(EffectiveCertificateStatus(Live(0), kNow), CertificateStatus::kRedeemed);
  // Money still held is not redeemed yet: the hold may be voided.
  EXPECT_EQ(EffectiveCertificateStatus(Live(100, 100), kNow), CertificateStatus::kActive);
  EXPECT_EQ(EffectiveCertificateStatus(Live(5000), kNow + absl::Hours(24)),
            CertificateStatus::kExpired);
  Certificate blocked = Live(5000);
  blocked.stored_status = CertificateStatus::kBlocked;
  // Blocked wins over expired.
  EXPECT_EQ(EffectiveCertificateStatus(blocked, kNow + absl::Hours(48)),
            CertificateStatus::kBlocked);
}

TEST(CertificateStatusTest, NamesRoundTrip) {
  for (CertificateStatus status : {CertificateStatus::kActive, CertificateStatus::kBlocked,
                                   CertificateStatus::kExpired, CertificateStatus::kRedeemed}) {
    EXPECT_EQ(ParseCertificateStatus(CertificateStatusName(status)), status);
  }
  for (CertificateOperationKind kind :
       {CertificateOperationKind::kIssue, CertificateOperationKind::kRedemption,
        CertificateOperationKind::kRefund}) {
    EXPECT_EQ(ParseCertificateOperationKind(CertificateOperationKindName(kind)), kind);
  }
  EXPECT_EQ(ParseCertificateStatus("GONE"), std::nullopt);
}

TEST(CertificateSpendTest, AvailableIsBalanceLessHeldWhileActive) {
  EXPECT_EQ(AvailableAmount(Live(5000, 1200), kNow), 3800);
  EXPECT_EQ(AvailableAmount(Live(5000, 1200), kNow + absl::Hours(25)), 0);
  EXPECT_TRUE(CheckSpendable(Live(5000, 1200), kNow, 3800).ok());
  absl::Status over = CheckSpendable(Live(5000, 1200), kNow, 3801);
  EXPECT_EQ(over.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(over), "amount");
  EXPECT_THAT(over.message(), HasSubstr("available amount 3800"));
}

TEST(CertificateSpendTest, ExpiredOrBlockedNamesTheNumber) {
  absl::Status expired = CheckSpendable(Live(5000), kNow + absl::Hours(24), 1);
  EXPECT_EQ(expired.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(expired), "number");
  EXPECT_THAT(expired.message(), HasSubstr("expired"));
  Certificate blocked = Live(5000);
  blocked.stored_status = CertificateStatus::kBlocked;
  blocked.status_reason = "stolen";
  absl::Status status = CheckSpendable(blocked, kNow, 1);
  EXPECT_EQ(ViolatedField(status), "number");
  EXPECT_THAT(status.message(), HasSubstr("blocked: stolen"));
  // A redeemed certificate has nothing available.
  EXPECT_EQ(ViolatedField(CheckSpendable(Live(0), kNow, 1)), "amount");
}

TEST(CertificateIssueTest, ChecksEveryField) {
  auto field_of = [](IssueCertificateInput input) {
    return ViolatedField(NormalizeIssueCertificate(input, kNow));
  };
  const IssueCertificateInput good{.nominal = 5000, .expire_time = kNow + absl::Hours(1)};
  EXPECT_EQ(field_of(good), std::nullopt);
  IssueCertificateInput input = good;
  input.nominal = 0;
  EXPECT_EQ(field_of(input), "nominal");
  input.nominal = -5;
  EXPECT_EQ(field_of(input), "nominal");
  input.nominal = kMaxCertificateAmount + 1;
  EXPECT_EQ(field_of(input), "nominal");
  input = good;
  input.expire_time = kNow;
  EXPECT_EQ(field_of(input), "expire_time");
  input.expire_time = absl::Time();
  EXPECT_EQ(field_of(input), "expire_time");
  input.expire_time = kNow + kMaxCertificateValidity + absl::Seconds(1);
  EXPECT_EQ(field_of(input), "expire_time");
  input = good;
  input.number = "12ab56";
  EXPECT_EQ(field_of(input), "number");
  input = good;
  input.store_id = "store-1";
  EXPECT_EQ(field_of(input), "store_id");
  input = good;
  input.request_id = std::string(129, 'r');
  EXPECT_EQ(field_of(input), "request_id");
}

TEST(CertificateIssueTest, StoreIdIsLowerCased) {
  IssueCertificateInput input{.nominal = 1,
                              .expire_time = kNow + absl::Hours(1),
                              .store_id = "6F9619FF-8B86-D011-B42D-00C04FC964FF"};
  ASSERT_TRUE(NormalizeIssueCertificate(input, kNow).ok());
  EXPECT_EQ(input.store_id, "6f9619ff-8b86-d011-b42d-00c04fc964ff");
}

TEST(CertificateBatchTest, ChecksNumberingNominalAndExpiry) {
  const CertificateBatchInput good{.request_id = "b-1",
                                   .count = 10,
                                   .range = CardNumberRange{.first_number = "700000"},
                                   .nominal = 1000,
                                   .expire_time = kNow + absl::Hours(1)};
  auto field_of = [](CertificateBatchInput input) {
    return ViolatedField(NormalizeCertificateBatch(input, kNow));
  };
  EXPECT_EQ(field_of(good), std::nullopt);
  CertificateBatchInput input = good;
  input.request_id = "";
  EXPECT_EQ(field_of(input), "request_id");
  input = good;
  input.count = 0;
  EXPECT_EQ(field_of(input), "count");
  input = good;
  input.range->first_number = "999995";  // 10 numbers outgrow 6 digits
  EXPECT_EQ(field_of(input), "number_range.first_number");
  input = good;
  input.nominal = 0;
  EXPECT_EQ(field_of(input), "nominal");
  input = good;
  input.expire_time = kNow - absl::Seconds(1);
  EXPECT_EQ(field_of(input), "expire_time");
}

TEST(CertificateHoldTest, ChecksAndExpiry) {
  const CertificateHoldRequest good{.hold_id = "h-1", .number = "700000", .amount = 100};
  EXPECT_TRUE(ValidateCertificateHold(good).ok());
  CertificateHoldRequest request = good;
  request.amount = 0;
  EXPECT_EQ(ViolatedField(ValidateCertificateHold(request)), "amount");
  request = good;
  request.hold_id = "";
  EXPECT_EQ(ViolatedField(ValidateCertificateHold(request)), "hold_id");
  request = good;
  request.ttl = kMaxHoldTtl + absl::Seconds(1);
  EXPECT_EQ(ViolatedField(ValidateCertificateHold(request)), "ttl_seconds");
  // Default ttl, cut short by the certificate's expiry.
  EXPECT_EQ(CertificateHoldExpiry(good, kNow, kNow + absl::Hours(1)), kNow + kDefaultHoldTtl);
  EXPECT_EQ(CertificateHoldExpiry(good, kNow, kNow + absl::Minutes(1)), kNow + absl::Minutes(1));
}

TEST(CertificatePostTest, PostsAllOrLessThanTheHold) {
  PostCertificateHoldRequest request{
      .request_id = "p-1", .number = "700000", .hold_id = "h-1", .amount = 0};
  EXPECT_TRUE(ValidatePostCertificateHold(request).ok());
  EXPECT_EQ(*PostedAmount(request, 700), 700);
  request.amount = 300;
  EXPECT_EQ(*PostedAmount(request, 700), 300);
  request.amount = 701;
  absl::StatusOr<int64_t> over = PostedAmount(request, 700);
  EXPECT_EQ(ViolatedField(over.status()), "amount");
  EXPECT_THAT(over.status().message(), HasSubstr("held amount 700"));
  request.amount = -1;
  EXPECT_EQ(ViolatedField(ValidatePostCertificateHold(request)), "amount");
  request.amount = 1;
  request.request_id = "";
  EXPECT_EQ(ViolatedField(ValidatePostCertificateHold(request)), "request_id");
}

TEST(CertificateRefundTest, NeverMoreThanRedeemed) {
  EXPECT_TRUE(CheckRefundable(700, 0, 700).ok());
  EXPECT_TRUE(CheckRefundable(700, 300, 400).ok());
  absl::Status over = CheckRefundable(700, 300, 401);
  EXPECT_EQ(over.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(over), "amount");
  EXPECT_THAT(over.message(), HasSubstr("400 of 700"));
  RefundCertificateRequest request{
      .request_id = "r-1", .number = "700000", .redemption_id = "", .amount = 5};
  EXPECT_EQ(ViolatedField(ValidateRefundCertificate(request)), "redemption_id");
  request.redemption_id = "p-1";
  request.amount = 0;
  EXPECT_EQ(ViolatedField(ValidateRefundCertificate(request)), "amount");
}

TEST(CertificateStatusChangeTest, OnlyActiveOrBlockedWithAReason) {
  EXPECT_TRUE(ValidateCertificateStatusChange(CertificateStatus::kBlocked, "stolen").ok());
  EXPECT_EQ(ViolatedField(ValidateCertificateStatusChange(CertificateStatus::kExpired, "x")),
            "status");
  EXPECT_EQ(ViolatedField(ValidateCertificateStatusChange(CertificateStatus::kUnspecified, "x")),
            "status");
  EXPECT_EQ(ViolatedField(ValidateCertificateStatusChange(CertificateStatus::kActive, "")),
            "reason");
}

// Stored fingerprints must match the retries later builds see.
TEST(CertificateFingerprintTest, PinnedAndSensitiveToContent) {
  const RedeemCertificateRequest redeem{
      .request_id = "r-1", .number = "700000", .amount = 250, .reference = "receipt-9"};
  const std::string pinned = RedeemCertificateFingerprint(redeem);
  EXPECT_EQ(pinned, "2682b794e54abda4");
  RedeemCertificateRequest other = redeem;
  other.amount = 251;
  EXPECT_NE(RedeemCertificateFingerprint(other), pinned);
  other = redeem;
  other.request_id = "r-2";  // the id is not content
  EXPECT_EQ(RedeemCertificateFingerprint(other), pinned);
  // Who asks and where is not content either: a retry from a colleague is
  // the same request.
  other = redeem;
  other.store_id = "s";
  EXPECT_EQ(RedeemCertificateFingerprint(other), pinned);
  const CertificateHoldRequest hold{.hold_id = "h", .number = "700000", .amount = 5};
  CertificateHoldRequest default_ttl = hold;
  default_ttl.ttl = kDefaultHoldTtl;
  EXPECT_EQ(CertificateHoldFingerprint(hold), CertificateHoldFingerprint(default_ttl));
}

}  // namespace
}  // namespace loyalty::cards
