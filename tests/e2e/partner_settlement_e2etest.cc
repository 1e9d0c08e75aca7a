// CRD-9 end to end: a member earns points at one coalition partner and
// spends them at another (transfers reach cards over gRPC with their
// partner, as pos sends them); the settlement report over HTTP says who
// owes whom. Bad periods get a 400 naming the field, a POS key a 403, and
// another program sees nothing of it.

#include <grpcpp/grpcpp.h>
#include <memory>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/rpc/call_context.h"
#include "libs/rpc/channel.h"
#include "loyalty/cards/v1/ledger_service.grpc.pb.h"
#include "loyalty/cards/v1/points_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::loyalty::cards::v1;

class PartnerSettlementTest : public SharedStackTest {
 protected:
  // What pos does at a partner's till: one transfer with the partner.
  static void Commit(const std::string& id, v1::TransferKind kind, const std::string& card,
                     int64_t amount, const std::string& partner) {
    auto stub = v1::LedgerService::NewStub(rpc::DialService(stack_->GrpcAddress("cards")));
    v1::CommitTransfersRequest request;
    v1::TransferSpec* spec = request.add_transfers();
    spec->set_transfer_id(id);
    spec->set_kind(kind);
    spec->set_card_number(card);
    spec->set_amount(amount);
    spec->set_partner_id(partner);
    grpc::ClientContext context;
    rpc::WriteCallContext({.program_id = stack_->demo().program_id, .role = "ROLE_POS"}, context);
    v1::CommitTransfersResponse response;
    grpc::Status status = stub->CommitTransfers(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
};

TEST_F(PartnerSettlementTest, PointsEarnedAtOnePartnerAndSpentAtAnotherAreOwedToIt) {
  const std::string card = NewMemberCard();
  Commit("e2e-earn-alpha", v1::TRANSFER_KIND_ACCRUAL, card, 100, "alpha");
  Commit("e2e-earn-beta", v1::TRANSFER_KIND_ACCRUAL, card, 10, "beta");
  Commit("e2e-spend-beta", v1::TRANSFER_KIND_REDEMPTION, card, 60, "beta");

  const std::string period = "/v1/partnerSettlement?startTime=2020-01-01T00:00:00Z";
  http::Response report = Admin("GET", period + "&endTime=2020-12-31T00:00:00Z");
  ASSERT_EQ(report.status, 200) << report.body;
  EXPECT_EQ(Parse<v1::PartnerSettlement>(report.body).net_size(), 0) << report.body;

  // A period around now: alpha's points were spent at beta.
  const absl::Time now = absl::Now();
  const std::string around_now = absl::StrCat(
      "/v1/partnerSettlement?startTime=",
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now - absl::Hours(1), absl::UTCTimeZone()),
      "&endTime=",
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now + absl::Hours(1), absl::UTCTimeZone()));
  report = Admin("GET", around_now);
  ASSERT_EQ(report.status, 200) << report.body;
  const v1::PartnerSettlement settlement = Parse<v1::PartnerSettlement>(report.body);
  ASSERT_EQ(settlement.net_size(), 1) << report.body;
  EXPECT_EQ(settlement.net(0).debtor_partner_id(), "alpha");
  EXPECT_EQ(settlement.net(0).creditor_partner_id(), "beta");
  EXPECT_EQ(settlement.net(0).points(), 60);
  ASSERT_EQ(settlement.activity_size(), 2) << report.body;
  EXPECT_EQ(settlement.activity(1).partner_id(), "beta");
  EXPECT_EQ(settlement.activity(1).redeemed(), 60);

  // Bad periods name the field; tills may not read the report.
  http::Response missing = Admin("GET", period);
  EXPECT_EQ(missing.status, 400) << missing.body;
  EXPECT_THAT(missing.body, HasSubstr("end_time"));
  http::Response backwards = Admin(
      "GET", "/v1/partnerSettlement?startTime=2021-01-01T00:00:00Z&endTime=2020-01-01T00:00:00Z");
  EXPECT_EQ(backwards.status, 400) << backwards.body;
  EXPECT_EQ(Send("GET", around_now, "", stack_->demo().pos_api_key).status, 403);
}

}  // namespace
}  // namespace loyalty::e2e
