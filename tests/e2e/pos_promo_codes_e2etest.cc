// Promo codes entered on receipts (CMP-3, POS-2..5) through the real
// gateway over HTTP: a campaign with a promo-code condition discounts a
// receipt that carries the code; the use is reserved at calculate, a second
// receipt of the single-use code is refused with a cashier's reason, cancel
// gives the use back, confirm consumes it (the promo codes API counts one
// use); another program's code is reported unknown and nothing of it is
// reserved; a malformed code is 400 naming promo_codes[i].

#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/campaigns/v1/campaigns_service.pb.h"
#include "loyalty/campaigns/v1/promo_codes_service.pb.h"
#include "loyalty/pos/v1/pos_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
namespace cv1 = ::loyalty::campaigns::v1;

class PosPromoCodesTest : public SharedStackTest {
 protected:
  static std::string CalculateBody(const std::string& number, const std::string& code) {
    return absl::StrCat(R"({"receiptNumber": ")", number, R"(", "promoCodes": [")", code,
                        R"("], "lines": [)"
                        R"({"lineNumber": 1, "sku": "milk-1l", "category": "dairy",)"
                        R"( "quantity": "2", "price": 5000}]})");
  }
  static pos::v1::Receipt Calculate(const std::string& number, const std::string& code) {
    http::Response response =
        Pos("POST", "/v1/pos/receipts:calculate", CalculateBody(number, code));
    EXPECT_EQ(response.status, 200) << response.body;
    return Parse<pos::v1::Receipt>(response.body);
  }
  // Recalculates until the campaign snapshot has the campaign, for up to 15
  // seconds: every recalculation reuses the receipt's reservation.
  static pos::v1::Receipt CalculateUntilDiscounted(const std::string& number,
                                                   const std::string& code) {
    const absl::Time deadline = absl::Now() + absl::Seconds(15);
    while (true) {
      pos::v1::Receipt receipt = Calculate(number, code);
      if (receipt.total_discount() > 0 || absl::Now() > deadline) return receipt;
      absl::SleepFor(absl::Milliseconds(200));
    }
  }
  static cv1::PromoCode GetCode(const std::string& code, const std::string& key = "") {
    http::Response response = key.empty() ? Admin("GET", "/v1/promoCodes/" + code)
                                          : Send("GET", "/v1/promoCodes/" + code, "", key);
    EXPECT_EQ(response.status, 200) << response.body;
    return Parse<cv1::PromoCode>(response.body);
  }
};

