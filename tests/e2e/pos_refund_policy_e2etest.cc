// POS-4 through the real gateway over HTTP: a member earns points, spends
// them, and the purchase is refunded. Under CAP the points already spent
// are forgiven; under NEGATIVE_BALANCE the balance goes below zero down to
// the program's floor, the rest forgiven, and the next accrual repays the
// debt first. The refund response says what happened each time.

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/pos/v1/pos_service.pb.h"
#include "loyalty/pos/v1/store_service.pb.h"
#include "services/cards/storage/ledger_invariants.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;

class PosRefundPolicyTest : public SharedStackTest {
 protected:
  // Calculates and confirms a receipt of `lines` (JSON) for `card`,
  // spending `points`.
  static pos::v1::Receipt Sell(const std::string& card, const std::string& lines,
                               int64_t points = 0) {
    http::Response calculated =
        Pos("POST", "/v1/pos/receipts:calculate",
            absl::StrCat(R"({"receiptNumber": "RP-)", UniqueDigits(8), R"(", "cardNumber": ")",
                         card, R"(", "pointsToSpend": )", points, R"(, "lines": )", lines, "}"));
    EXPECT_EQ(calculated.status, 200) << calculated.body;
    const auto receipt = Parse<pos::v1::Receipt>(calculated.body);
    http::Response confirmed =
        Pos("POST", "/v1/pos/receipts:confirm",
            absl::StrCat(R"({"requestId": "confirm-)", receipt.receipt_id(), R"(", "receiptId": ")",
                         receipt.receipt_id(), R"("})"));
    EXPECT_EQ(confirmed.status, 200) << confirmed.body;
    return Parse<pos::v1::Receipt>(confirmed.body);
  }

  // Returns one unit of line 1 of `receipt` under `request_id`.
  static http::Response RefundOne(const pos::v1::Receipt& receipt, const std::string& request_id) {
    return Pos(
        "POST", "/v1/pos/receipts:refund",
        absl::StrCat(R"({"requestId": ")", request_id, R"(", "receiptId": ")", receipt.receipt_id(),
                     R"(", "lines": [{"lineNumber": 1, "quantity": "1"}]})"));
  }

  static cards::v1::Balance BalanceOf(const std::string& card) {
    http::Response response = Admin("GET", "/v1/cards/" + card);
    EXPECT_EQ(response.status, 200) << response.body;
    return Parse<cards::v1::Card>(response.body).balance();
  }

  static void SetPolicy(const std::string& policy, int64_t floor) {
    http::Response updated =
        Admin("PATCH", "/v1/pos/settings?updateMask=refundShortfallPolicy,refundNegativeFloor",
              absl::StrCat(R"({"refundShortfallPolicy": ")", policy,
                           R"(", "refundNegativeFloor": ")", floor, R"("})"));
    ASSERT_EQ(updated.status, 200) << updated.body;
  }
};

// Two units of 1000.00: 5% earns 100 points, 50 per unit returned.
constexpr char kTwoUnits[] = R"([{"sku": "kettle", "quantity": "2", "price": 100000}])";
// 300.00, of which 100 points (100.00) paid by points; 5% of 200.00 earns 10.
constexpr char kSpendingReceipt[] = R"([{"sku": "tea", "quantity": "3", "price": 10000}])";

