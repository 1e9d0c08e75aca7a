// POS-2 through the real gateway over HTTP: a campaign created and
// activated through campaigns' API discounts a receipt calculated at a
// store, the response names the campaign and its version; once the
// campaign is paused, the ActiveCampaignsChanged event makes pos drop it
// well before the snapshot's max age (60s).

#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "loyalty/campaigns/v1/campaigns_service.pb.h"
#include "loyalty/pos/v1/pos_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

class PosCampaignsTest : public SharedStackTest {
 protected:
  // Calculates the same receipt again (a recalculation) until `done`
  // holds, for up to 15 seconds; returns the last receipt.
  static pos::v1::Receipt CalculateUntil(const std::function<bool(const pos::v1::Receipt&)>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(15);
    pos::v1::Receipt receipt;
    while (true) {
      http::Response response =
          Pos("POST", "/v1/pos/receipts:calculate",
              R"({"receiptNumber": "CMP-1", "lines": [)"
              R"({"lineNumber": 1, "sku": "milk-1l", "category": "dairy", "quantity": "2",)"
              R"( "price": 5000},)"
              R"({"lineNumber": 2, "sku": "bread", "category": "bakery", "quantity": "1",)"
              R"( "price": 3000}]})");
      EXPECT_EQ(response.status, 200) << response.body;
      receipt = Parse<pos::v1::Receipt>(response.body);
      if (done(receipt) || absl::Now() > deadline) return receipt;
      absl::SleepFor(absl::Milliseconds(200));
    }
  }
};

TEST_F(PosCampaignsTest, AnActiveCampaignDiscountsAndAPausedOneNoLonger) {
  http::Response created = Admin("POST", "/v1/campaigns",
                                 R"({"name": "Dairy week", "rules": [{"ruleId": "dairy-10",)"
                                 R"( "effects": [{"discount": {"target": "TARGET_LINES",)"
                                 R"( "lines": {"categories": ["dairy"]}, "percentBp": 1000}}],)"
                                 R"( "cashierMessage": "Dairy week: 10% off"}]})");
  ASSERT_EQ(created.status, 200) << created.body;
  const auto campaign = Parse<campaigns::v1::Campaign>(created.body);
  const std::string path = absl::StrCat("/v1/campaigns/", campaign.campaign_id());
  http::Response activated = Admin("POST", path + ":activate", "{}");
  ASSERT_EQ(activated.status, 200) << activated.body;
  const int64_t version = Parse<campaigns::v1::Campaign>(activated.body).version();

  pos::v1::Receipt discounted =
      CalculateUntil([](const pos::v1::Receipt& r) { return r.total_discount() > 0; });
  ASSERT_EQ(discounted.lines_size(), 2);
  EXPECT_EQ(discounted.lines(0).discount(), 1000);  // 10% of 2 x 50.00
  EXPECT_EQ(discounted.lines(1).discount(), 0);
  EXPECT_EQ(discounted.total_discount(), 1000);
  EXPECT_EQ(discounted.amount_to_pay(), 12000);
  ASSERT_EQ(discounted.applied_campaigns_size(), 1) << discounted.DebugString();
  const pos::v1::AppliedCampaign& applied = discounted.applied_campaigns(0);
  EXPECT_EQ(applied.campaign_id(), campaign.campaign_id());
  EXPECT_EQ(applied.campaign_version(), version);
  EXPECT_EQ(applied.rule_id(), "dairy-10");
  ASSERT_EQ(applied.lines_size(), 1);
  EXPECT_EQ(applied.lines(0).line_number(), 1);
  EXPECT_EQ(applied.lines(0).discount(), 1000);
  ASSERT_GE(discounted.messages_size(), 1);
  EXPECT_EQ(discounted.messages(0), "Dairy week: 10% off");

  // The receipt keeps the version that priced it.
  http::Response read = Pos("GET", absl::StrCat("/v1/pos/receipts/", discounted.receipt_id()));
  ASSERT_EQ(read.status, 200) << read.body;
  const auto kept = Parse<pos::v1::Receipt>(read.body);
  ASSERT_EQ(kept.applied_campaigns_size(), 1);
  EXPECT_EQ(kept.applied_campaigns(0).campaign_version(), version);
  EXPECT_EQ(kept.applied_campaigns(0).lines_size(), 1);

  http::Response paused = Admin("POST", path + ":pause", "{}");
  ASSERT_EQ(paused.status, 200) << paused.body;
  pos::v1::Receipt full =
      CalculateUntil([](const pos::v1::Receipt& r) { return r.total_discount() == 0; });
  EXPECT_EQ(full.total_discount(), 0);
  EXPECT_EQ(full.applied_campaigns_size(), 0);
  EXPECT_EQ(full.amount_to_pay(), 13000);
}

}  // namespace
}  // namespace loyalty::e2e