TEST_F(PosPromoCodesTest, ReservedAtCalculateReleasedAtCancelConsumedAtConfirm) {
  const std::string digits = UniqueDigits(8);
  const std::string code = absl::StrCat("SPRING", digits);
  http::Response pool = Admin(
      "POST", "/v1/promoCodePools",
      absl::StrCat(R"({"name": "Spring", "kind": "PROMO_CODE_POOL_KIND_SHARED", "code": ")", code,
                   R"(", "maxUsesPerCode": 1})"));
  ASSERT_EQ(pool.status, 200) << pool.body;
  http::Response created = Admin(
      "POST", "/v1/campaigns",
      absl::StrCat(R"({"name": "Spring code", "rules": [{"ruleId": "code-10",)"
                   R"( "conditions": [{"promoCode": {"code": ")",
                   code,
                   R"("}}], "effects": [{"discount": {"target": "TARGET_RECEIPT",)"
                   R"( "percentBp": 1000}}]}]})"));
  ASSERT_EQ(created.status, 200) << created.body;
  const auto campaign = Parse<cv1::Campaign>(created.body);
  http::Response activated =
      Admin("POST", absl::StrCat("/v1/campaigns/", campaign.campaign_id(), ":activate"), "{}");
  ASSERT_EQ(activated.status, 200) << activated.body;

  // Calculate with the code as typed: discounted, the code applied and held.
  const std::string first_number = absl::StrCat("PC-A-", digits);
  pos::v1::Receipt first =
      CalculateUntilDiscounted(first_number, absl::AsciiStrToLower(code));
  EXPECT_EQ(first.total_discount(), 1000) << first.DebugString();
  ASSERT_EQ(first.promo_codes_size(), 1);
  EXPECT_EQ(first.promo_codes(0).code(), code);
  EXPECT_EQ(first.promo_codes(0).outcome(), pos::v1::PROMO_CODE_OUTCOME_APPLIED);
  EXPECT_EQ(first.promo_codes(0).campaign_id(), campaign.campaign_id());
  // However many recalculations it took, one use is held.
  EXPECT_EQ(GetCode(code).reserved_uses(), 1);
  // GetReceipt reports the codes kept with the calculation.
  http::Response read = Pos("GET", "/v1/pos/receipts/" + first.receipt_id());
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(Parse<pos::v1::Receipt>(read.body).promo_codes(0).outcome(),
            pos::v1::PROMO_CODE_OUTCOME_APPLIED);

  // The single-use code is taken: another receipt is priced without it.
  pos::v1::Receipt second = Calculate(absl::StrCat("PC-B-", digits), code);
  ASSERT_EQ(second.promo_codes_size(), 1);
  EXPECT_EQ(second.promo_codes(0).outcome(), pos::v1::PROMO_CODE_OUTCOME_EXHAUSTED);
  EXPECT_THAT(second.promo_codes(0).reason(), HasSubstr("used up"));
  EXPECT_EQ(second.total_discount(), 0);
  EXPECT_THAT(second.messages(), Contains(HasSubstr(absl::StrCat("Promo code ", code))));

  // Cancel of the calculated receipt gives the use back.
  http::Response cancelled = Pos("POST", "/v1/pos/receipts:cancel",
                                 absl::StrCat(R"({"receiptId": ")", first.receipt_id(), R"("})"));
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  cv1::PromoCode after_cancel = GetCode(code);
  EXPECT_EQ(after_cancel.reserved_uses(), 0);
  EXPECT_EQ(after_cancel.status(), cv1::PROMO_CODE_STATUS_AVAILABLE);

  // Now the second receipt gets it, and confirm (twice: a retry) uses it once.
  pos::v1::Receipt again = Calculate(absl::StrCat("PC-B-", digits), code);
  ASSERT_EQ(again.promo_codes_size(), 1);
  EXPECT_EQ(again.promo_codes(0).outcome(), pos::v1::PROMO_CODE_OUTCOME_APPLIED);
  EXPECT_EQ(again.total_discount(), 1000);
  const std::string confirm = absl::StrCat(R"({"requestId": "confirm-)", digits,
                                           R"(", "receiptId": ")", again.receipt_id(), R"("})");
  for (int attempt = 0; attempt < 2; ++attempt) {
    http::Response confirmed = Pos("POST", "/v1/pos/receipts:confirm", confirm);
    ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  }
  cv1::PromoCode used = GetCode(code);
  EXPECT_EQ(used.consumed_uses(), 1);
  EXPECT_EQ(used.reserved_uses(), 0);
  EXPECT_EQ(used.status(), cv1::PROMO_CODE_STATUS_EXHAUSTED);
}

TEST_F(PosPromoCodesTest, AnotherProgramsCodeIsUnknownAndNothingIsReserved) {
  auto other = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/pos_promo.env"));
  ASSERT_TRUE(other.ok()) << other.status();
  const std::string code = absl::StrCat("FOREIGN", UniqueDigits(8));
  http::Response pool = Send(
      "POST", "/v1/promoCodePools",
      absl::StrCat(R"({"name": "Theirs", "kind": "PROMO_CODE_POOL_KIND_SHARED", "code": ")", code,
                   R"(", "maxUsesPerCode": 0})"),
      other->api_key);
  ASSERT_EQ(pool.status, 200) << pool.body;

  pos::v1::Receipt receipt = Calculate(absl::StrCat("PC-F-", UniqueDigits(8)), code);
  ASSERT_EQ(receipt.promo_codes_size(), 1);
  EXPECT_EQ(receipt.promo_codes(0).outcome(), pos::v1::PROMO_CODE_OUTCOME_UNKNOWN);
  EXPECT_THAT(receipt.messages(), Contains(HasSubstr("not a code of this program")));
  cv1::PromoCode theirs = GetCode(code, other->api_key);
  EXPECT_EQ(theirs.reserved_uses(), 0);
  EXPECT_EQ(theirs.consumed_uses(), 0);
}

TEST_F(PosPromoCodesTest, AMalformedCodeIs400NamingItAndStoresNothing) {
  const std::string number = absl::StrCat("PC-M-", UniqueDigits(8));
  http::Response response =
      Pos("POST", "/v1/pos/receipts:calculate",
          absl::StrCat(R"({"receiptNumber": ")", number, R"(", "promoCodes": ["OK1", "not ok"],)"
                       R"( "lines": [{"lineNumber": 1, "sku": "x", "quantity": "1",)"
                       R"( "price": 100}]})"));
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_THAT(response.body, HasSubstr("promo_codes[1]"));
  // Nothing stored: the same number calculates as a new receipt.
  pos::v1::Receipt fresh = Calculate(number, "OK1");
  EXPECT_EQ(fresh.promo_codes(0).outcome(), pos::v1::PROMO_CODE_OUTCOME_UNKNOWN);
}

}  // namespace
}  // namespace loyalty::e2e
