// Client merge (CLI-7) and client view (CLI-10) through the real gateway
// over HTTP: two clients each with a card and tags are merged; the
// survivor's view shows both cards, the union of the tags and the
// operations of both cards; the duplicate is MERGED and its phone now
// identifies nobody; a retry has one effect; bad merges are 400/404.

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/identity/v1/client_merge_service.pb.h"
#include "loyalty/identity/v1/client_view_service.pb.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "loyalty/identity/v1/tags_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
namespace v1 = ::loyalty::identity::v1;

class ClientMergeTest : public SharedStackTest {
 protected:
  static v1::Client NewClient(const std::string& extra = "") {
    http::Response client = Admin(
        "POST", "/v1/clients",
        absl::StrCat(R"({"phone": "+7905)", UniqueDigits(7), R"(")", extra, "}"));
    EXPECT_EQ(client.status, 200) << client.body;
    return Parse<v1::Client>(client.body);
  }

  static std::string NewCard(const std::string& client_id) {
    http::Response card =
        Admin("POST", "/v1/cards", absl::StrCat(R"({"clientId": ")", client_id, R"("})"));
    EXPECT_EQ(card.status, 200) << card.body;
    return Parse<cards::v1::Card>(card.body).number();
  }

  static void AddPoints(const std::string& card, int amount) {
    http::Response adjusted =
        Admin("POST", absl::StrCat("/v1/cards/", card, ":adjustPoints"),
              absl::StrCat(R"({"amount": )", amount, R"(, "reason": "welcome", "requestId": "adj-)",
                           UniqueDigits(10), R"("})"));
    ASSERT_EQ(adjusted.status, 200) << adjusted.body;
  }

  static std::string NewTag(const std::vector<std::string>& client_ids) {
    http::Response created =
        Admin("POST", "/v1/tags",
              absl::StrCat(R"({"name": "Merge )", UniqueDigits(8), R"(", "colour": "#00aa00"})"));
    EXPECT_EQ(created.status, 200) << created.body;
    const std::string tag_id = Parse<v1::Tag>(created.body).tag_id();
    std::string ids;
    for (const std::string& id : client_ids) absl::StrAppend(&ids, ids.empty() ? "" : ",", "\"", id, "\"");
    http::Response assigned = Admin("POST", absl::StrCat("/v1/tags/", tag_id, ":assign"),
                                    absl::StrCat(R"({"clientIds": [)", ids, "]}"));
    EXPECT_EQ(assigned.status, 200) << assigned.body;
    return tag_id;
  }

  static http::Response Merge(const std::string& survivor, const std::string& duplicate,
                              const std::string& request_id) {
    return Admin("POST", absl::StrCat("/v1/clients/", survivor, ":merge"),
                 absl::StrCat(R"({"duplicateClientId": ")", duplicate, R"(", "requestId": ")",
                              request_id, R"("})"));
  }
};

