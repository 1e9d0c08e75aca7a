#include "services/cards/domain/partner_settlement.h"

#include <vector>

#include "gtest/gtest.h"
#include "services/cards/domain/ledger.h"

namespace loyalty::cards {
namespace {

TEST(NetPartnerFlowsTest, NetsBothDirectionsOfEachPair) {
  const std::vector<PartnerFlow> flows = {
      {.issuer_partner_id = "a", .acceptor_partner_id = "b", .redeemed = 100, .reversed = 5},
      {.issuer_partner_id = "b", .acceptor_partner_id = "a", .redeemed = 30},
      {.issuer_partner_id = "", .acceptor_partner_id = "c", .redeemed = 7},
      {.issuer_partner_id = "c", .acceptor_partner_id = "b", .redeemed = 10},
      {.issuer_partner_id = "b", .acceptor_partner_id = "c", .redeemed = 4, .reversed = 6},
  };
  const std::vector<PartnerNet> expected = {
      {.debtor_partner_id = "", .creditor_partner_id = "c", .points = 7},
      {.debtor_partner_id = "a", .creditor_partner_id = "b", .points = 75},
  };
  EXPECT_EQ(NetPartnerFlows(flows), expected);  // b and c cancel out
}

TEST(NetPartnerFlowsTest, TheProgramCanBeTheCreditor) {
  const std::vector<PartnerFlow> flows = {
      {.issuer_partner_id = "z", .acceptor_partner_id = "", .redeemed = 3}};
  const std::vector<PartnerNet> expected = {
      {.debtor_partner_id = "z", .creditor_partner_id = "", .points = 3}};
  EXPECT_EQ(NetPartnerFlows(flows), expected);
  EXPECT_TRUE(NetPartnerFlows({}).empty());
}

TEST(SettlementPeriodTest, NeedsBothEndsInOrderAndAtMostAYear) {
  const absl::Time start = absl::FromUnixSeconds(1'700'000'000);
  EXPECT_TRUE(ValidateSettlementPeriod(start, start + absl::Hours(24)).ok());
  EXPECT_TRUE(ValidateSettlementPeriod(start, start + kMaxSettlementPeriod).ok());
  auto message = [&](std::optional<absl::Time> from, std::optional<absl::Time> to) {
    return std::string(ValidateSettlementPeriod(from, to).message());
  };
  EXPECT_NE(message(std::nullopt, start).find("start_time"), std::string::npos);
  EXPECT_NE(message(start, std::nullopt).find("end_time"), std::string::npos);
  EXPECT_NE(message(start, start).find("after start_time"), std::string::npos);
  EXPECT_NE(message(start, start + kMaxSettlementPeriod + absl::Seconds(1)).find("366"),
            std::string::npos);
}

TEST(TransferPartnerTest, OnlyPurchaseKindsHappenAtAPartner) {
  TransferSpec spec{.transfer_id = "t",
                    .kind = TransferKind::kAccrual,
                    .card_number = "1",
                    .amount = 5,
                    .partner_id = "shop-1"};
  EXPECT_TRUE(ValidateTransfer(spec, "").ok());
  spec.kind = TransferKind::kRedemptionReversal;
  EXPECT_TRUE(ValidateTransfer(spec, "").ok());
  spec.kind = TransferKind::kCorrectionCredit;
  spec.reason = "goodwill";
  absl::Status refused = ValidateTransfer(spec, "transfers[0].");
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.ToString().find("transfers[0].partner_id"), std::string::npos) << refused;
  spec.kind = TransferKind::kAccrual;
  spec.reason.clear();
  spec.partner_id = std::string(kMaxIdLength + 1, 'p');
  EXPECT_FALSE(ValidateTransfer(spec, "").ok());
  spec.partner_id = "bad\nid";
  EXPECT_FALSE(ValidateTransfer(spec, "").ok());
}

TEST(TransferPartnerTest, ThePartnerIsPartOfTheRequest) {
  TransferSpec spec{
      .transfer_id = "t", .kind = TransferKind::kAccrual, .card_number = "1", .amount = 5};
  const std::string without = TransferFingerprint(spec);
  spec.partner_id = "a";
  const std::string at_a = TransferFingerprint(spec);
  spec.partner_id = "b";
  EXPECT_NE(without, at_a);
  EXPECT_NE(at_a, TransferFingerprint(spec));
  // A reason equal to a partner id is not the same request.
  TransferSpec with_reason{.transfer_id = "t",
                           .kind = TransferKind::kAccrual,
                           .card_number = "1",
                           .amount = 5,
                           .reason = "a"};
  EXPECT_NE(TransferFingerprint(with_reason), at_a);
}

}  // namespace
}  // namespace loyalty::cards
