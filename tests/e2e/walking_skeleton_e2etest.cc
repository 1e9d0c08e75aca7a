// The walking skeleton, over HTTP through the gateway: register a client,
// issue a card, earn on one receipt, spend on another, refund part of the
// first, and check the ledger's invariants at the end.

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/cards/v1/points_service.pb.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "loyalty/pos/v1/pos_service.pb.h"
#include "services/cards/storage/ledger_invariants.h"
#include "tests/e2e/json.h"
#include "tests/e2e/stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;

class WalkingSkeletonTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = std::move(*stack).release();
  }
  static void TearDownTestSuite() { delete stack_; }

  http::Response Call(const std::string& method, const std::string& path,
                      const std::string& body = "", std::string key = "") {
    if (key.empty()) key = stack_->demo().api_key;
    auto response = stack_->Call(method, path, body, key);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::Response{};
  }
  http::Response Pos(const std::string& path, const std::string& body) {
    return Call("POST", path, body, stack_->demo().pos_api_key);
  }

  std::string RegisterClient(const std::string& phone) {
    http::Response response = Call(
        "POST", "/v1/clients",
        absl::StrCat(R"({"lastName": "Petrova", "firstName": "Anna", "phone": ")", phone,
                     R"(", "email": "anna@example.ru", "birthDate": {"year": 1990, "month": 5,)",
                     R"( "day": 17}, "gender": "GENDER_FEMALE", "marketingConsent": true})"));
    EXPECT_EQ(response.status, 200) << response.body;
    return Parse<identity::v1::Client>(response.body).client_id();
  }

  std::string IssueCard(const std::string& client_id) {
    http::Response response =
        Call("POST", "/v1/cards", absl::StrCat(R"({"clientId": ")", client_id, R"("})"));
    EXPECT_EQ(response.status, 200) << response.body;
    return Parse<cards::v1::Card>(response.body).number();
  }

  cards::v1::Balance Balance(const std::string& number) {
    http::Response response = Call("GET", "/v1/cards/" + number);
    EXPECT_EQ(response.status, 200) << response.body;
    return Parse<cards::v1::Card>(response.body).balance();
  }

  static Stack* stack_;
};

Stack* WalkingSkeletonTest::stack_ = nullptr;

TEST_F(WalkingSkeletonTest, RegisterClientNormalisesPhoneAndRefusesDuplicates) {
  std::string local = "8 (916) " + UniqueDigits(3) + "-" + UniqueDigits(2) + "-" + UniqueDigits(2);
  http::Response response = Call(
      "POST", "/v1/clients", absl::StrCat(R"({"firstName": "Ivan", "phone": ")", local, R"("})"));
  ASSERT_EQ(response.status, 200) << response.body;
  auto client = Parse<identity::v1::Client>(response.body);
  EXPECT_EQ(client.phone().substr(0, 5), "+7916");
  EXPECT_EQ(client.phone().size(), 12u);

  http::Response duplicate =
      Call("POST", "/v1/clients",
           absl::StrCat(R"({"firstName": "Other", "phone": ")", client.phone(), R"("})"));
  EXPECT_EQ(duplicate.status, 409) << duplicate.body;
  EXPECT_THAT(duplicate.body, HasSubstr("client.phone"));

  http::Response fetched = Call("GET", "/v1/clients/" + client.client_id());
  ASSERT_EQ(fetched.status, 200) << fetched.body;
  EXPECT_EQ(Parse<identity::v1::Client>(fetched.body).first_name(), "Ivan");
}

