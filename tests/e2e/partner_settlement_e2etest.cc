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
#include "loyalty/pos/v1/pos_service.pb.h"
#include "loyalty/pos/v1/store_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::loyalty::cards::v1;

class PartnerSettlementTest : public SharedStackTest {
 protected:
  static int64_t Count(const std::string& sql) {
    auto count = stack_->postgres().Query(sql);
    EXPECT_TRUE(count.ok()) << count.status();
    return count.ok() ? std::stoll(*count) : -1;
  }

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
  // Other tests of the suite share the stack (and the period): only the
  // rows of alpha and beta are this test's.
  const v1::PartnerSettlement settlement = Parse<v1::PartnerSettlement>(report.body);
  int nets = 0;
  for (const v1::PartnerNet& net : settlement.net()) {
    const bool ours = (net.debtor_partner_id() == "alpha" || net.debtor_partner_id() == "beta") &&
                      (net.creditor_partner_id() == "alpha" || net.creditor_partner_id() == "beta");
    if (!ours) continue;
    ++nets;
    EXPECT_EQ(net.debtor_partner_id(), "alpha") << report.body;
    EXPECT_EQ(net.points(), 60) << report.body;
  }
  EXPECT_EQ(nets, 1) << report.body;
  int activities = 0;
  for (const v1::PartnerActivity& activity : settlement.activity()) {
    if (activity.partner_id() == "alpha") {
      ++activities;
      EXPECT_EQ(activity.accrued(), 100);
      EXPECT_EQ(activity.redeemed(), 0);
    }
    if (activity.partner_id() == "beta") {
      ++activities;
      EXPECT_EQ(activity.accrued(), 10);
      EXPECT_EQ(activity.redeemed(), 60);
    }
  }
  EXPECT_EQ(activities, 2) << report.body;

  // Another program's report knows nothing of it.
  auto other = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/partners.env"));
  ASSERT_TRUE(other.ok()) << other.status();
  http::Response foreign = Send("GET", around_now, "", other->api_key);
  ASSERT_EQ(foreign.status, 200) << foreign.body;
  EXPECT_EQ(Parse<v1::PartnerSettlement>(foreign.body).activity_size(), 0) << foreign.body;

  // Bad periods name the field; tills may not read the report.
  http::Response missing = Admin("GET", period);
  EXPECT_EQ(missing.status, 400) << missing.body;
  EXPECT_THAT(missing.body, HasSubstr("end_time"));
  http::Response backwards = Admin(
      "GET", "/v1/partnerSettlement?startTime=2021-01-01T00:00:00Z&endTime=2020-01-01T00:00:00Z");
  EXPECT_EQ(backwards.status, 400) << backwards.body;
  EXPECT_EQ(Send("GET", around_now, "", stack_->demo().pos_api_key).status, 403);
}

// The whole way: stores owned by partners, receipts at their tills. Points
// earned at alpha's store and spent at beta's are owed by alpha to beta,
// and a refund at beta's store gives them back to beta's books.
TEST_F(PartnerSettlementTest, ReceiptsAtPartnersStoresAreChargedToTheirOwners) {
  auto store_of = [](const std::string& partner) {
    // A store names a partner of the program's reference list (POS-8).
    http::Response listed =
        Admin("POST", absl::StrCat("/v1/partners?requestId=partner-", partner),
              absl::StrCat(R"({"id": ")", partner, R"(", "name": "Partner )", partner, R"("})"));
    EXPECT_EQ(listed.status, 200) << listed.body;
    http::Response created = Admin(
        "POST", absl::StrCat("/v1/stores?requestId=store-", partner, "-", UniqueDigits(6)),
        absl::StrCat(R"({"name": "Shop of )", partner, R"(", "partnerId": ")", partner, R"("})"));
    EXPECT_EQ(created.status, 200) << created.body;
    pos::v1::Store store = Parse<pos::v1::Store>(created.body);
    EXPECT_EQ(store.partner_id(), partner);
    return store.store_id();
  };
  const std::string alpha_store = store_of("north");
  const std::string beta_store = store_of("south");
  const std::string card = NewMemberCard();

  // A receipt at `store` spending `points`, confirmed; its id.
  auto buy = [&](const std::string& store, int64_t price, int64_t points) {
    http::Response calculated = Admin(
        "POST", "/v1/pos/receipts:calculate",
        absl::StrCat(R"({"storeId": ")", store, R"(", "receiptNumber": "P-)", UniqueDigits(8),
                     R"(", "cardNumber": ")", card, R"(", "pointsToSpend": )", points,
                     R"(, "lines": [{"sku": "bread", "quantity": "1", "price": )", price, "}]}"));
    EXPECT_EQ(calculated.status, 200) << calculated.body;
    const std::string id = Parse<pos::v1::Receipt>(calculated.body).receipt_id();
    http::Response confirmed =
        Admin("POST", "/v1/pos/receipts:confirm",
              absl::StrCat(R"({"requestId": "c-)", id, R"(", "receiptId": ")", id, R"("})"));
    EXPECT_EQ(confirmed.status, 200) << confirmed.body;
    return id;
  };
  const absl::Time start = absl::Now() - absl::Seconds(1);
  buy(alpha_store, 200000, 0);  // 2000.00 at 5%: 100 points issued by north
  const std::string spent_at_south = buy(beta_store, 100000, 40);

  auto report = [&] {
    http::Response response = Admin(
        "GET", absl::StrCat("/v1/partnerSettlement?startTime=",
                            absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", start, absl::UTCTimeZone()),
                            "&endTime=",
                            absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now() + absl::Hours(1),
                                             absl::UTCTimeZone())));
    EXPECT_EQ(response.status, 200) << response.body;
    return Parse<v1::PartnerSettlement>(response.body);
  };
  v1::PartnerSettlement settlement = report();
  bool found = false;
  for (const v1::PartnerNet& net : settlement.net()) {
    if (net.debtor_partner_id() == "north" && net.creditor_partner_id() == "south") {
      EXPECT_EQ(net.points(), 40);
      found = true;
    }
  }
  EXPECT_TRUE(found) << settlement.DebugString();

  // The purchase at south is returned: its 40 points come back as south's.
  http::Response refunded = Admin("POST", "/v1/pos/receipts:refund",
                                  absl::StrCat(R"({"requestId": "r-)", spent_at_south,
                                               R"(", "receiptId": ")", spent_at_south, R"("})"));
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  settlement = report();
  bool south_seen = false;
  for (const v1::PartnerActivity& activity : settlement.activity()) {
    if (activity.partner_id() == "south") {
      south_seen = true;
      EXPECT_EQ(activity.redemption_reversed(), 40);
    }
  }
  EXPECT_TRUE(south_seen) << settlement.DebugString();
  EXPECT_EQ(Count("SELECT count(*) FROM cards.lots l JOIN cards.transfers t"
                  " USING (program_id, transfer_id)"
                  " WHERE t.kind = 'REDEMPTION_REVERSAL' AND l.partner_id = 'south'"),
            1);
}

}  // namespace
}  // namespace loyalty::e2e
