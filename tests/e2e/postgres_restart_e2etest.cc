// PostgreSQL stops under the running platform: calls fail with 503 while it
// is down and succeed again after it is back, with no lost or doubled
// postings, including for a confirm that was retried across the outage.

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "loyalty/pos/v1/pos_service.pb.h"
#include "services/cards/storage/ledger_invariants.h"
#include "tests/e2e/json.h"
#include "tests/e2e/stack.h"

namespace loyalty::e2e {
namespace {

class PostgresRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
  }

  http::Response Call(const std::string& method, const std::string& path, const std::string& body,
                      const std::string& key) {
    auto response = stack_->Call(method, path, body, key);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::Response{};
  }

  // Repeats a call until it answers something other than 503, as a till
  // would, within a deadline.
  http::Response Retry(const std::string& method, const std::string& path, const std::string& body,
                       const std::string& key) {
    absl::Time deadline = absl::Now() + absl::Seconds(60);
    http::Response response;
    do {
      response = Call(method, path, body, key);
      if (response.status != 503) return response;
      absl::SleepFor(absl::Milliseconds(200));
    } while (absl::Now() < deadline);
    return response;
  }

  std::unique_ptr<Stack> stack_;
};

TEST_F(PostgresRestartTest, OutageIs503AndRetriedConfirmPostsOnce) {
  const std::string& admin = stack_->demo().api_key;
  const std::string& till = stack_->demo().pos_api_key;
  http::Response client = Call(
      "POST", "/v1/clients", absl::StrCat(R"({"phone": "+7905)", UniqueDigits(7), R"("})"), admin);
  ASSERT_EQ(client.status, 200) << client.body;
  http::Response card =
      Call("POST", "/v1/cards",
           absl::StrCat(R"({"clientId": ")", Parse<identity::v1::Client>(client.body).client_id(),
                        R"("})"),
           admin);
  ASSERT_EQ(card.status, 200) << card.body;
  std::string number = Parse<cards::v1::Card>(card.body).number();

  http::Response calculated =
      Call("POST", "/v1/pos/receipts:calculate",
           absl::StrCat(R"({"receiptNumber": "OUT-1", "cardNumber": ")", number,
                        R"(", "lines": [{"sku": "a", "quantity": "1", "price": 200000}]})"),
           till);
  ASSERT_EQ(calculated.status, 200) << calculated.body;
  auto receipt = Parse<pos::v1::Receipt>(calculated.body);
  ASSERT_EQ(receipt.points_earned(), 100);
  std::string confirm =
      absl::StrCat(R"({"requestId": "out-confirm", "receiptId": ")", receipt.receipt_id(), R"("})");

  ASSERT_TRUE(stack_->postgres().Stop().ok());
  http::Response during = Call("POST", "/v1/pos/receipts:confirm", confirm, till);
  EXPECT_EQ(during.status, 503) << during.body;
  http::Response read_during = Call("GET", "/v1/cards/" + number, "", admin);
  EXPECT_EQ(read_during.status, 503) << read_during.body;

  ASSERT_TRUE(stack_->postgres().Restart().ok());
  http::Response confirmed = Retry("POST", "/v1/pos/receipts:confirm", confirm, till);
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  // The till, unsure, confirms once more: still one accrual.
  ASSERT_EQ(Call("POST", "/v1/pos/receipts:confirm", confirm, till).status, 200);

  http::Response balance = Retry("GET", "/v1/cards/" + number, "", admin);
  ASSERT_EQ(balance.status, 200) << balance.body;
  EXPECT_EQ(Parse<cards::v1::Card>(balance.body).balance().available(), 100);

  auto postings = stack_->postgres().Query(
      "SELECT count(*) FROM cards.transfers WHERE transfer_id LIKE '%:accrue'");
  ASSERT_TRUE(postings.ok()) << postings.status();
  EXPECT_EQ(std::stoll(*postings), 1);
  auto violations = cards::FindLedgerInvariantViolations(stack_->postgres().ConnectionString());
  ASSERT_TRUE(violations.ok()) << violations.status();
  EXPECT_TRUE(violations->empty()) << ::testing::PrintToString(*violations);
}

}  // namespace
}  // namespace loyalty::e2e