TEST_F(WalkingSkeletonTest, EarnSpendRefundThroughTheGateway) {
  std::string client_id = RegisterClient("+7916" + UniqueDigits(7));
  std::string card = IssueCard(client_id);
  ASSERT_EQ(card.size(), 13u);
  int sum = 0;
  for (int i = 0; i < 12; ++i) sum += (card[i] - '0') * (i % 2 == 0 ? 1 : 3);
  EXPECT_EQ((10 - sum % 10) % 10, card[12] - '0') << "EAN-13 check digit of " << card;
  EXPECT_EQ(Balance(card).available(), 0);

  // Receipt 1: 2 x 450.00 + 0.5 x 300.00 = 1050.00 -> 5% = 52 points.
  std::string receipt_number = "R1-" + UniqueDigits(8);
  http::Response calculated = Pos(
      "/v1/pos/receipts:calculate",
      absl::StrCat(R"({"receiptNumber": ")", receipt_number, R"(", "cardNumber": ")", card,
                   R"(", "lines": [{"sku": "coffee", "category": "drinks", "quantity": "2",)",
                   R"( "price": 45000}, {"sku": "cheese", "quantity": "0.5", "price": 30000}]})"));
  ASSERT_EQ(calculated.status, 200) << calculated.body;
  auto first = Parse<pos::v1::Receipt>(calculated.body);
  EXPECT_EQ(first.total_amount(), 105000);
  EXPECT_EQ(first.points_earned(), 52);
  EXPECT_EQ(first.max_points_payable(), 0);  // the card has nothing to spend yet
  EXPECT_EQ(first.state(), pos::v1::RECEIPT_STATE_CALCULATED);

  std::string confirm_body = absl::StrCat(R"({"requestId": "confirm-)", first.receipt_id(),
                                          R"(", "receiptId": ")", first.receipt_id(), R"("})");
  http::Response confirmed = Pos("/v1/pos/receipts:confirm", confirm_body);
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  http::Response repeated = Pos("/v1/pos/receipts:confirm", confirm_body);
  ASSERT_EQ(repeated.status, 200) << repeated.body;
  EXPECT_EQ(Parse<pos::v1::Receipt>(repeated.body).state(), pos::v1::RECEIPT_STATE_CONFIRMED);
  EXPECT_EQ(Balance(card).available(), 52);

  // Receipt 2 spends 30 of them: 400.00 -> 200 points payable by the
  // program's share, but the card has 52.
  http::Response second_calc = Pos(
      "/v1/pos/receipts:calculate",
      absl::StrCat(
          R"({"receiptNumber": "R2-)", UniqueDigits(8), R"(", "cardNumber": ")", card,
          R"(", "pointsToSpend": 30, "lines": [{"sku": "tea", "quantity": "4", "price": 10000}]})"));
  ASSERT_EQ(second_calc.status, 200) << second_calc.body;
  auto second = Parse<pos::v1::Receipt>(second_calc.body);
  EXPECT_EQ(second.max_points_payable(), 52);
  EXPECT_EQ(second.points_spent(), 30);
  EXPECT_EQ(second.amount_to_pay(), 40000 - 3000);
  EXPECT_EQ(second.points_earned(), 18);  // 5% of 370.00
  EXPECT_EQ(Balance(card).held(), 30);
  EXPECT_EQ(Balance(card).available(), 22);
  http::Response second_confirm =
      Pos("/v1/pos/receipts:confirm",
          absl::StrCat(R"({"requestId": "c2-)", second.receipt_id(), R"(", "receiptId": ")",
                       second.receipt_id(), R"("})"));
  ASSERT_EQ(second_confirm.status, 200) << second_confirm.body;
  cards::v1::Balance after_spend = Balance(card);
  EXPECT_EQ(after_spend.available(), 52 - 30 + 18);
  EXPECT_EQ(after_spend.held(), 0);

  // Return one coffee of receipt 1: 450.00 of 1050.00 -> 52 x 3/7 = 22 points.
  std::string refund_body =
      absl::StrCat(R"({"requestId": "refund-)", first.receipt_id(), R"(", "receiptId": ")",
                   first.receipt_id(), R"(", "lines": [{"lineNumber": 1, "quantity": "1"}]})");
  http::Response refunded = Pos("/v1/pos/receipts:refund", refund_body);
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  auto refund = Parse<pos::v1::Refund>(refunded.body);
  EXPECT_EQ(refund.amount(), 45000);
  EXPECT_EQ(refund.points_to_reverse(), 22);
  EXPECT_EQ(refund.points_reversed(), 22);
  http::Response refund_again = Pos("/v1/pos/receipts:refund", refund_body);
  ASSERT_EQ(refund_again.status, 200) << refund_again.body;
  EXPECT_EQ(Parse<pos::v1::Refund>(refund_again.body).refund_id(), refund.refund_id());
  EXPECT_EQ(Balance(card).available(), 52 - 30 + 18 - 22);

  auto violations = cards::FindLedgerInvariantViolations(stack_->postgres().ConnectionString());
  ASSERT_TRUE(violations.ok()) << violations.status();
  EXPECT_TRUE(violations->empty()) << ::testing::PrintToString(*violations);
}

