#include "services/campaigns/domain/campaign.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::campaigns {
namespace {

Campaign Valid() {
  Campaign campaign;
  campaign.name = "Double points weekend";
  campaign.priority = 10;
  return campaign;
}

std::string FieldOf(const absl::Status& status) {
  return ViolatedField(status).value_or("<none>");
}

TEST(CountCharsTest, CountsCodePointsNotBytes) {
  EXPECT_EQ(CountChars(""), 0);
  EXPECT_EQ(CountChars("abc"), 3);
  EXPECT_EQ(CountChars("\xD0\x9F\xD1\x80\xD0\xB8"), 3);  // "При" in Cyrillic
  EXPECT_EQ(CountChars("\xF0\x9F\x8E\x81"), 1);          // one emoji, four bytes
}

TEST(PrepareNewCampaignTest, AcceptsValidAndForcesDraft) {
  Campaign campaign = Valid();
  campaign.name = "  Spring sale \n";
  campaign.state = CampaignState::kActive;
  ASSERT_TRUE(PrepareNewCampaign(campaign, "campaign.").ok());
  EXPECT_EQ(campaign.name, "Spring sale");
  EXPECT_EQ(campaign.state, CampaignState::kDraft);
}

TEST(PrepareNewCampaignTest, NameLength) {
  Campaign empty = Valid();
  empty.name = "   ";
  EXPECT_EQ(FieldOf(PrepareNewCampaign(empty, "campaign.")), "campaign.name");

  Campaign longest = Valid();
  longest.name.clear();
  for (int i = 0; i < kMaxNameChars; ++i) longest.name += "\xD1\x8F";  // 2 bytes each
  EXPECT_TRUE(PrepareNewCampaign(longest, "campaign.").ok());

  Campaign too_long = Valid();
  too_long.name = std::string(kMaxNameChars + 1, 'x');
  absl::Status status = PrepareNewCampaign(too_long, "campaign.");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(status), "campaign.name");
}

TEST(PrepareNewCampaignTest, PriorityRange) {
  for (int32_t priority : {0, 1000}) {
    Campaign campaign = Valid();
    campaign.priority = priority;
    EXPECT_TRUE(PrepareNewCampaign(campaign, "campaign.").ok()) << priority;
  }
  for (int32_t priority : {-1, 1001}) {
    Campaign campaign = Valid();
    campaign.priority = priority;
    EXPECT_EQ(FieldOf(PrepareNewCampaign(campaign, "campaign.")), "campaign.priority")
        << priority;
  }
}

TEST(PrepareNewCampaignTest, EndMustFollowStart) {
  absl::Time start = absl::FromUnixSeconds(1'700'000'000);
  Campaign ok = Valid();
  ok.start_time = start;
  ok.end_time = start + absl::Seconds(1);
  EXPECT_TRUE(PrepareNewCampaign(ok, "campaign.").ok());

  Campaign same = Valid();
  same.start_time = start;
  same.end_time = start;
  EXPECT_EQ(FieldOf(PrepareNewCampaign(same, "campaign.")), "campaign.end_time");

  Campaign before = Valid();
  before.start_time = start;
  before.end_time = start - absl::Hours(1);
  EXPECT_EQ(FieldOf(PrepareNewCampaign(before, "campaign.")), "campaign.end_time");

  // Either bound alone is fine: open start or open end.
  Campaign open_start = Valid();
  open_start.end_time = start;
  EXPECT_TRUE(PrepareNewCampaign(open_start, "campaign.").ok());
  Campaign open_end = Valid();
  open_end.start_time = start;
  EXPECT_TRUE(PrepareNewCampaign(open_end, "campaign.").ok());
}

TEST(PrepareNewCampaignTest, DescriptionLimit) {
  Campaign campaign = Valid();
  campaign.description = std::string(kMaxDescriptionChars + 1, 'd');
  EXPECT_EQ(FieldOf(PrepareNewCampaign(campaign, "campaign.")), "campaign.description");
}

}  // namespace
}  // namespace loyalty::campaigns