TEST_F(ClientMergeTest, MergedClientsShowOneViewWithBothCardsAndAllTags) {
  const v1::Client survivor = NewClient();
  const v1::Client duplicate =
      NewClient(absl::StrCat(R"(, "email": "dup)", UniqueDigits(8), R"(@example.com")"));
  const std::string survivor_card = NewCard(survivor.client_id());
  const std::string duplicate_card = NewCard(duplicate.client_id());
  AddPoints(survivor_card, 100);
  AddPoints(duplicate_card, 40);
  const std::string shared_tag = NewTag({survivor.client_id(), duplicate.client_id()});
  const std::string survivor_tag = NewTag({survivor.client_id()});
  const std::string duplicate_tag = NewTag({duplicate.client_id()});

  const std::string request_id = absl::StrCat("merge-", UniqueDigits(10));
  http::Response merged = Merge(survivor.client_id(), duplicate.client_id(), request_id);
  ASSERT_EQ(merged.status, 200) << merged.body;
  const v1::ClientMerge merge = Parse<v1::ClientMerge>(merged.body);
  EXPECT_EQ(merge.state(), v1::CLIENT_MERGE_STATE_DONE);
  EXPECT_THAT(merge.owned_card_numbers(), UnorderedElementsAre(duplicate_card));
  EXPECT_THAT(merge.added_tag_ids(), UnorderedElementsAre(duplicate_tag));
  EXPECT_EQ(merge.survivor().email(), duplicate.email());

  // A retry answers the same merge.
  http::Response retried = Merge(survivor.client_id(), duplicate.client_id(), request_id);
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(Parse<v1::ClientMerge>(retried.body).create_time().seconds(),
            merge.create_time().seconds());

  http::Response view = Admin("GET", absl::StrCat("/v1/clients/", survivor.client_id(),
                                                  ":view?historyPageSize=10"));
  ASSERT_EQ(view.status, 200) << view.body;
  const v1::ClientView shown = Parse<v1::ClientView>(view.body);
  EXPECT_EQ(shown.client().client_id(), survivor.client_id());
  EXPECT_EQ(shown.client().status(), v1::CLIENT_STATUS_ACTIVE);
  std::vector<std::string> tags;
  for (const v1::Tag& tag : shown.tags()) tags.push_back(tag.tag_id());
  EXPECT_THAT(tags, UnorderedElementsAre(shared_tag, survivor_tag, duplicate_tag));
  EXPECT_EQ(shown.cards_status().code(), 0) << shown.cards_status().message();
  std::vector<std::string> numbers;
  int64_t points = 0;
  for (const cards::v1::Card& card : shown.cards()) {
    numbers.push_back(card.number());
    points += card.balance().available();
  }
  EXPECT_THAT(numbers, UnorderedElementsAre(survivor_card, duplicate_card));
  EXPECT_EQ(points, 140);
  EXPECT_EQ(shown.operations_status().code(), 0) << shown.operations_status().message();
  ASSERT_EQ(shown.operations_size(), 2);
  // Newest first: the duplicate's card got its points last.
  EXPECT_EQ(shown.operations(0).card_number(), duplicate_card);
  EXPECT_EQ(shown.operations(0).operation().amount(), 40);
  EXPECT_EQ(shown.operations(1).card_number(), survivor_card);

  // The duplicate is kept as MERGED; its phone identifies nobody now, its
  // card the survivor.
  http::Response gone = Admin("GET", absl::StrCat("/v1/clients/", duplicate.client_id()));
  ASSERT_EQ(gone.status, 200) << gone.body;
  const v1::Client duplicate_now = Parse<v1::Client>(gone.body);
  EXPECT_EQ(duplicate_now.status(), v1::CLIENT_STATUS_MERGED);
  EXPECT_EQ(duplicate_now.merged_into_client_id(), survivor.client_id());
  std::string phone = duplicate.phone();
  http::Response by_phone =
      Admin("GET", absl::StrCat("/v1/clients:identify?phone=%2B", phone.substr(1)));
  EXPECT_EQ(by_phone.status, 404) << by_phone.body;
  http::Response by_card =
      Admin("GET", absl::StrCat("/v1/clients:identify?cardNumber=", duplicate_card));
  ASSERT_EQ(by_card.status, 200) << by_card.body;
  EXPECT_EQ(Parse<v1::Client>(by_card.body).client_id(), survivor.client_id());

  // Merging the merged client again: 400 naming it.
  http::Response again =
      Merge(survivor.client_id(), duplicate.client_id(), absl::StrCat("merge-", UniqueDigits(10)));
  EXPECT_EQ(again.status, 400) << again.body;
  EXPECT_THAT(again.body, HasSubstr("duplicate_client_id"));
}

TEST_F(ClientMergeTest, BadMergesAreRefusedNamingTheField) {
  const v1::Client client = NewClient();
  http::Response self = Merge(client.client_id(), client.client_id(), "merge-self");
  EXPECT_EQ(self.status, 400) << self.body;
  EXPECT_THAT(self.body, HasSubstr("duplicate_client_id"));
  http::Response malformed = Merge(client.client_id(), "not-a-uuid", "merge-bad");
  EXPECT_EQ(malformed.status, 400) << malformed.body;
  EXPECT_THAT(malformed.body, HasSubstr("duplicate_client_id"));
  http::Response no_request = Merge(client.client_id(), NewClient().client_id(), "");
  EXPECT_EQ(no_request.status, 400) << no_request.body;
  EXPECT_THAT(no_request.body, HasSubstr("request_id"));
  http::Response unknown =
      Merge(client.client_id(), "9b2f8c1e-0000-4000-8000-000000000000", "merge-unknown");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  http::Response view = Admin("GET", "/v1/clients/9b2f8c1e-0000-4000-8000-000000000000:view");
  EXPECT_EQ(view.status, 404) << view.body;
  http::Response bad_token =
      Admin("GET", absl::StrCat("/v1/clients/", client.client_id(), ":view?historyPageToken=x"));
  EXPECT_EQ(bad_token.status, 400) << bad_token.body;
  EXPECT_THAT(bad_token.body, HasSubstr("history_page_token"));
  // A POS key may not merge.
  http::Response pos = Pos("POST", absl::StrCat("/v1/clients/", client.client_id(), ":merge"),
                           R"({"duplicateClientId": "9b2f8c1e-0000-4000-8000-000000000000"})");
  EXPECT_EQ(pos.status, 403) << pos.body;
}

}  // namespace
}  // namespace loyalty::e2e
