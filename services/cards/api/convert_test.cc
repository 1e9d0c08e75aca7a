#include "services/cards/api/convert.h"

#include "gtest/gtest.h"

namespace loyalty::cards {
namespace {

TEST(ConvertTest, TransferSpecKeepsAbsentTimesAbsent) {
  v1::TransferSpec proto;
  proto.set_transfer_id("t-1");
  proto.set_kind(v1::TRANSFER_KIND_REDEMPTION_REVERSAL);
  proto.set_card_number("2000000000008");
  proto.set_amount(42);
  proto.set_reference("receipt-1");
  proto.mutable_expire_time()->set_seconds(1'800'000'000);
  proto.mutable_expire_time()->set_nanos(5000);

  TransferSpec spec = FromProto(proto);
  EXPECT_EQ(spec.transfer_id, "t-1");
  EXPECT_EQ(spec.kind, TransferKind::kRedemptionReversal);
  EXPECT_EQ(spec.amount, 42);
  EXPECT_EQ(spec.reference, "receipt-1");
  EXPECT_FALSE(spec.activate_time.has_value());
  ASSERT_TRUE(spec.expire_time.has_value());
  EXPECT_EQ(*spec.expire_time, absl::FromUnixMicros(1'800'000'000'000'005));

  // A timestamp set to the epoch is present, not absent.
  proto.mutable_activate_time();
  EXPECT_EQ(FromProto(proto).activate_time, absl::UnixEpoch());
}

TEST(ConvertTest, UnknownKindsBecomeUnspecified) {
  EXPECT_EQ(FromProto(static_cast<v1::TransferKind>(99)), TransferKind::kUnspecified);
  EXPECT_EQ(FromProto(v1::TRANSFER_KIND_UNSPECIFIED), TransferKind::kUnspecified);
  EXPECT_EQ(FromProto(v1::TRANSFER_KIND_ACCRUAL_REVERSAL), TransferKind::kAccrualReversal);
}

TEST(ConvertTest, HoldTtlIsClampedNotOverflowed) {
  v1::HoldPointsRequest request;
  request.set_ttl_seconds(INT64_MAX);
  EXPECT_GT(FromProto(request).ttl, kMaxHoldTtl);
  request.set_ttl_seconds(INT64_MIN);
  EXPECT_LT(FromProto(request).ttl, absl::ZeroDuration());
  request.set_ttl_seconds(60);
  EXPECT_EQ(FromProto(request).ttl, absl::Minutes(1));
}

TEST(ConvertTest, CardAndHoldToProto) {
  Card card{.number = "2000000000008",
            .barcode = "2000000000008",
            .client_id = "c",
            .status = CardStatus::kActive,
            .account_id = "a",
            .create_time = absl::FromUnixSeconds(10),
            .balance = {.available = 1, .active = 2, .pending = 3, .held = 1}};
  v1::Card proto;
  ToProto(card, proto);
  EXPECT_EQ(proto.status(), v1::CARD_STATUS_ACTIVE);
  EXPECT_EQ(proto.balance().pending(), 3);
  EXPECT_EQ(proto.create_time().seconds(), 10);

  v1::Hold hold;
  ToProto(Hold{.hold_id = "h", .amount = 5, .state = HoldState::kExpired}, hold);
  EXPECT_EQ(hold.state(), v1::HOLD_STATE_EXPIRED);
}

}  // namespace
}  // namespace loyalty::cards
