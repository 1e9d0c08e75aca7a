// Gift certificates through the real gateway over HTTP: an admin issues
// one, a till holds part of it and posts less than it held, reads the
// balance, refunds part of the purchase; bad input gets a 4xx naming the
// field and changes nothing; another program does not see it. Ends with
// the certificate invariants against the services' database.

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/pg/pool.h"
#include "loyalty/cards/v1/certificates_service.pb.h"
#include "services/cards/storage/certificate_invariants.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::loyalty::cards::v1;

class CertificatesTest : public SharedStackTest {
 protected:
  static int64_t Count(const std::string& sql) {
    auto count = stack_->postgres().Query(sql);
    EXPECT_TRUE(count.ok()) << count.status();
    return count.ok() ? std::stoll(*count) : -1;
  }

  // A certificate of `nominal` issued by the admin key.
  static v1::Certificate Issue(int64_t nominal) {
    http::Response issued =
        Admin("POST", "/v1/certificates",
              absl::StrCat(R"({"nominal": )", nominal,
                           R"(, "expireTime": "2030-12-31T00:00:00Z", "requestId": "issue-)",
                           UniqueDigits(10), R"("})"));
    EXPECT_EQ(issued.status, 200) << issued.body;
    return Parse<v1::Certificate>(issued.body);
  }
};

TEST_F(CertificatesTest, IssueHoldPostBalanceRefund) {
  v1::Certificate certificate = Issue(5000);
  EXPECT_EQ(certificate.balance(), 5000);
  EXPECT_EQ(certificate.status(), v1::CERTIFICATE_STATUS_ACTIVE);
  const std::string path = "/v1/certificates/" + certificate.number();

  // calculate: the till holds 3000 ...
  http::Response held =
      Pos("POST", path + ":hold", R"({"holdId": "receipt-1", "amount": 3000, "reference": "R-1"})");
  ASSERT_EQ(held.status, 200) << held.body;
  EXPECT_EQ(Parse<v1::CertificateHold>(held.body).state(), v1::HOLD_STATE_HELD);
  v1::Certificate during = Parse<v1::Certificate>(Pos("GET", path).body);
  EXPECT_EQ(during.held(), 3000);
  EXPECT_EQ(during.available(), 2000);

  // ... confirm: the receipt came to 2500, so it posts 2500.
  http::Response posted =
      Pos("POST", path + "/holds/receipt-1:post", R"({"requestId": "confirm-1", "amount": 2500})");
  ASSERT_EQ(posted.status, 200) << posted.body;
  auto operation = Parse<v1::CertificateOperationResponse>(posted.body);
  EXPECT_EQ(operation.operation().amount(), -2500);
  EXPECT_EQ(operation.certificate().balance(), 2500);
  EXPECT_EQ(operation.certificate().available(), 2500);
  EXPECT_EQ(operation.operation().store_id(), stack_->demo().store_id);
  // A retried confirm is the same operation.
  http::Response retried =
      Pos("POST", path + "/holds/receipt-1:post", R"({"requestId": "confirm-1", "amount": 2500})");
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_TRUE(Parse<v1::CertificateOperationResponse>(retried.body).replayed());

  // A returned item: 1000 back, then the rest of the 2500 in a second step.
  http::Response refund =
      Pos("POST", path + ":refund",
          R"({"requestId": "return-1", "redemptionId": "confirm-1", "amount": 1000})");
  ASSERT_EQ(refund.status, 200) << refund.body;
  EXPECT_EQ(Parse<v1::CertificateOperationResponse>(refund.body).certificate().balance(), 3500);
  http::Response over =
      Pos("POST", path + ":refund",
          R"({"requestId": "return-2", "redemptionId": "confirm-1", "amount": 1501})");
  EXPECT_EQ(over.status, 400) << over.body;  // FAILED_PRECONDITION
  EXPECT_THAT(over.body, HasSubstr("amount"));
  http::Response rest =
      Pos("POST", path + ":refund",
          R"({"requestId": "return-3", "redemptionId": "confirm-1", "amount": 1500})");
  ASSERT_EQ(rest.status, 200) << rest.body;

  v1::Certificate after = Parse<v1::Certificate>(Pos("GET", path).body);
  EXPECT_EQ(after.balance(), 5000);
  EXPECT_EQ(after.nominal(), 5000);
  EXPECT_EQ(after.held(), 0);
  EXPECT_EQ(after.expire_time().seconds(), certificate.expire_time().seconds());

  http::Response history = Admin("GET", path + "/operations?pageSize=10");
  ASSERT_EQ(history.status, 200) << history.body;
  auto operations = Parse<v1::ListCertificateOperationsResponse>(history.body);
  ASSERT_EQ(operations.operations_size(), 4);
  EXPECT_EQ(operations.operations(0).operation_id(), "return-3");
  EXPECT_EQ(operations.operations(3).kind(), v1::CERTIFICATE_OPERATION_KIND_ISSUE);
  // The till may not read the history, nor issue.
  EXPECT_EQ(Pos("GET", path + "/operations").status, 403);
  EXPECT_EQ(
      Pos("POST", "/v1/certificates", R"({"nominal": 100, "expireTime": "2030-01-01T00:00:00Z"})")
          .status,
      403);
}

