// CRD-4 end to end: a mass change of 50 cards (some unknown) started over
// HTTP through the real gateway, polled at /v1/operations/{id} until done,
// with each card's result and balance checked; tags put on and taken off
// the cards' holders through identity; bad input refused naming the field
// with nothing stored; another program cannot see the operation.

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "loyalty/identity/v1/tags_service.pb.h"
#include "loyalty/operations/v1/operations.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
namespace ops = loyalty::operations::v1;

class MassChangeTest : public SharedStackTest {
 protected:
  // With the admin key unless another is given.
  static http::Response Send(const std::string& method, const std::string& path,
                             const std::string& body = "", const std::string& key = "") {
    return SharedStackTest::Send(method, path, body, key.empty() ? stack_->demo().api_key : key);
  }

  static std::string IssueCard() { return NewMemberCard(); }

  static int64_t Count(const std::string& table) {
    auto count = stack_->postgres().Query(absl::StrCat("SELECT count(*) FROM ", table));
    EXPECT_TRUE(count.ok()) << count.status();
    return count.ok() ? std::stoll(*count) : -1;
  }
};

TEST_F(MassChangeTest, AccruesToFiftyCardsAndReportsUnknownOnes) {
  std::vector<std::string> numbers;
  std::set<std::string> unknown;
  for (int i = 0; i < 45; ++i) numbers.push_back(IssueCard());
  for (int i = 0; i < 5; ++i) {
    std::string number = absl::StrCat("77", UniqueDigits(10));
    unknown.insert(number);
    numbers.insert(numbers.begin() + 7 * i + 3, number);
  }
  ASSERT_EQ(numbers.size(), 50u);
  const std::string body =
      absl::StrCat(R"({"requestId": "gift-)", UniqueDigits(8), R"(", "cardNumbers": [")",
                   absl::StrJoin(numbers, R"(", ")"),
                   R"("], "change": {"adjustPoints": {"amount": 300, "reason": "reopening"}}})");
  http::Response started = Send("POST", "/v1/cards:massChange", body);
  ASSERT_EQ(started.status, 200) << started.body;
  ops::Operation operation = Parse<ops::Operation>(started.body);
  EXPECT_THAT(operation.id(), ::testing::StartsWith("cards-"));
  EXPECT_EQ(operation.kind(), "cards.mass_change");
  EXPECT_EQ(operation.total_items(), 50);

  // The same request again is the same operation.
  http::Response again = Send("POST", "/v1/cards:massChange", body);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Parse<ops::Operation>(again.body).id(), operation.id());

  ops::Operation done = WaitDone(operation.id());
  EXPECT_EQ(done.state(), ops::OPERATION_STATE_SUCCEEDED);
  EXPECT_EQ(done.processed_items(), 50);
  EXPECT_EQ(done.succeeded_items(), 45);
  EXPECT_EQ(done.failed_items(), 5);
  EXPECT_TRUE(done.has_finish_time());

  // Every card's result, over pages.
  std::string token;
  int seen = 0;
  do {
    http::Response page = Send("GET", absl::StrCat("/v1/operations/", operation.id(),
                                                   "/items?pageSize=20&pageToken=", token));
    ASSERT_EQ(page.status, 200) << page.body;
    ops::ListOperationItemsResponse items = Parse<ops::ListOperationItemsResponse>(page.body);
    for (const ops::OperationItem& item : items.items()) {
      ASSERT_EQ(item.sequence(), seen);
      EXPECT_EQ(item.key(), numbers[seen]);
      if (unknown.contains(item.key())) {
        EXPECT_EQ(item.code(), 5) << item.key();  // NOT_FOUND
        EXPECT_THAT(item.message(), HasSubstr("no such card"));
      } else {
        EXPECT_EQ(item.code(), 0) << item.message();
      }
      ++seen;
    }
    token = items.next_page_token();
  } while (!token.empty());
  EXPECT_EQ(seen, 50);

  http::Response failed =
      Send("GET", absl::StrCat("/v1/operations/", operation.id(), "/items?failedOnly=true"));
  ASSERT_EQ(failed.status, 200) << failed.body;
  EXPECT_EQ(Parse<ops::ListOperationItemsResponse>(failed.body).items_size(), 5);

  for (const std::string& number : numbers) {
    if (unknown.contains(number)) continue;
    http::Response card = Send("GET", absl::StrCat("/v1/cards/", number));
    ASSERT_EQ(card.status, 200) << card.body;
    EXPECT_EQ(Parse<cards::v1::Card>(card.body).balance().available(), 300) << number;
  }

  // Another program does not see it; an id naming no service is 404 too.
  auto other = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/mass-other.env"));
  ASSERT_TRUE(other.ok()) << other.status();
  http::Response foreign =
      Send("GET", absl::StrCat("/v1/operations/", operation.id()), "", other->api_key);
  EXPECT_EQ(foreign.status, 404) << foreign.body;
  http::Response cancel_foreign = Send(
      "POST", absl::StrCat("/v1/operations/", operation.id(), ":cancel"), "{}", other->api_key);
  EXPECT_EQ(cancel_foreign.status, 404) << cancel_foreign.body;
  http::Response nowhere = Send("GET", "/v1/operations/billing-1");
  EXPECT_EQ(nowhere.status, 404) << nowhere.body;
  EXPECT_THAT(nowhere.body, HasSubstr("no operation billing-1"));

  // Cancelling a finished operation changes nothing.
  http::Response cancel =
      Send("POST", absl::StrCat("/v1/operations/", operation.id(), ":cancel"), "{}");
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_EQ(Parse<ops::Operation>(cancel.body).state(), ops::OPERATION_STATE_SUCCEEDED);
}

