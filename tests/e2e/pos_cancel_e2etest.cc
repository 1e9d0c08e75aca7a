// POS-5 through the real gateway over HTTP: a confirmed sale that spent
// points, earned points and was partly paid by a gift certificate is
// cancelled (twice): the points and the certificate are back where they
// were, once. A sale partly refunded first is cancelled for the rest only.
// A calculated receipt still cancels as before; a bad id is 400 naming
// `receipt_id`, another store's key does not see the receipt (404, as for
// refunds), and a receipt refunded wholly has nothing left to cancel.

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/cards/v1/certificates_service.pb.h"
#include "loyalty/identity/v1/api_keys_service.pb.h"
#include "loyalty/pos/v1/pos_service.pb.h"
#include "loyalty/pos/v1/store_service.pb.h"
#include "services/cards/storage/ledger_invariants.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;

class PosCancelTest : public SharedStackTest {
 protected:
  static http::Response Calculate(const std::string& card, const std::string& lines, int64_t points,
                                  const std::string& certificates = "[]") {
    return Pos("POST", "/v1/pos/receipts:calculate",
               absl::StrCat(R"({"receiptNumber": "CN-)", UniqueDigits(8), R"(", "cardNumber": ")",
                            card, R"(", "pointsToSpend": )", points, R"(, "lines": )", lines,
                            R"(, "certificates": )", certificates, "}"));
  }

  static pos::v1::Receipt Sell(const std::string& card, const std::string& lines,
                               int64_t points = 0, const std::string& certificates = "[]") {
    http::Response calculated = Calculate(card, lines, points, certificates);
    EXPECT_EQ(calculated.status, 200) << calculated.body;
    const auto receipt = Parse<pos::v1::Receipt>(calculated.body);
    http::Response confirmed =
        Pos("POST", "/v1/pos/receipts:confirm",
            absl::StrCat(R"({"requestId": "confirm-)", receipt.receipt_id(), R"(", "receiptId": ")",
                         receipt.receipt_id(), R"("})"));
    EXPECT_EQ(confirmed.status, 200) << confirmed.body;
    return Parse<pos::v1::Receipt>(confirmed.body);
  }

  static http::Response Cancel(const std::string& receipt_id, const std::string& key = "") {
    return Send("POST", "/v1/pos/receipts:cancel",
                absl::StrCat(R"({"receiptId": ")", receipt_id, R"("})"),
                key.empty() ? stack_->demo().pos_api_key : key);
  }

  static cards::v1::Balance BalanceOf(const std::string& card) {
    http::Response response = Admin("GET", "/v1/cards/" + card);
    EXPECT_EQ(response.status, 200) << response.body;
    return Parse<cards::v1::Card>(response.body).balance();
  }

  static std::string IssueCertificate(int64_t nominal) {
    const std::string number = absl::StrCat("78", UniqueDigits(12));
    const std::string expiry = absl::FormatTime(
        absl::RFC3339_sec, absl::Now() + absl::Hours(24 * 30), absl::UTCTimeZone());
    http::Response response =
        Admin("POST", "/v1/certificates",
              absl::StrCat(R"({"number": ")", number, R"(", "nominal": ")", nominal,
                           R"(", "expireTime": ")", expiry, R"("})"));
    EXPECT_EQ(response.status, 200) << response.body;
    return number;
  }

  static int64_t CertificateBalance(const std::string& number) {
    http::Response read = Admin("GET", absl::StrCat("/v1/certificates/", number));
    EXPECT_EQ(read.status, 200) << read.body;
    return Parse<cards::v1::Certificate>(read.body).balance();
  }
};

// Two units of 1000.00: 5% earns 100 points, 50 per unit.
constexpr char kTwoUnits[] = R"([{"sku": "kettle", "quantity": "2", "price": 100000}])";
// 300.00: 100 points (100.00) and a certificate (50.00) pay part of it.
constexpr char kThreeUnits[] = R"([{"sku": "tea", "quantity": "3", "price": 10000}])";

