// Campaign rules, versions and the active snapshot (CMP-1, CMP-2) through
// the real gateway over HTTP: create with rules, a bad rule is 400 naming
// its path, activate, edit while active (a new version, the snapshot moves
// on), a stale etag is 409, pause, an old version stays readable, and a POS
// key reads the active campaigns but may not change them.

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/campaigns/v1/campaigns_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::loyalty::campaigns::v1;

class CampaignRulesTest : public SharedStackTest {
 protected:
  static v1::GetActiveCampaignsResponse Active() {
    http::Response active = Pos("GET", "/v1/active-campaigns");
    EXPECT_EQ(active.status, 200) << active.body;
    return Parse<v1::GetActiveCampaignsResponse>(active.body);
  }

  static const v1::Campaign* Find(const v1::GetActiveCampaignsResponse& active,
                                  const std::string& campaign_id) {
    for (const v1::Campaign& campaign : active.campaigns()) {
      if (campaign.campaign_id() == campaign_id) return &campaign;
    }
    return nullptr;
  }
};

// 10% off receipts from 1000.00, double points on tea.
constexpr char kRules[] = R"("rules": [
  {"ruleId": "ten-off",
   "conditions": [{"receiptSum": {"minAmount": "100000"}}],
   "effects": [{"discount": {"target": "TARGET_RECEIPT", "percentBp": 1000}}]},
  {"ruleId": "tea-x2",
   "conditions": [{"lineMatch": {"lines": {"skus": ["tea"]}, "minQuantityMilli": "1000"}}],
   "effects": [{"points": {"target": "TARGET_LINES", "multiplier": 2}}],
   "cashierMessage": "Double points on tea"}])";

TEST_F(CampaignRulesTest, CreateActivateEditPauseThroughTheGateway) {
  // A bad rule: 400 naming the path of the field at fault; nothing stored.
  http::Response bad = Admin("POST", "/v1/campaigns",
                             R"({"name": "Broken", "rules": [{"ruleId": "r", "effects": [)"
                             R"({"addTag": {"tag": "x"}}, {"discount": {"percentBp": 20000}}]}]})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_THAT(bad.body, HasSubstr("campaign.rules[0].effects[1].discount.percent_bp"));

  http::Response created = Admin(
      "POST", "/v1/campaigns",
      absl::StrCat(R"({"name": "Tea week", "priority": 50, "stacking": "STACKING_COMBINABLE",)",
                   R"("schedule": {"timeZone": "Europe/Moscow", "days": ["DAY_OF_WEEK_MONDAY"],)",
                   R"( "hours": [{"startMinute": 480, "endMinute": 1320}]},)",
                   R"("audience": {"storeIds": ["store-1"]},)", kRules, "}"));
  ASSERT_EQ(created.status, 200) << created.body;
  const v1::Campaign campaign = Parse<v1::Campaign>(created.body);
  EXPECT_EQ(campaign.state(), v1::CAMPAIGN_STATE_DRAFT);
  EXPECT_EQ(campaign.version(), 1);
  ASSERT_EQ(campaign.rules_size(), 2);
  EXPECT_EQ(campaign.rules(1).effects(0).points().multiplier(), 2);
  EXPECT_EQ(campaign.schedule().days(0), v1::DAY_OF_WEEK_MONDAY);
  const std::string path = absl::StrCat("/v1/campaigns/", campaign.campaign_id());

  // A POS key reads the snapshot but may not change campaigns.
  const int64_t before = Active().snapshot_version();
  EXPECT_EQ(Find(Active(), campaign.campaign_id()), nullptr);
  EXPECT_EQ(Pos("POST", path + ":activate", "{}").status, 403);

  http::Response activated = Admin("POST", path + ":activate", "{}");
  ASSERT_EQ(activated.status, 200) << activated.body;
  EXPECT_EQ(Parse<v1::Campaign>(activated.body).state(), v1::CAMPAIGN_STATE_ACTIVE);
  v1::GetActiveCampaignsResponse active = Active();
  EXPECT_GT(active.snapshot_version(), before);
  ASSERT_NE(Find(active, campaign.campaign_id()), nullptr);
  EXPECT_EQ(Find(active, campaign.campaign_id())->version(), 1);

  // Editing the active campaign makes version 2, and the snapshot moves on.
  http::Response edited = Admin(
      "PATCH", absl::StrCat(path, "?updateMask=rules&requestId=edit-", campaign.campaign_id()),
      absl::StrCat(R"({"etag": ")", campaign.etag(), R"(", "rules": [{"ruleId": "five-off",)",
                   R"( "effects": [{"discount": {"percentBp": 500}}]}]})"));
  ASSERT_EQ(edited.status, 200) << edited.body;
  const v1::Campaign v2 = Parse<v1::Campaign>(edited.body);
  EXPECT_EQ(v2.version(), 2);
  EXPECT_EQ(v2.state(), v1::CAMPAIGN_STATE_ACTIVE);
  EXPECT_EQ(v2.name(), "Tea week");  // not in the mask
  v1::GetActiveCampaignsResponse after_edit = Active();
  EXPECT_GT(after_edit.snapshot_version(), active.snapshot_version());
  ASSERT_NE(Find(after_edit, campaign.campaign_id()), nullptr);
  EXPECT_EQ(Find(after_edit, campaign.campaign_id())->version(), 2);

  // The stale etag of version 1: ABORTED is 409, nothing changes.
  http::Response stale =
      Admin("PATCH", path + "?updateMask=name",
            absl::StrCat(R"({"etag": ")", campaign.etag(), R"(", "name": "Lost update"})"));
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_THAT(stale.body, HasSubstr("campaign.etag"));
  // An active campaign keeps at least one rule.
  http::Response emptied = Admin("PATCH", path + "?updateMask=rules", R"({"rules": []})");
  EXPECT_EQ(emptied.status, 400) << emptied.body;
  EXPECT_THAT(emptied.body, HasSubstr("campaign.rules"));

  // Version 1 stays readable, e.g. for a receipt that recorded it.
  http::Response old = Pos("GET", path + "/versions/1");
  ASSERT_EQ(old.status, 200) << old.body;
  EXPECT_EQ(Parse<v1::Campaign>(old.body).rules_size(), 2);

  http::Response paused = Admin("POST", path + ":pause", "{}");
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(Parse<v1::Campaign>(paused.body).state(), v1::CAMPAIGN_STATE_PAUSED);
  v1::GetActiveCampaignsResponse after_pause = Active();
  EXPECT_GT(after_pause.snapshot_version(), after_edit.snapshot_version());
  EXPECT_EQ(Find(after_pause, campaign.campaign_id()), nullptr);

  // FINISHED is final; reactivating names the state.
  ASSERT_EQ(Admin("POST", path + ":finish", "{}").status, 200);
  http::Response reopened = Admin("POST", path + ":activate", "{}");
  EXPECT_EQ(reopened.status, 400) << reopened.body;  // FAILED_PRECONDITION
  EXPECT_THAT(reopened.body, HasSubstr("FINISHED"));
}

TEST_F(CampaignRulesTest, ActivatingWithoutRulesIsRefused) {
  http::Response created = Admin("POST", "/v1/campaigns", R"({"name": "No rules yet"})");
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string id = Parse<v1::Campaign>(created.body).campaign_id();
  http::Response refused = Admin("POST", absl::StrCat("/v1/campaigns/", id, ":activate"), "{}");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("rules"));
}

}  // namespace
}  // namespace loyalty::e2e
