#include "services/campaigns/api/convert.h"

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"

namespace loyalty::campaigns {
namespace {

// Bounds of google.protobuf.Timestamp (and well within PostgreSQL's).
constexpr int64_t kMinSeconds = -62'135'596'800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxSeconds = 253'402'300'799;  // 9999-12-31T23:59:59Z

v1::CampaignState StateToProto(CampaignState state) {
  switch (state) {
    case CampaignState::kDraft: return v1::CAMPAIGN_STATE_DRAFT;
    case CampaignState::kActive: return v1::CAMPAIGN_STATE_ACTIVE;
    case CampaignState::kPaused: return v1::CAMPAIGN_STATE_PAUSED;
    case CampaignState::kFinished: return v1::CAMPAIGN_STATE_FINISHED;
  }
  return v1::CAMPAIGN_STATE_UNSPECIFIED;
}

}  // namespace

void TimeToProto(absl::Time time, google::protobuf::Timestamp* out) {
  int64_t micros = absl::ToUnixMicros(time);
  int64_t seconds = micros / 1'000'000;
  int64_t rest = micros % 1'000'000;
  if (rest < 0) {  // nanos are never negative in a Timestamp
    rest += 1'000'000;
    seconds -= 1;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest * 1000));
}

absl::StatusOr<absl::Time> TimeFromProto(const google::protobuf::Timestamp& timestamp,
                                         absl::string_view field) {
  if (timestamp.seconds() < kMinSeconds || timestamp.seconds() > kMaxSeconds ||
      timestamp.nanos() < 0 || timestamp.nanos() > 999'999'999) {
    return InvalidField(field, "not a valid timestamp");
  }
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

absl::StatusOr<Campaign> CampaignFromProto(const v1::Campaign& message,
                                           absl::string_view field_prefix) {
  Campaign campaign;
  campaign.name = message.name();
  campaign.description = message.description();
  campaign.priority = message.priority();
  if (message.has_start_time()) {
    absl::StatusOr<absl::Time> start =
        TimeFromProto(message.start_time(), absl::StrCat(field_prefix, "start_time"));
    if (!start.ok()) return start.status();
    campaign.start_time = *start;
  }
  if (message.has_end_time()) {
    absl::StatusOr<absl::Time> end =
        TimeFromProto(message.end_time(), absl::StrCat(field_prefix, "end_time"));
    if (!end.ok()) return end.status();
    campaign.end_time = *end;
  }
  return campaign;
}

void CampaignToProto(const Campaign& campaign, v1::Campaign* out) {
  out->set_campaign_id(campaign.campaign_id);
  out->set_name(campaign.name);
  out->set_description(campaign.description);
  out->set_state(StateToProto(campaign.state));
  out->set_priority(campaign.priority);
  if (campaign.start_time) TimeToProto(*campaign.start_time, out->mutable_start_time());
  if (campaign.end_time) TimeToProto(*campaign.end_time, out->mutable_end_time());
  TimeToProto(campaign.create_time, out->mutable_create_time());
}

}  // namespace loyalty::campaigns
