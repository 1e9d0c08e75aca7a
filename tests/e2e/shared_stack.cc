#include "tests/e2e/shared_stack.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "tests/e2e/json.h"

namespace loyalty::e2e {

Stack* SharedStackTest::stack_ = nullptr;

void SharedStackTest::SetUpTestSuite() {
  auto stack = Stack::Start();
  ASSERT_TRUE(stack.ok()) << stack.status();
  stack_ = std::move(*stack).release();
}

void SharedStackTest::TearDownTestSuite() {
  delete stack_;
  stack_ = nullptr;
}

http::Response SharedStackTest::Send(const std::string& method, const std::string& path,
                                     const std::string& body, const std::string& key) {
  auto response = stack_->Call(method, path, body, key);
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? *response : http::Response{};
}

http::Response SharedStackTest::Bearer(const std::string& method, const std::string& path,
                                       const std::string& body, const std::string& token) {
  http::Request request{.method = method, .url = stack_->gateway_url() + path, .body = body};
  request.headers.emplace_back("authorization", absl::StrCat("Bearer ", token));
  absl::StatusOr<http::Response> response = http::Send(request);
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? *response : http::Response{};
}

http::Response SharedStackTest::Admin(const std::string& method, const std::string& path,
                                      const std::string& body) {
  return Send(method, path, body, stack_->demo().api_key);
}

http::Response SharedStackTest::Pos(const std::string& method, const std::string& path,
                                    const std::string& body) {
  return Send(method, path, body, stack_->demo().pos_api_key);
}

std::string SharedStackTest::NewMemberCard() {
  http::Response client =
      Admin("POST", "/v1/clients", absl::StrCat(R"({"phone": "+7903)", UniqueDigits(7), R"("})"));
  EXPECT_EQ(client.status, 200) << client.body;
  http::Response card =
      Admin("POST", "/v1/cards",
            absl::StrCat(R"({"clientId": ")", Parse<identity::v1::Client>(client.body).client_id(),
                         R"("})"));
  EXPECT_EQ(card.status, 200) << card.body;
  return Parse<cards::v1::Card>(card.body).number();
}

operations::v1::Operation SharedStackTest::WaitDone(const std::string& id,
                                                    const std::string& api_key) {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  operations::v1::Operation operation;
  while (absl::Now() < deadline) {
    const std::string path = absl::StrCat("/v1/operations/", id);
    http::Response got = api_key.empty() ? Admin("GET", path) : Send("GET", path, "", api_key);
    EXPECT_EQ(got.status, 200) << got.body;
    if (got.status != 200) break;
    operation = Parse<operations::v1::Operation>(got.body);
    if (operation.done()) return operation;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ADD_FAILURE() << "operation " << id << " not done: " << ToJson(operation);
  return operation;
}

}  // namespace loyalty::e2e
