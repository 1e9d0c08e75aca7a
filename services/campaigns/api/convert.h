#pragma once

// Campaign <-> loyalty.campaigns.v1 messages. Shared by the API, by the
// CampaignCreated event, which carries the resource exactly as the API
// returns it, and by pos, which compiles GetActiveCampaigns' answer (hence
// its own library, campaigns_model).

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "libs/promotions/model.h"
#include "loyalty/campaigns/v1/campaigns_service.pb.h"
#include "services/campaigns/domain/campaign.h"

namespace loyalty::campaigns {

void TimeToProto(absl::Time time, google::protobuf::Timestamp* out);

// InvalidArgument naming `field` when the timestamp is outside
// 0001-01-01..9999-12-31 or its nanos are out of range.
absl::StatusOr<absl::Time> TimeFromProto(const google::protobuf::Timestamp& timestamp,
                                         absl::string_view field);

// TimeFromProto of a timestamp field that may be unset (`present` false:
// `out` is left as it is).
absl::Status OptionalTimeFromProto(bool present, const google::protobuf::Timestamp& timestamp,
                                   absl::string_view field, std::optional<absl::Time>& out);

// The client-settable fields of `message`; output-only fields are ignored.
// InvalidArgument naming the field for what cannot be mapped at all (a bad
// timestamp, a condition or effect with no kind); value ranges are the
// domain's to check.
absl::StatusOr<Campaign> CampaignFromProto(const v1::Campaign& message,
                                           absl::string_view field_prefix);

void CampaignToProto(const Campaign& campaign, v1::Campaign* out);

// The campaign as the rule engine sees it, output-only fields (id, version,
// state) included: what a consumer of GetActiveCampaigns (pos) compiles.
// InvalidArgument naming the field for what cannot be mapped.
absl::StatusOr<promotions::Campaign> EngineCampaignFromProto(const v1::Campaign& message,
                                                             absl::string_view field_prefix);

// The rule part alone (stacking, schedule, audience, rules): what storage
// keeps as the definition beside its columns.
absl::Status DefinitionFromProto(const v1::Campaign& message, absl::string_view field_prefix,
                                 Campaign& campaign);
void DefinitionToProto(const Campaign& campaign, v1::Campaign* out);

// Copies the fields `mask` names (all settable ones when empty) from
// `message` into `campaign`. InvalidArgument naming `update_mask` for an
// unknown or output-only path.
absl::Status ApplyUpdateMask(const v1::Campaign& message, const google::protobuf::FieldMask& mask,
                             absl::string_view field_prefix, Campaign& campaign);

}  // namespace loyalty::campaigns
