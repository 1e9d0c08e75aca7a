// Post-confirm campaign actions (CMP-2 / CMP-4) through the real gateway
// over HTTP: a campaign with a gift, an add-tag, a set-attribute and an
// issue-promo-code effect prices a member's receipt (the gift and the
// pending actions are on the calculated receipt); the confirm, sent twice,
// makes pos's worker tag the client, set the attribute and hand the client
// exactly one code of the pool (the receipt shows the actions DONE with the
// code); an anonymous receipt shows them SKIPPED and runs none.

#include <functional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "loyalty/campaigns/v1/campaigns_service.pb.h"
#include "loyalty/campaigns/v1/promo_codes_service.pb.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/identity/v1/attributes_service.pb.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "loyalty/identity/v1/tags_service.pb.h"
#include "loyalty/pos/v1/pos_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

namespace cv1 = ::loyalty::campaigns::v1;

class PosCampaignActionsTest : public SharedStackTest {
 protected:
  // Calculates `body` again (the same receipt) until `done` holds, for up
  // to 15 seconds (the campaign snapshot follows the activation); returns
  // the last receipt.
  static pos::v1::Receipt CalculateUntil(const std::string& body,
                                         const std::function<bool(const pos::v1::Receipt&)>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(15);
    while (true) {
      http::Response response = Pos("POST", "/v1/pos/receipts:calculate", body);
      EXPECT_EQ(response.status, 200) << response.body;
      pos::v1::Receipt receipt = Parse<pos::v1::Receipt>(response.body);
      if (done(receipt) || absl::Now() > deadline) return receipt;
      absl::SleepFor(absl::Milliseconds(200));
    }
  }

  // Reads the receipt until `done` holds, for up to 30 seconds.
  static pos::v1::Receipt GetUntil(const std::string& receipt_id,
                                   const std::function<bool(const pos::v1::Receipt&)>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (true) {
      http::Response response = Pos("GET", "/v1/pos/receipts/" + receipt_id);
      EXPECT_EQ(response.status, 200) << response.body;
      pos::v1::Receipt receipt = Parse<pos::v1::Receipt>(response.body);
      if (done(receipt) || absl::Now() > deadline) return receipt;
      absl::SleepFor(absl::Milliseconds(200));
    }
  }

  static bool AllFinished(const pos::v1::Receipt& receipt) {
    for (const pos::v1::ReceiptAction& action : receipt.actions()) {
      if (action.state() != pos::v1::CAMPAIGN_ACTION_STATE_DONE &&
          action.state() != pos::v1::CAMPAIGN_ACTION_STATE_FAILED) {
        return false;
      }
    }
    return receipt.actions_size() > 0;
  }

  static std::string Receipt(const std::string& card_number, const std::string& category) {
    return absl::StrCat(R"({"receiptNumber": "ACT-)", UniqueDigits(8), R"(", "cardNumber": ")",
                        card_number, R"(", "lines": [{"lineNumber": 1, "sku": "a-)", category,
                        R"(", "category": ")", category, R"(", "quantity": "1", "price": 10000}]})");
  }

  // Issues a code of the pool to the client as the admin, under a fresh
  // issue id: what is left of the pool after pos's issue.
  static http::Response IssueAsAdmin(const std::string& pool_id, const std::string& client_id) {
    return Admin("POST", absl::StrCat("/v1/promoCodePools/", pool_id, ":issue"),
                 absl::StrCat(R"({"clientId": ")", client_id, R"(", "issueId": "admin-)",
                              UniqueDigits(10), R"("})"));
  }
};

