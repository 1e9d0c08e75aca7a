// CMP-5 through the real gateway over HTTP: a campaign with a budget
// discounts receipts until what they were given reaches its cap, then stops
// applying (the cashier is told why); pos reports what was used, and a
// refund gives its share back. A negative cap is 400 naming the field.

#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/campaigns/v1/campaigns_service.pb.h"
#include "loyalty/pos/v1/pos_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

class PosBudgetsTest : public SharedStackTest {
 protected:
  // One line of 50.00; recalculated until `done` holds, for up to 15 s.
  static pos::v1::Receipt Calculate(
      const std::string& number,
      const std::function<bool(const pos::v1::Receipt&)>& done = [](const auto&) { return true; }) {
    const absl::Time deadline = absl::Now() + absl::Seconds(15);
    pos::v1::Receipt receipt;
    while (true) {
      http::Response response =
          Pos("POST", "/v1/pos/receipts:calculate",
              absl::StrCat(R"({"receiptNumber": ")", number,
                           R"(", "lines": [{"lineNumber": 1, "sku": "tea", "category": "tea",)"
                           R"( "quantity": "1", "price": 5000}]})"));
      EXPECT_EQ(response.status, 200) << response.body;
      receipt = Parse<pos::v1::Receipt>(response.body);
      if (done(receipt) || absl::Now() > deadline) return receipt;
      absl::SleepFor(absl::Milliseconds(200));
    }
  }

  static void Confirm(const pos::v1::Receipt& receipt) {
    http::Response confirmed =
        Pos("POST", "/v1/pos/receipts:confirm",
            absl::StrCat(R"({"requestId": "confirm-)", receipt.receipt_id(), R"(", "receiptId": ")",
                         receipt.receipt_id(), R"("})"));
    ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  }

  static pos::v1::CampaignBudgetUsage Usage(const std::string& campaign_id) {
    http::Response read =
        Admin("GET", absl::StrCat("/v1/pos/campaigns/", campaign_id, "/budgetUsage"));
    EXPECT_EQ(read.status, 200) << read.body;
    return Parse<pos::v1::CampaignBudgetUsage>(read.body);
  }
};

constexpr char kRules[] =
    R"("rules": [{"ruleId": "ten-off", "effects": [{"discount": {"fixedAmount": 1000}}]}])";

TEST_F(PosBudgetsTest, ACampaignStopsApplyingWhenItsBudgetIsSpent) {
  http::Response negative = Admin("POST", "/v1/campaigns",
                                  absl::StrCat(R"({"name": "Broken budget", )", kRules,
                                               R"(, "budget": {"maxDiscount": "-1"}})"));
  EXPECT_EQ(negative.status, 400) << negative.body;
  EXPECT_THAT(negative.body, HasSubstr("campaign.budget.max_discount"));

  // 10.00 off every receipt, 25.00 in all: two receipts.
  http::Response created = Admin("POST", "/v1/campaigns",
                                 absl::StrCat(R"({"name": "Budget tea", )", kRules,
                                              R"(, "budget": {"maxDiscount": "2500"}})"));
  ASSERT_EQ(created.status, 200) << created.body;
  const auto campaign = Parse<campaigns::v1::Campaign>(created.body);
  EXPECT_EQ(campaign.budget().max_discount(), 2500);
  const std::string id = campaign.campaign_id();
  ASSERT_EQ(Admin("POST", absl::StrCat("/v1/campaigns/", id, ":activate"), "{}").status, 200);

  pos::v1::Receipt first =
      Calculate("BUDGET-1", [](const pos::v1::Receipt& r) { return r.total_discount() > 0; });
  ASSERT_EQ(first.total_discount(), 1000) << first.DebugString();
  pos::v1::CampaignBudgetUsage usage = Usage(id);
  EXPECT_EQ(usage.reserved_discount(), 1000);
  EXPECT_EQ(usage.max_discount(), 2500);
  Confirm(first);
  pos::v1::Receipt second = Calculate("BUDGET-2");
  ASSERT_EQ(second.total_discount(), 1000);
  Confirm(second);

  // 20.00 used: another 10.00 does not fit in 25.00.
  pos::v1::Receipt third = Calculate("BUDGET-3");
  EXPECT_EQ(third.total_discount(), 0);
  EXPECT_EQ(third.applied_campaigns_size(), 0);
  EXPECT_THAT(third.messages(), Contains(HasSubstr("budget exhausted")));
  usage = Usage(id);
  EXPECT_EQ(usage.used_discount(), 2000);
  EXPECT_EQ(usage.used_receipts(), 2);
  EXPECT_EQ(usage.reserved_discount(), 0);

  // A whole refund gives the first receipt's 10.00 back.
  http::Response refunded = Pos("POST", "/v1/pos/receipts:refund",
                                absl::StrCat(R"({"requestId": "refund-)", first.receipt_id(),
                                             R"(", "receiptId": ")", first.receipt_id(), R"("})"));
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  usage = Usage(id);
  EXPECT_EQ(usage.used_discount(), 1000);
  EXPECT_EQ(usage.used_receipts(), 1);
  pos::v1::Receipt again = Calculate("BUDGET-3");
  EXPECT_EQ(again.total_discount(), 1000);
  EXPECT_EQ(Usage(id).reserved_discount(), 1000);

  // Nothing is known of a campaign pos never saw.
  EXPECT_EQ(Admin("GET", "/v1/pos/campaigns/no-such-campaign/budgetUsage").status, 404);
}

}  // namespace
}  // namespace loyalty::e2e