TEST_F(WalkingSkeletonTest, CardLifecycleAndCorrectionsThroughTheGateway) {
  const std::string client = RegisterClient("+7916" + UniqueDigits(7));
  const std::string number = IssueCard(client);

  // An operator's goodwill correction, recorded with its reason.
  const std::string adjust = absl::StrCat("/v1/cards/", number, ":adjustPoints");
  const std::string goodwill =
      R"({"requestId": "gw-)" + number + R"(", "amount": 500, "reason": "late delivery"})";
  http::Response added = Call("POST", adjust, goodwill);
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(Parse<cards::v1::AdjustPointsResponse>(added.body).balance().active(), 500);
  EXPECT_EQ(Call("POST", adjust, goodwill).status, 200) << "a retry has no second effect";
  EXPECT_EQ(Balance(number).active(), 500);
  http::Response by_till = Call("POST", adjust, goodwill, stack_->demo().pos_api_key);
  EXPECT_EQ(by_till.status, 403) << "a POS key may not correct points: " << by_till.body;
  http::Response no_reason = Call("POST", adjust, R"({"requestId": "gw-2", "amount": -10})");
  EXPECT_EQ(no_reason.status, 400);
  EXPECT_THAT(no_reason.body, HasSubstr("reason"));

  http::Response history = Call("GET", absl::StrCat("/v1/cards/", number, "/operations"));
  ASSERT_EQ(history.status, 200) << history.body;
  auto operations = Parse<cards::v1::ListCardOperationsResponse>(history.body);
  ASSERT_EQ(operations.operations_size(), 1);
  EXPECT_EQ(operations.operations(0).kind(), cards::v1::TRANSFER_KIND_CORRECTION_CREDIT);
  EXPECT_EQ(operations.operations(0).reason(), "late delivery");
  EXPECT_EQ(operations.operations(0).balance_after(), 500);
  EXPECT_FALSE(operations.operations(0).actor().empty()) << "the API key is recorded";

  // Blocked with a reason: the till can no longer spend on it.
  http::Response blocked = Call("POST", absl::StrCat("/v1/cards/", number, ":setStatus"),
                                R"({"status": "CARD_STATUS_BLOCKED", "reason": "stolen"})");
  ASSERT_EQ(blocked.status, 200) << blocked.body;
  EXPECT_EQ(Parse<cards::v1::Card>(blocked.body).status(), cards::v1::CARD_STATUS_BLOCKED);
  http::Response changes = Call("GET", absl::StrCat("/v1/cards/", number, "/statusChanges"));
  ASSERT_EQ(changes.status, 200) << changes.body;
  EXPECT_EQ(Parse<cards::v1::ListCardStatusChangesResponse>(changes.body).changes_size(), 1);

  // Plastic printed in advance, bound at the till when a member registers.
  const std::string batch_body =
      R"({"requestId": "batch-)" + number + R"(", "count": 3, "issueForm": "ISSUE_FORM_PLASTIC"})";
  EXPECT_EQ(Call("POST", "/v1/cards:issueBatch", batch_body, stack_->demo().pos_api_key).status,
            403);
  http::Response batch = Call("POST", "/v1/cards:issueBatch", batch_body);
  ASSERT_EQ(batch.status, 200) << batch.body;
  auto issued = Parse<cards::v1::IssueCardBatchResponse>(batch.body);
  ASSERT_EQ(issued.numbers_size(), 3);
  http::Response bound = Pos(absl::StrCat("/v1/cards/", issued.numbers(0), ":bind"),
                             absl::StrCat(R"({"clientId": ")", client, R"("})"));
  ASSERT_EQ(bound.status, 200) << bound.body;
  http::Response mine = Call("GET", "/v1/cards?clientId=" + client);
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(Parse<cards::v1::ListCardsResponse>(mine.body).cards_size(), 2);
}

}  // namespace
}  // namespace loyalty::e2e
