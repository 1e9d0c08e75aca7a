// Bad input through the gateway: each mistake gets a clear 4xx naming the
// problem, and changes nothing.

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "loyalty/pos/v1/pos_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;

class BadInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = std::move(*stack).release();
    // A member with points, used by the spending and isolation cases.
    http::Response client =
        Admin("POST", "/v1/clients", absl::StrCat(R"({"phone": "+7903)", UniqueDigits(7), R"("})"));
    ASSERT_EQ(client.status, 200) << client.body;
    http::Response card =
        Admin("POST", "/v1/cards",
              absl::StrCat(R"({"clientId": ")",
                           Parse<identity::v1::Client>(client.body).client_id(), R"("})"));
    ASSERT_EQ(card.status, 200) << card.body;
    card_ = new std::string(Parse<cards::v1::Card>(card.body).number());
  }
  static void TearDownTestSuite() {
    delete card_;
    delete stack_;
  }

  static http::Response Admin(const std::string& method, const std::string& path,
                              const std::string& body = "") {
    return Send(method, path, body, stack_->demo().api_key);
  }
  static http::Response Send(const std::string& method, const std::string& path,
                             const std::string& body, const std::string& key) {
    auto response = stack_->Call(method, path, body, key);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::Response{};
  }
  static int64_t ClientCount() {
    auto count = stack_->postgres().Query("SELECT count(*) FROM identity.clients");
    EXPECT_TRUE(count.ok()) << count.status();
    return count.ok() ? std::stoll(*count) : -1;
  }
  static int64_t ReceiptCount() {
    auto count = stack_->postgres().Query("SELECT count(*) FROM pos.receipts");
    EXPECT_TRUE(count.ok()) << count.status();
    return count.ok() ? std::stoll(*count) : -1;
  }

  static Stack* stack_;
  static std::string* card_;
};

Stack* BadInputTest::stack_ = nullptr;
std::string* BadInputTest::card_ = nullptr;

TEST_F(BadInputTest, MalformedJsonIs400AndStoresNothing) {
  int64_t before = ClientCount();
  http::Response response = Admin("POST", "/v1/clients", R"({"phone": "+79030000000")");
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_THAT(response.body, HasSubstr("\"code\""));
  EXPECT_EQ(ClientCount(), before);
}

TEST_F(BadInputTest, WrongTypeIs400) {
  int64_t before = ClientCount();
  http::Response response =
      Admin("POST", "/v1/clients", R"({"phone": "+79030000001", "marketingConsent": "maybe"})");
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_THAT(response.body, HasSubstr("client.marketing_consent"));
  EXPECT_EQ(ClientCount(), before);
}

TEST_F(BadInputTest, UnknownFieldIs400) {
  int64_t before = ClientCount();
  http::Response response =
      Admin("POST", "/v1/clients", R"({"phone": "+79030000002", "shoeSize": 42})");
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_THAT(response.body, HasSubstr("shoeSize"));
  EXPECT_EQ(ClientCount(), before);
}

TEST_F(BadInputTest, BadPhoneNamesTheField) {
  int64_t before = ClientCount();
  http::Response response = Admin("POST", "/v1/clients", R"({"phone": "call me maybe"})");
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_THAT(response.body, HasSubstr("client.phone"));
  EXPECT_EQ(ClientCount(), before);
}

TEST_F(BadInputTest, MissingOrUnknownKeyIs401) {
  EXPECT_EQ(Send("GET", "/v1/cards/" + *card_, "", "").status, 401);
  EXPECT_EQ(
      Send("GET", "/v1/cards/" + *card_, "", "lk_0000000000000000000000000000000000000000").status,
      401);
}