TEST_F(CertificatesTest, BadInputIs4xxNamingTheFieldAndChangesNothing) {
  v1::Certificate certificate = Issue(1000);
  const std::string path = "/v1/certificates/" + certificate.number();
  const std::string operations =
      absl::StrCat("SELECT count(*) FROM cards.certificate_operations WHERE number = '",
                   certificate.number(), "'");
  const int64_t before = Count(operations);

  http::Response negative =
      Admin("POST", "/v1/certificates", R"({"nominal": -5, "expireTime": "2030-01-01T00:00:00Z"})");
  EXPECT_EQ(negative.status, 400) << negative.body;
  EXPECT_THAT(negative.body, HasSubstr("nominal"));
  http::Response past = Admin("POST", "/v1/certificates",
                              R"({"nominal": 100, "expireTime": "2001-01-01T00:00:00Z"})");
  EXPECT_EQ(past.status, 400) << past.body;
  EXPECT_THAT(past.body, HasSubstr("expire_time"));

  http::Response zero = Pos("POST", path + ":redeem", R"({"requestId": "z-1", "amount": 0})");
  EXPECT_EQ(zero.status, 400) << zero.body;
  EXPECT_THAT(zero.body, HasSubstr("amount"));
  http::Response over = Pos("POST", path + ":hold", R"({"holdId": "o-1", "amount": 1001})");
  EXPECT_EQ(over.status, 400) << over.body;
  EXPECT_THAT(over.body, HasSubstr("available amount 1000"));
  http::Response unknown =
      Pos("POST", "/v1/certificates/1234567:redeem", R"({"requestId": "u-1", "amount": 1})");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_THAT(unknown.body, HasSubstr("number"));

  ASSERT_EQ(Pos("POST", path + ":redeem", R"({"requestId": "r-1", "amount": 100})").status, 200);
  http::Response reused = Pos("POST", path + ":redeem", R"({"requestId": "r-1", "amount": 200})");
  EXPECT_EQ(reused.status, 409) << reused.body;
  EXPECT_THAT(reused.body, HasSubstr("request_id"));
  http::Response no_redemption =
      Pos("POST", path + ":refund", R"({"requestId": "f-1", "redemptionId": "r-9", "amount": 1})");
  EXPECT_EQ(no_redemption.status, 404) << no_redemption.body;
  EXPECT_THAT(no_redemption.body, HasSubstr("redemption_id"));
  EXPECT_EQ(Count(operations), before + 1);  // just r-1

  // Blocked by an operator: the till is refused, naming the number.
  ASSERT_EQ(Admin("POST", path + ":setStatus",
                  R"({"status": "CERTIFICATE_STATUS_BLOCKED", "reason": "disputed"})")
                .status,
            200);
  http::Response blocked = Pos("POST", path + ":hold", R"({"holdId": "b-1", "amount": 1})");
  EXPECT_EQ(blocked.status, 400) << blocked.body;
  EXPECT_THAT(blocked.body, HasSubstr("blocked"));

  // Another program does not see the certificate.
  auto other = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/certificates.env"));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(Send("GET", path, "", other->api_key).status, 404);
  EXPECT_EQ(
      Send("POST", path + ":redeem", R"({"requestId": "x-1", "amount": 1})", other->pos_api_key)
          .status,
      404);
  EXPECT_EQ(Count(operations), before + 1);
}

TEST_F(CertificatesTest, InvariantsHoldInTheServicesDatabase) {
  v1::Certificate certificate = Issue(700);
  ASSERT_EQ(Pos("POST", "/v1/certificates/" + certificate.number() + ":redeem",
                R"({"requestId": "inv-1", "amount": 700})")
                .status,
            200);
  pg::Pool pool({.conninfo = stack_->postgres().ConnectionString(), .schema = "cards", .size = 1});
  auto violations = cards::FindCertificateInvariantViolations(pool, {.check_events = true});
  ASSERT_TRUE(violations.ok()) << violations.status();
  EXPECT_TRUE(violations->empty()) << absl::StrJoin(*violations, "\n");
}

}  // namespace
}  // namespace loyalty::e2e
