// POS-2 / CMP-1 / CMP-2 through the real gateway over HTTP: campaigns read
// the member and the program's time zone. A campaign for the members
// tagged "vip" discounts the receipt of a card whose client has the tag,
// not that of another member nor an anonymous one; a campaign whose hours
// are the current hour in the program's zone (the demo program is
// Europe/Moscow) applies, one whose hours are the current hour in UTC
// does not.

#include <functional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "loyalty/campaigns/v1/campaigns_service.pb.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "loyalty/identity/v1/tags_service.pb.h"
#include "loyalty/pos/v1/pos_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

struct Member {
  std::string client_id;
  std::string card_number;
};

class PosMemberCampaignsTest : public SharedStackTest {
 protected:
  static Member NewMember() {
    http::Response client =
        Admin("POST", "/v1/clients", absl::StrCat(R"({"phone": "+7904)", UniqueDigits(7), R"("})"));
    EXPECT_EQ(client.status, 200) << client.body;
    Member member{.client_id = Parse<identity::v1::Client>(client.body).client_id()};
    http::Response card =
        Admin("POST", "/v1/cards", absl::StrCat(R"({"clientId": ")", member.client_id, R"("})"));
    EXPECT_EQ(card.status, 200) << card.body;
    member.card_number = Parse<cards::v1::Card>(card.body).number();
    return member;
  }

  // Creates and activates a campaign; `json` is the Campaign without name.
  static std::string Activate(const std::string& name, const std::string& json) {
    http::Response created =
        Admin("POST", "/v1/campaigns", absl::StrCat(R"({"name": ")", name, R"(", )", json, "}"));
    EXPECT_EQ(created.status, 200) << created.body;
    const std::string id = Parse<campaigns::v1::Campaign>(created.body).campaign_id();
    http::Response activated = Admin("POST", absl::StrCat("/v1/campaigns/", id, ":activate"), "{}");
    EXPECT_EQ(activated.status, 200) << activated.body;
    return id;
  }

  // 10% off the lines of `category`, when the receipt has one.
  static std::string TenPercentOff(const std::string& category, const std::string& rule_id) {
    return absl::StrCat(
        R"("rules": [{"ruleId": ")", rule_id, R"(", "conditions": [{"lineMatch": {"lines":)",
        R"( {"categories": [")", category, R"("]}}}], "effects": [{"discount": {"target":)",
        R"( "TARGET_LINES", "percentBp": 1000}}]}])");
  }

  // Minute windows (JSON) covering local minute `center` +- 60, split at
  // midnight.
  static std::string HoursAround(int center) {
    std::vector<std::string> windows;
    auto add = [&](int start, int end) {
      windows.push_back(absl::StrCat(R"({"startMinute": )", start, R"(, "endMinute": )", end, "}"));
    };
    int start = center - 60, end = center + 60;
    if (start < 0) {
      add(start + 1440, 1440);
      start = 0;
    }
    if (end > 1440) {
      add(0, end - 1440);
      end = 1440;
    }
    add(start, end);
    return absl::StrCat("[", absl::StrJoin(windows, ", "), "]");
  }

  // Calculates `body` again (the same receipt) until `done` holds, for up
  // to 15 seconds; returns the last receipt.
  static pos::v1::Receipt CalculateUntil(const std::string& body,
                                         const std::function<bool(const pos::v1::Receipt&)>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(15);
    pos::v1::Receipt receipt;
    while (true) {
      http::Response response = Pos("POST", "/v1/pos/receipts:calculate", body);
      EXPECT_EQ(response.status, 200) << response.body;
      receipt = Parse<pos::v1::Receipt>(response.body);
      if (done(receipt) || absl::Now() > deadline) return receipt;
      absl::SleepFor(absl::Milliseconds(200));
    }
  }