TEST_F(MassChangeTest, TagsTheCardsHoldersThroughIdentity) {
  http::Response tag = Send("POST", "/v1/tags",
                            absl::StrCat(R"({"name": "Mass )", UniqueDigits(6),
                                         R"(", "colour": "#aa0000"})"));
  ASSERT_EQ(tag.status, 200) << tag.body;
  const std::string tag_id = Parse<identity::v1::Tag>(tag.body).tag_id();
  std::vector<std::string> numbers, owners;
  for (int i = 0; i < 3; ++i) {
    numbers.push_back(IssueCard());
    http::Response card = Send("GET", absl::StrCat("/v1/cards/", numbers.back()));
    ASSERT_EQ(card.status, 200) << card.body;
    owners.push_back(Parse<cards::v1::Card>(card.body).client_id());
  }
  auto change = [&](const std::vector<std::string>& cards, bool remove) {
    http::Response started = Send(
        "POST", "/v1/cards:massChange",
        absl::StrCat(R"({"requestId": "tag-)", UniqueDigits(8), R"(", "cardNumbers": [")",
                     absl::StrJoin(cards, R"(", ")"), R"("], "change": {"changeTags": {"tagId": ")",
                     tag_id, R"(", "remove": )", remove ? "true" : "false", "}}}"));
    EXPECT_EQ(started.status, 200) << started.body;
    return WaitDone(Parse<ops::Operation>(started.body).id());
  };
  auto tagged = [&] {
    http::Response page = Send("GET", absl::StrCat("/v1/tags/", tag_id, "/clients?pageSize=50"));
    EXPECT_EQ(page.status, 200) << page.body;
    const auto clients = Parse<identity::v1::ListTagClientsResponse>(page.body);
    std::set<std::string> ids;
    for (const identity::v1::TagAssignment& a : clients.assignments()) ids.insert(a.client_id());
    return ids;
  };

  ops::Operation done = change(numbers, false);
  EXPECT_EQ(done.state(), ops::OPERATION_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded_items(), 3);
  EXPECT_EQ(tagged(), std::set<std::string>(owners.begin(), owners.end()));

  done = change({numbers[0]}, true);
  EXPECT_EQ(done.succeeded_items(), 1);
  EXPECT_EQ(tagged(), (std::set<std::string>{owners[1], owners[2]}));

  // A tag of no one, and another program's tag: 400 naming the field.
  auto other = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/mass-tags-other.env"));
  ASSERT_TRUE(other.ok()) << other.status();
  http::Response theirs = SharedStackTest::Send(
      "POST", "/v1/tags", R"({"name": "Theirs", "colour": "#000000"})", other->api_key);
  ASSERT_EQ(theirs.status, 200) << theirs.body;
  const int64_t before = Count("cards.operations");
  for (const std::string& id :
       {std::string("0b7c0d5e-1111-4222-8333-944445555666"),
        Parse<identity::v1::Tag>(theirs.body).tag_id()}) {
    http::Response refused = Send(
        "POST", "/v1/cards:massChange",
        absl::StrCat(R"({"requestId": "tag-)", UniqueDigits(8), R"(", "cardNumbers": [")",
                     numbers[1], R"("], "change": {"changeTags": {"tagId": ")", id, R"("}}})"));
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_THAT(refused.body, HasSubstr(R"("field":"change.change_tags.tag_id")"));
  }
  EXPECT_EQ(Count("cards.operations"), before);
}

