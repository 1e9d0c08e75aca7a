// POS-2 certificate checks through the real gateway over HTTP: a gift
// certificate issued at `cards` pays part of a receipt (held at calculate,
// spent once however often the till confirms), a cancelled receipt gives
// its hold back, and a partial refund returns the certificate's pro rata
// share. A malformed certificate number is 400 naming the entry.

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/cards/v1/certificates_service.pb.h"
#include "loyalty/pos/v1/pos_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;

class PosCertificatesTest : public SharedStackTest {
 protected:
  // A certificate of `nominal` minor units with a number of its own.
  static std::string Issue(int64_t nominal) {
    static int issued = 0;
    const std::string number =
        absl::StrCat("77", absl::ToUnixMicros(absl::Now()) % 1'000'000'000'000, ++issued);
    const std::string expiry = absl::FormatTime(
        absl::RFC3339_sec, absl::Now() + absl::Hours(24 * 30), absl::UTCTimeZone());
    http::Response response =
        Admin("POST", "/v1/certificates",
              absl::StrCat(R"({"number": ")", number, R"(", "nominal": ")", nominal,
                           R"(", "expireTime": ")", expiry, R"("})"));
    EXPECT_EQ(response.status, 200) << response.body;
    return number;
  }

  static cards::v1::Certificate Certificate(const std::string& number) {
    http::Response read = Admin("GET", absl::StrCat("/v1/certificates/", number));
    EXPECT_EQ(read.status, 200) << read.body;
    return Parse<cards::v1::Certificate>(read.body);
  }

  // Two units of 60.00, paid partly with `certificates` (a JSON array).
  static http::Response Calculate(const std::string& number, const std::string& certificates) {
    return Pos("POST", "/v1/pos/receipts:calculate",
               absl::StrCat(R"({"receiptNumber": ")", number,
                            R"(", "lines": [{"lineNumber": 1, "sku": "gift", "category": "gift",)"
                            R"( "quantity": "2", "price": 6000}], "certificates": )",
                            certificates, "}"));
  }

  static http::Response Confirm(const std::string& receipt_id, const std::string& request_id) {
    return Pos("POST", "/v1/pos/receipts:confirm",
               absl::StrCat(R"({"requestId": ")", request_id, R"(", "receiptId": ")", receipt_id,
                            R"("})"));
  }
};

TEST_F(PosCertificatesTest, ACertificatePaysPartOfAReceiptOnceAndGetsItsShareBack) {
  const std::string paying = Issue(10000);

  http::Response malformed = Calculate("CERT-0", R"([{"number": "12ab56"}])");
  EXPECT_EQ(malformed.status, 400) << malformed.body;
  EXPECT_THAT(malformed.body, HasSubstr("certificates[0].number"));

  // 90.00 of the 120.00 by the certificate.
  http::Response calculated =
      Calculate("CERT-1", absl::StrCat(R"([{"number": ")", paying, R"(", "amount": 9000}])"));
  ASSERT_EQ(calculated.status, 200) << calculated.body;
  const auto receipt = Parse<pos::v1::Receipt>(calculated.body);
  ASSERT_EQ(receipt.certificates_size(), 1);
  EXPECT_EQ(receipt.certificates(0).outcome(), pos::v1::CERTIFICATE_OUTCOME_APPLIED);
  EXPECT_EQ(receipt.certificates(0).amount(), 9000);
  EXPECT_EQ(receipt.certificates_amount(), 9000);
  EXPECT_EQ(receipt.amount_to_pay(), 3000);
  cards::v1::Certificate held = Certificate(paying);
  EXPECT_EQ(held.held(), 9000);
  EXPECT_EQ(held.available(), 1000);

  // The till confirms three times (a retry and an impatient second id).
  ASSERT_EQ(Confirm(receipt.receipt_id(), "cert-confirm-1").status, 200);
  ASSERT_EQ(Confirm(receipt.receipt_id(), "cert-confirm-1").status, 200);
  http::Response third = Confirm(receipt.receipt_id(), "cert-confirm-2");
  ASSERT_EQ(third.status, 200) << third.body;
  EXPECT_EQ(Parse<pos::v1::Receipt>(third.body).state(), pos::v1::RECEIPT_STATE_CONFIRMED);
  cards::v1::Certificate spent = Certificate(paying);
  EXPECT_EQ(spent.balance(), 1000);
  EXPECT_EQ(spent.held(), 0);

  // A second receipt's hold comes back when it is cancelled.
  const std::string other = Issue(5000);
  http::Response second =
      Calculate("CERT-2", absl::StrCat(R"([{"number": ")", other, R"("}])"));
  ASSERT_EQ(second.status, 200) << second.body;
  const auto cancelled_receipt = Parse<pos::v1::Receipt>(second.body);
  EXPECT_EQ(cancelled_receipt.certificates(0).amount(), 5000);
  EXPECT_EQ(cancelled_receipt.amount_to_pay(), 7000);
  EXPECT_EQ(Certificate(other).available(), 0);
  http::Response cancelled =
      Pos("POST", "/v1/pos/receipts:cancel",
          absl::StrCat(R"({"requestId": "cert-cancel", "receiptId": ")",
                       cancelled_receipt.receipt_id(), R"("})"));
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(Certificate(other).available(), 5000);
  EXPECT_EQ(Certificate(other).held(), 0);

  // One of the two units back: half of what the certificate paid returns
  // to it, once however often the till retries.
  const std::string refund_body =
      absl::StrCat(R"({"requestId": "cert-refund-1", "receiptId": ")", receipt.receipt_id(),
                   R"(", "lines": [{"lineNumber": 1, "quantity": "1"}]})");
  http::Response refunded = Pos("POST", "/v1/pos/receipts:refund", refund_body);
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  const auto refund = Parse<pos::v1::Refund>(refunded.body);
  EXPECT_EQ(refund.amount(), 6000);
  EXPECT_EQ(refund.certificates_amount(), 4500);
  ASSERT_EQ(refund.certificates_size(), 1);
  EXPECT_EQ(refund.certificates(0).number(), paying);
  ASSERT_EQ(Pos("POST", "/v1/pos/receipts:refund", refund_body).status, 200);
  EXPECT_EQ(Certificate(paying).balance(), 5500);
}

}  // namespace
}  // namespace loyalty::e2e