TEST_F(PosCampaignActionsTest, ConfirmTagsSetsAndIssuesOnceAndAnonymousSkips) {
  const std::string suffix = UniqueDigits(8);
  const std::string category = absl::StrCat("actions-", suffix);
  const std::string tag_name = absl::StrCat("Bought-", suffix);
  const std::string attribute_key = absl::StrCat("last_offer_", suffix);

  http::Response tag = Admin("POST", "/v1/tags",
                             absl::StrCat(R"({"name": ")", tag_name, R"(", "colour": "#00aa00"})"));
  ASSERT_EQ(tag.status, 200) << tag.body;
  const std::string tag_id = Parse<identity::v1::Tag>(tag.body).tag_id();
  // Editable by operators only: a till could not set it, the campaign can.
  http::Response attribute = Admin(
      "POST", "/v1/attributes",
      absl::StrCat(R"({"key": ")", attribute_key,
                   R"(", "displayName": "Last offer", "type": "ATTRIBUTE_TYPE_STRING"})"));
  ASSERT_EQ(attribute.status, 200) << attribute.body;
  // Two codes: after pos's issue exactly one is left.
  http::Response pool =
      Admin("POST", "/v1/promoCodePools",
            R"({"name": "Thank you", "kind": "PROMO_CODE_POOL_KIND_UNIQUE", "maxUsesPerCode": 1})");
  ASSERT_EQ(pool.status, 200) << pool.body;
  const std::string pool_id = Parse<cv1::PromoCodePool>(pool.body).pool_id();
  http::Response generated =
      Admin("POST", absl::StrCat("/v1/promoCodePools/", pool_id, ":generate"),
            absl::StrCat(R"({"count": 2, "prefix": "ty", "requestId": "gen-)", suffix, R"("})"));
  ASSERT_EQ(generated.status, 200) << generated.body;

  http::Response created = Admin(
      "POST", "/v1/campaigns",
      absl::StrCat(R"({"name": "Thank you", "rules": [{"ruleId": "thanks", "conditions":)",
                   R"( [{"lineMatch": {"lines": {"categories": [")", category, R"("]}}}],)",
                   R"( "effects": [{"gift": {"sku": "mug", "quantityMilli": 1000}},)",
                   R"( {"addTag": {"tag": ")", absl::AsciiStrToLower(tag_name), R"("}},)",
                   R"( {"setAttribute": {"key": ")", attribute_key, R"(", "value": "thanks"}},)",
                   R"( {"issuePromoCode": {"poolId": ")", pool_id, R"("}}]}]})"));
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string campaign_id = Parse<cv1::Campaign>(created.body).campaign_id();
  http::Response activated =
      Admin("POST", absl::StrCat("/v1/campaigns/", campaign_id, ":activate"), "{}");
  ASSERT_EQ(activated.status, 200) << activated.body;

  http::Response client =
      Admin("POST", "/v1/clients", absl::StrCat(R"({"phone": "+7905)", UniqueDigits(7), R"("})"));
  ASSERT_EQ(client.status, 200) << client.body;
  const std::string client_id = Parse<identity::v1::Client>(client.body).client_id();
  http::Response card = Admin("POST", "/v1/cards", absl::StrCat(R"({"clientId": ")", client_id, R"("})"));
  ASSERT_EQ(card.status, 200) << card.body;
  const std::string card_number = Parse<cards::v1::Card>(card.body).number();

  // Calculated: the gift and the three actions, pending, nothing done yet.
  pos::v1::Receipt calculated = CalculateUntil(
      Receipt(card_number, category), [](const auto& r) { return r.actions_size() > 0; });
  ASSERT_EQ(calculated.gifts_size(), 1) << calculated.DebugString();
  EXPECT_EQ(calculated.gifts(0).sku(), "mug");
  ASSERT_EQ(calculated.actions_size(), 3) << calculated.DebugString();
  EXPECT_EQ(calculated.actions(0).kind(), pos::v1::CAMPAIGN_ACTION_KIND_ADD_TAG);
  EXPECT_EQ(calculated.actions(0).tag(), absl::AsciiStrToLower(tag_name));
  EXPECT_EQ(calculated.actions(1).kind(), pos::v1::CAMPAIGN_ACTION_KIND_SET_ATTRIBUTE);
  EXPECT_EQ(calculated.actions(1).attribute_key(), attribute_key);
  EXPECT_EQ(calculated.actions(1).attribute_value(), "thanks");
  EXPECT_EQ(calculated.actions(2).kind(), pos::v1::CAMPAIGN_ACTION_KIND_ISSUE_PROMO_CODE);
  EXPECT_EQ(calculated.actions(2).pool_id(), pool_id);
  for (const pos::v1::ReceiptAction& action : calculated.actions()) {
    EXPECT_EQ(action.state(), pos::v1::CAMPAIGN_ACTION_STATE_PENDING);
    EXPECT_EQ(action.campaign_id(), campaign_id);
    EXPECT_EQ(action.rule_id(), "thanks");
    EXPECT_GT(action.campaign_version(), 0);
  }
  http::Response tags_before = Admin("GET", absl::StrCat("/v1/clients/", client_id, "/tags"));
  ASSERT_EQ(tags_before.status, 200) << tags_before.body;
  EXPECT_EQ(Parse<identity::v1::ListClientTagsResponse>(tags_before.body).tags_size(), 0);

  // Confirmed twice (the till retried): one confirmation, one run.
  const std::string confirm = absl::StrCat(R"({"requestId": "act-)", suffix,
                                           R"(", "receiptId": ")", calculated.receipt_id(), R"("})");
  for (int attempt = 0; attempt < 2; ++attempt) {
    http::Response confirmed = Pos("POST", "/v1/pos/receipts:confirm", confirm);
    ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  }
  pos::v1::Receipt finished = GetUntil(calculated.receipt_id(), AllFinished);
  ASSERT_EQ(finished.actions_size(), 3);
  for (const pos::v1::ReceiptAction& action : finished.actions()) {
    EXPECT_EQ(action.state(), pos::v1::CAMPAIGN_ACTION_STATE_DONE) << finished.DebugString();
    EXPECT_EQ(action.attempts(), 1) << finished.DebugString();
  }
  const std::string code = finished.actions(2).promo_code();
  EXPECT_TRUE(absl::StartsWith(code, "TY")) << code;

  // identity has the tag and the attribute on the client.
  http::Response tags = Admin("GET", absl::StrCat("/v1/clients/", client_id, "/tags"));
  ASSERT_EQ(tags.status, 200) << tags.body;
  const auto listed = Parse<identity::v1::ListClientTagsResponse>(tags.body);
  ASSERT_EQ(listed.tags_size(), 1) << tags.body;
  EXPECT_EQ(listed.tags(0).tag_id(), tag_id);
  http::Response values = Admin("GET", absl::StrCat("/v1/clients/", client_id, "/attributes"));
  ASSERT_EQ(values.status, 200) << values.body;
  const auto attributes = Parse<identity::v1::ClientAttributes>(values.body);
  bool set = false;
  for (const identity::v1::AttributeValue& value : attributes.values()) {
    if (value.key() == attribute_key) set = value.string_value() == "thanks";
  }
  EXPECT_TRUE(set) << values.body;

  // Exactly one code of the pool went to the client: of two, one is left
  // (the other one), then none.
  http::Response rest = IssueAsAdmin(pool_id, client_id);
  ASSERT_EQ(rest.status, 200) << rest.body;
  EXPECT_NE(Parse<cv1::IssuedPromoCode>(rest.body).code(), code);
  EXPECT_EQ(IssueAsAdmin(pool_id, client_id).status, 400);

  // An anonymous receipt of the same campaign: the gift, the actions
  // SKIPPED with the reason, and nothing to run after its confirmation.
  pos::v1::Receipt anonymous = CalculateUntil(Receipt("", category), [](const auto&) { return true; });
  ASSERT_EQ(anonymous.actions_size(), 3) << anonymous.DebugString();
  EXPECT_EQ(anonymous.gifts_size(), 1);
  for (const pos::v1::ReceiptAction& action : anonymous.actions()) {
    EXPECT_EQ(action.state(), pos::v1::CAMPAIGN_ACTION_STATE_SKIPPED);
    EXPECT_EQ(action.failure_reason(), "no member: the receipt has no card");
  }
  http::Response confirmed_anonymous =
      Pos("POST", "/v1/pos/receipts:confirm",
          absl::StrCat(R"({"receiptId": ")", anonymous.receipt_id(), R"("})"));
  ASSERT_EQ(confirmed_anonymous.status, 200) << confirmed_anonymous.body;
  const auto anonymous_confirmed = Parse<pos::v1::Receipt>(confirmed_anonymous.body);
  for (const pos::v1::ReceiptAction& action : anonymous_confirmed.actions()) {
    EXPECT_EQ(action.state(), pos::v1::CAMPAIGN_ACTION_STATE_SKIPPED);
  }
}

}  // namespace
}  // namespace loyalty::e2e