  static std::string Receipt(const std::string& card_number, const std::string& category) {
    return absl::StrCat(R"({"receiptNumber": "MEM-)", UniqueDigits(8), R"(", "cardNumber": ")",
                        card_number, R"(", "lines": [{"lineNumber": 1, "sku": "m-)", category,
                        R"(", "category": ")", category, R"(", "quantity": "1", "price": 10000}]})");
  }
};

TEST_F(PosMemberCampaignsTest, ATagCampaignAppliesToTaggedMembersOnly) {
  const std::string suffix = UniqueDigits(8);
  const std::string tag_name = absl::StrCat("vip-", suffix);
  const std::string category = absl::StrCat("members-", suffix);
  http::Response tag = Admin("POST", "/v1/tags",
                             absl::StrCat(R"({"name": ")", tag_name, R"(", "colour": "#aa0000"})"));
  ASSERT_EQ(tag.status, 200) << tag.body;
  const std::string tag_id = Parse<identity::v1::Tag>(tag.body).tag_id();
  const Member vip = NewMember();
  const Member other = NewMember();
  http::Response assigned =
      Admin("POST", absl::StrCat("/v1/tags/", tag_id, ":assign"),
            absl::StrCat(R"({"clientIds": [")", vip.client_id, R"("]})"));
  ASSERT_EQ(assigned.status, 200) << assigned.body;
  const std::string campaign = Activate(
      "VIP evening", absl::StrCat(R"("audience": {"tags": [")", tag_name, R"("]}, )",
                                  TenPercentOff(category, "vip-10")));

  pos::v1::Receipt tagged = CalculateUntil(Receipt(vip.card_number, category),
                                           [](const auto& r) { return r.total_discount() > 0; });
  EXPECT_EQ(tagged.total_discount(), 1000) << tagged.DebugString();
  ASSERT_EQ(tagged.applied_campaigns_size(), 1);
  EXPECT_EQ(tagged.applied_campaigns(0).campaign_id(), campaign);

  // The snapshot has the campaign now (the tagged member got it).
  pos::v1::Receipt untagged = CalculateUntil(Receipt(other.card_number, category),
                                             [](const auto&) { return true; });
  EXPECT_EQ(untagged.total_discount(), 0) << untagged.DebugString();
  EXPECT_EQ(untagged.applied_campaigns_size(), 0);
  pos::v1::Receipt anonymous =
      CalculateUntil(Receipt("", category), [](const auto&) { return true; });
  EXPECT_EQ(anonymous.total_discount(), 0) << anonymous.DebugString();
}

TEST_F(PosMemberCampaignsTest, HoursAreTheProgramsLocalTime) {
  const std::string category = absl::StrCat("hours-", UniqueDigits(8));
  absl::TimeZone moscow;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Moscow", &moscow));
  const absl::Time now = absl::Now();
  auto minute_in = [&](absl::TimeZone zone) {
    absl::CivilSecond local = absl::ToCivilSecond(now, zone);
    return local.hour() * 60 + local.minute();
  };
  // Moscow is UTC+3 all year: the two windows are three hours apart.
  const std::string local = Activate(
      "Local hours", absl::StrCat(R"("schedule": {"hours": )", HoursAround(minute_in(moscow)),
                                  "}, ", TenPercentOff(category, "local")));
  const std::string utc = Activate(
      "UTC hours", absl::StrCat(R"("schedule": {"hours": )",
                                HoursAround(minute_in(absl::UTCTimeZone())), "}, ",
                                TenPercentOff(category, "utc")));

  pos::v1::Receipt receipt = CalculateUntil(Receipt("", category),
                                            [](const auto& r) { return r.total_discount() > 0; });
  EXPECT_EQ(receipt.total_discount(), 1000) << receipt.DebugString();
  ASSERT_EQ(receipt.applied_campaigns_size(), 1) << receipt.DebugString();
  EXPECT_EQ(receipt.applied_campaigns(0).campaign_id(), local);
  EXPECT_NE(receipt.applied_campaigns(0).campaign_id(), utc);
}

}  // namespace
}  // namespace loyalty::e2e
