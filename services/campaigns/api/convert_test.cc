#include "services/campaigns/api/convert.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::campaigns {
namespace {

TEST(TimeFromProtoTest, AcceptsTheTimestampRange) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(1'700'000'000);
  ts.set_nanos(123'456'789);
  auto time = TimeFromProto(ts, "campaign.start_time");
  ASSERT_TRUE(time.ok());
  EXPECT_EQ(*time, absl::FromUnixNanos(1'700'000'000'123'456'789));
}

TEST(TimeFromProtoTest, RefusesOutOfRangeNamingTheField) {
  google::protobuf::Timestamp too_late;
  too_late.set_seconds(253'402'300'800);  // 10000-01-01
  EXPECT_EQ(ViolatedField(TimeFromProto(too_late, "campaign.end_time").status()),
            "campaign.end_time");
  google::protobuf::Timestamp bad_nanos;
  bad_nanos.set_nanos(-1);
  EXPECT_EQ(ViolatedField(TimeFromProto(bad_nanos, "campaign.start_time").status()),
            "campaign.start_time");
}

TEST(TimeToProtoTest, NanosAreNeverNegative) {
  google::protobuf::Timestamp ts;
  TimeToProto(absl::FromUnixMicros(-1), &ts);  // one microsecond before the epoch
  EXPECT_EQ(ts.seconds(), -1);
  EXPECT_EQ(ts.nanos(), 999'999'000);
}

TEST(CampaignProtoTest, RoundTripKeepsSettableFields) {
  v1::Campaign message;
  message.set_name("Spring");
  message.set_description("Double points");
  message.set_priority(7);
  message.set_state(v1::CAMPAIGN_STATE_ACTIVE);  // output only: ignored
  message.mutable_end_time()->set_seconds(1'800'000'000);
  auto campaign = CampaignFromProto(message, "campaign.");
  ASSERT_TRUE(campaign.ok());
  EXPECT_EQ(campaign->name, "Spring");
  EXPECT_EQ(campaign->priority, 7);
  EXPECT_EQ(campaign->state, CampaignState::kDraft);
  EXPECT_FALSE(campaign->start_time.has_value());
  ASSERT_TRUE(campaign->end_time.has_value());

  v1::Campaign out;
  CampaignToProto(*campaign, &out);
  EXPECT_EQ(out.state(), v1::CAMPAIGN_STATE_DRAFT);
  EXPECT_FALSE(out.has_start_time());
  EXPECT_EQ(out.end_time().seconds(), 1'800'000'000);
}

}  // namespace
}  // namespace loyalty::campaigns