TEST_F(MassChangeTest, BadInputIs400NamingTheFieldAndStoresNothing) {
  const std::string card = IssueCard();
  const int64_t before = Count("cards.operations");
  struct Case {
    std::string body;
    std::string field;
  } cases[] = {
      {R"({"requestId": "x1", "cardNumbers": [], "change": {"adjustPoints": {"amount": 1, "reason": "r"}}})",
       "card_numbers"},
      {absl::StrCat(R"({"requestId": "x2", "cardNumbers": [")", card,
                    R"(", "12-34"], "change": {"adjustPoints": {"amount": 1, "reason": "r"}}})"),
       "card_numbers[1]"},
      {absl::StrCat(R"({"requestId": "x3", "cardNumbers": [")", card, R"("], "change": {}})"),
       "change"},
      {absl::StrCat(R"({"requestId": "x4", "cardNumbers": [")", card,
                    R"("], "change": {"adjustPoints": {"amount": 5}}})"),
       "change.adjust_points.reason"},
      {absl::StrCat(
           R"({"cardNumbers": [")", card,
           R"("], "change": {"setStatus": {"status": "CARD_STATUS_BLOCKED", "reason": "r"}}})"),
       "request_id"},
  };
  for (const Case& c : cases) {
    http::Response response = Send("POST", "/v1/cards:massChange", c.body);
    EXPECT_EQ(response.status, 400) << c.body << "\n" << response.body;
    EXPECT_THAT(response.body, HasSubstr(absl::StrCat("\"field\":\"", c.field, "\"")))
        << response.body;
  }
  EXPECT_EQ(Count("cards.operations"), before);

  // The same request id with other content is a conflict, naming it.
  const std::string id = absl::StrCat("dup-", UniqueDigits(8));
  auto body = [&](int amount) {
    return absl::StrCat(R"({"requestId": ")", id, R"(", "cardNumbers": [")", card,
                        R"("], "change": {"adjustPoints": {"amount": )", amount,
                        R"(, "reason": "r"}}})");
  };
  ASSERT_EQ(Send("POST", "/v1/cards:massChange", body(1)).status, 200);
  http::Response conflict = Send("POST", "/v1/cards:massChange", body(2));
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_THAT(conflict.body, HasSubstr(R"("field":"request_id")"));

  // POS keys may not start mass changes.
  http::Response pos = Send("POST", "/v1/cards:massChange", body(1), stack_->demo().pos_api_key);
  EXPECT_EQ(pos.status, 403) << pos.body;
}

}  // namespace
}  // namespace loyalty::e2e