TEST_F(PosRefundPolicyTest, SpentPointsAreForgivenUnderCapOrOwedDownToTheFloor) {
  // A bad floor changes nothing and names the field.
  http::Response bad = Admin("PATCH", "/v1/pos/settings?updateMask=refundNegativeFloor",
                             R"({"refundNegativeFloor": "-1"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_THAT(bad.body, HasSubstr("settings.refund_negative_floor"));
  SetPolicy("REFUND_SHORTFALL_POLICY_CAP", 0);
  http::Response read = Admin("GET", "/v1/pos/settings");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(Parse<pos::v1::PosSettings>(read.body).refund_shortfall_policy(),
            pos::v1::REFUND_SHORTFALL_POLICY_CAP);

  const std::string card = NewMemberCard();
  const pos::v1::Receipt bought = Sell(card, kTwoUnits);
  ASSERT_EQ(bought.points_earned(), 100);
  const pos::v1::Receipt spent = Sell(card, kSpendingReceipt, 100);
  ASSERT_EQ(spent.points_spent(), 100);
  ASSERT_EQ(spent.points_earned(), 10);
  ASSERT_EQ(BalanceOf(card).available(), 10);

  // CAP: 50 to take back, the member has 10: 40 forgiven.
  http::Response capped = RefundOne(bought, "refund-cap-" + bought.receipt_id());
  ASSERT_EQ(capped.status, 200) << capped.body;
  const auto cap = Parse<pos::v1::Refund>(capped.body);
  EXPECT_EQ(cap.shortfall_policy(), pos::v1::REFUND_SHORTFALL_POLICY_CAP);
  EXPECT_EQ(cap.points_to_reverse(), 50);
  EXPECT_EQ(cap.points_reversed(), 10);
  EXPECT_EQ(cap.points_reversed_from_balance(), 10);
  EXPECT_EQ(cap.points_into_negative(), 0);
  EXPECT_EQ(cap.points_forgiven(), 40);
  EXPECT_EQ(BalanceOf(card).available(), 0);
  EXPECT_EQ(BalanceOf(card).debt(), 0);

  // NEGATIVE_BALANCE down to -30: the other unit's 50 points, none left to
  // take: 30 owed below zero, 20 forgiven.
  SetPolicy("REFUND_SHORTFALL_POLICY_NEGATIVE_BALANCE", 30);
  const std::string request_id = "refund-negative-" + bought.receipt_id();
  http::Response owed = RefundOne(bought, request_id);
  ASSERT_EQ(owed.status, 200) << owed.body;
  const auto negative = Parse<pos::v1::Refund>(owed.body);
  EXPECT_EQ(negative.shortfall_policy(), pos::v1::REFUND_SHORTFALL_POLICY_NEGATIVE_BALANCE);
  EXPECT_EQ(negative.negative_floor(), 30);
  EXPECT_EQ(negative.points_to_reverse(), 50);
  EXPECT_EQ(negative.points_reversed(), 30);
  EXPECT_EQ(negative.points_reversed_from_balance(), 0);
  EXPECT_EQ(negative.points_into_negative(), 30);
  EXPECT_EQ(negative.points_forgiven(), 20);
  cards::v1::Balance in_debt = BalanceOf(card);
  EXPECT_EQ(in_debt.debt(), 30);
  EXPECT_EQ(in_debt.available(), 0);

  // A retry, even after the policy changed, answers the same refund and
  // takes nothing more.
  SetPolicy("REFUND_SHORTFALL_POLICY_CAP", 0);
  http::Response again = RefundOne(bought, request_id);
  ASSERT_EQ(again.status, 200) << again.body;
  const auto replay = Parse<pos::v1::Refund>(again.body);
  EXPECT_EQ(replay.refund_id(), negative.refund_id());
  EXPECT_EQ(replay.points_into_negative(), 30);
  EXPECT_EQ(BalanceOf(card).debt(), 30);

  // The next accrual repays the debt first: 100 earned, 70 spendable.
  Sell(card, kTwoUnits);
  cards::v1::Balance repaid = BalanceOf(card);
  EXPECT_EQ(repaid.debt(), 0);
  EXPECT_EQ(repaid.available(), 70);

  auto violations = cards::FindLedgerInvariantViolations(stack_->postgres().ConnectionString());
  ASSERT_TRUE(violations.ok()) << violations.status();
  EXPECT_TRUE(violations->empty()) << ::testing::PrintToString(*violations);
}

}  // namespace
}  // namespace loyalty::e2e