TEST_F(BadInputTest, AnotherProgramsCardIsNotFound) {
  auto other = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/other-program.env"));
  ASSERT_TRUE(other.ok()) << other.status();
  http::Response response = Send("GET", "/v1/cards/" + *card_, "", other->api_key);
  EXPECT_EQ(response.status, 404) << response.body;
  // And a receipt of the other program does not see the card either.
  http::Response receipt = Send(
      "POST", "/v1/pos/receipts:calculate",
      absl::StrCat(
          R"({"receiptNumber": "X-1", "cardNumber": ")", *card_,
          R"(", "pointsToSpend": 10, "lines": [{"sku": "a", "quantity": "1", "price": 1000}]})"),
      other->pos_api_key);
  ASSERT_EQ(receipt.status, 200) << receipt.body;
  EXPECT_EQ(Parse<pos::v1::Receipt>(receipt.body).no_loyalty_reason(),
            pos::v1::NO_LOYALTY_REASON_CARD_NOT_FOUND);
}

TEST_F(BadInputTest, NegativeQuantityIs400) {
  int64_t before = ReceiptCount();
  http::Response response =
      Send("POST", "/v1/pos/receipts:calculate",
           absl::StrCat(R"({"receiptNumber": "NEG-1", "cardNumber": ")", *card_,
                        R"(", "lines": [{"sku": "a", "quantity": "-2", "price": 1000}]})"),
           stack_->demo().pos_api_key);
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_THAT(response.body, HasSubstr("lines[0].quantity"));
  EXPECT_EQ(ReceiptCount(), before);
}

TEST_F(BadInputTest, SpendingMoreThanAvailableIs400AndHoldsNothing) {
  int64_t before = ReceiptCount();
  // The member has no points: asking to spend 500 is refused.
  http::Response response = Send(
      "POST", "/v1/pos/receipts:calculate",
      absl::StrCat(
          R"({"receiptNumber": "SPEND-1", "cardNumber": ")", *card_,
          R"(", "pointsToSpend": 500, "lines": [{"sku": "a", "quantity": "1", "price": 100000}]})"),
      stack_->demo().pos_api_key);
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_THAT(response.body, HasSubstr("points_to_spend"));
  EXPECT_EQ(ReceiptCount(), before);
  auto held = stack_->postgres().Query("SELECT count(*) FROM cards.holds");
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(std::stoll(*held), 0);
}

TEST_F(BadInputTest, RefundingMoreThanBoughtIs400AndChangesNothing) {
  http::Response calculated =
      Send("POST", "/v1/pos/receipts:calculate",
           absl::StrCat(R"({"receiptNumber": "REF-1", "cardNumber": ")", *card_,
                        R"(", "lines": [{"sku": "a", "quantity": "1", "price": 100000}]})"),
           stack_->demo().pos_api_key);
  ASSERT_EQ(calculated.status, 200) << calculated.body;
  std::string receipt_id = Parse<pos::v1::Receipt>(calculated.body).receipt_id();
  ASSERT_EQ(Send("POST", "/v1/pos/receipts:confirm",
                 absl::StrCat(R"({"requestId": "ref-c", "receiptId": ")", receipt_id, R"("})"),
                 stack_->demo().pos_api_key)
                .status,
            200);
  http::Response refund = Send("POST", "/v1/pos/receipts:refund",
                               absl::StrCat(R"({"requestId": "ref-r", "receiptId": ")", receipt_id,
                                            R"(", "lines": [{"lineNumber": 1, "quantity": "2"}]})"),
                               stack_->demo().pos_api_key);
  EXPECT_EQ(refund.status, 400) << refund.body;
  EXPECT_THAT(refund.body, HasSubstr("lines[0].quantity"));
  auto refunds = stack_->postgres().Query("SELECT count(*) FROM pos.refunds");
  ASSERT_TRUE(refunds.ok());
  EXPECT_EQ(std::stoll(*refunds), 0);
}

TEST_F(BadInputTest, PosKeyCannotCreateStores) {
  http::Response response =
      Send("POST", "/v1/stores", R"({"name": "Mine"})", stack_->demo().pos_api_key);
  EXPECT_EQ(response.status, 403) << response.body;
}

}  // namespace
}  // namespace loyalty::e2e