TEST_F(PosCancelTest, ACancelledSaleGivesPointsAndCertificateBackOnce) {
  const std::string card = NewMemberCard();
  const pos::v1::Receipt earning = Sell(card, kTwoUnits);
  ASSERT_EQ(earning.points_earned(), 100);
  ASSERT_EQ(BalanceOf(card).available(), 100);
  const std::string certificate = IssueCertificate(10000);

  const pos::v1::Receipt sale =
      Sell(card, kThreeUnits, 100,
           absl::StrCat(R"([{"number": ")", certificate, R"(", "amount": 5000}])"));
  ASSERT_EQ(sale.state(), pos::v1::RECEIPT_STATE_CONFIRMED);
  ASSERT_EQ(sale.points_spent(), 100);
  ASSERT_GT(sale.points_earned(), 0);
  ASSERT_EQ(sale.certificates_amount(), 5000);
  EXPECT_EQ(BalanceOf(card).available(), sale.points_earned());
  EXPECT_EQ(CertificateBalance(certificate), 5000);

  // The till cancels, then retries.
  http::Response first = Cancel(sale.receipt_id());
  ASSERT_EQ(first.status, 200) << first.body;
  const auto cancelled = Parse<pos::v1::Receipt>(first.body);
  EXPECT_EQ(cancelled.state(), pos::v1::RECEIPT_STATE_CANCELLED);
  EXPECT_TRUE(cancelled.has_cancel_time());
  ASSERT_TRUE(cancelled.has_cancellation());
  EXPECT_TRUE(cancelled.cancellation().cancels_receipt());
  EXPECT_EQ(cancelled.cancellation().points_returned(), 100);
  EXPECT_EQ(cancelled.cancellation().points_to_reverse(), sale.points_earned());
  EXPECT_EQ(cancelled.cancellation().points_reversed(), sale.points_earned());
  EXPECT_EQ(cancelled.cancellation().certificates_amount(), 5000);
  http::Response second = Cancel(sale.receipt_id());
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(Parse<pos::v1::Receipt>(second.body).cancellation().refund_id(),
            cancelled.cancellation().refund_id());

  cards::v1::Balance back = BalanceOf(card);
  EXPECT_EQ(back.available(), 100);
  EXPECT_EQ(back.held(), 0);
  EXPECT_EQ(CertificateBalance(certificate), 10000);
  http::Response read = Pos("GET", "/v1/pos/receipts/" + sale.receipt_id());
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(Parse<pos::v1::Receipt>(read.body).state(), pos::v1::RECEIPT_STATE_CANCELLED);
  // A cancelled sale is not refunded or confirmed any more.
  EXPECT_EQ(Pos("POST", "/v1/pos/receipts:refund",
                absl::StrCat(R"({"requestId": "late-)", sale.receipt_id(), R"(", "receiptId": ")",
                             sale.receipt_id(), R"("})"))
                .status,
            400);
  EXPECT_EQ(BalanceOf(card).available(), 100);

  // Partly refunded first: the cancel takes back only the other unit.
  http::Response refunded = Pos(
      "POST", "/v1/pos/receipts:refund",
      absl::StrCat(R"({"requestId": "part-)", earning.receipt_id(), R"(", "receiptId": ")",
                   earning.receipt_id(), R"(", "lines": [{"lineNumber": 1, "quantity": "1"}]})"));
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  EXPECT_EQ(BalanceOf(card).available(), 50);
  http::Response rest = Cancel(earning.receipt_id());
  ASSERT_EQ(rest.status, 200) << rest.body;
  const auto rest_cancelled = Parse<pos::v1::Receipt>(rest.body);
  EXPECT_EQ(rest_cancelled.cancellation().points_to_reverse(), 50);
  EXPECT_EQ(rest_cancelled.cancellation().amount(), 100000);
  EXPECT_EQ(BalanceOf(card).available(), 0);
  ASSERT_EQ(Cancel(earning.receipt_id()).status, 200);
  EXPECT_EQ(BalanceOf(card).available(), 0);

  auto violations = cards::FindLedgerInvariantViolations(stack_->postgres().ConnectionString());
  ASSERT_TRUE(violations.ok()) << violations.status();
  EXPECT_TRUE(violations->empty()) << ::testing::PrintToString(*violations);
}

TEST_F(PosCancelTest, CalculatedReceiptsCancelAsBeforeAndBadCallsChangeNothing) {
  const std::string card = NewMemberCard();
  Sell(card, kTwoUnits);
  http::Response calculated = Calculate(card, kThreeUnits, 50);
  ASSERT_EQ(calculated.status, 200) << calculated.body;
  const auto receipt = Parse<pos::v1::Receipt>(calculated.body);
  EXPECT_EQ(BalanceOf(card).held(), 50);

  http::Response bad = Cancel("not-a-receipt");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_THAT(bad.body, HasSubstr("receipt_id"));

  // A till of another store does not see the receipt.
  http::Response store = Admin("POST", "/v1/stores", R"({"name": "Elsewhere"})");
  ASSERT_EQ(store.status, 200) << store.body;
  http::Response key =
      Admin("POST", "/v1/apiKeys",
            absl::StrCat(R"({"displayName": "other till", "role": "ROLE_POS", "storeId": ")",
                         Parse<pos::v1::Store>(store.body).store_id(), R"("})"));
  ASSERT_EQ(key.status, 200) << key.body;
  http::Response elsewhere = Cancel(
      receipt.receipt_id(), Parse<identity::v1::CreateProgramApiKeyResponse>(key.body).secret());
  EXPECT_EQ(elsewhere.status, 404) << elsewhere.body;
  EXPECT_EQ(BalanceOf(card).held(), 50);

  http::Response cancelled = Cancel(receipt.receipt_id());
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  const auto state = Parse<pos::v1::Receipt>(cancelled.body);
  EXPECT_EQ(state.state(), pos::v1::RECEIPT_STATE_CANCELLED);
  EXPECT_FALSE(state.has_cancellation());
  EXPECT_TRUE(state.has_cancel_time());
  EXPECT_EQ(BalanceOf(card).held(), 0);
  EXPECT_EQ(BalanceOf(card).available(), 100);

  // Refunded wholly: nothing is left to cancel.
  const pos::v1::Receipt sale = Sell(card, kTwoUnits);
  ASSERT_EQ(Pos("POST", "/v1/pos/receipts:refund",
                absl::StrCat(R"({"requestId": "all-)", sale.receipt_id(), R"(", "receiptId": ")",
                             sale.receipt_id(), R"("})"))
                .status,
            200);
  http::Response nothing_left = Cancel(sale.receipt_id());
  EXPECT_EQ(nothing_left.status, 400) << nothing_left.body;
  EXPECT_THAT(nothing_left.body, HasSubstr("receipt_id"));
  EXPECT_EQ(BalanceOf(card).available(), 100);
}

}  // namespace
}  // namespace loyalty::e2e
