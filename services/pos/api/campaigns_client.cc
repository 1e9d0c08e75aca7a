#include "services/pos/api/campaigns_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "libs/common/log.h"
#include "libs/outbox/outbox.h"
#include "libs/rpc/call_context.h"
#include "libs/rpc/status.h"
#include "loyalty/campaigns/v1/campaigns_service.grpc.pb.h"
#include "loyalty/campaigns/v1/events.pb.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "services/campaigns/api/convert.h"

namespace loyalty::pos {

struct GrpcCampaignSource::Stub {
  std::unique_ptr<campaigns::v1::CampaignService::Stub> campaigns;
};

GrpcCampaignSource::GrpcCampaignSource(std::shared_ptr<grpc::Channel> channel,
                                       absl::Duration timeout)
    : stub_(std::make_unique<Stub>(Stub{campaigns::v1::CampaignService::NewStub(channel)})),
      timeout_(timeout) {}

GrpcCampaignSource::~GrpcCampaignSource() = default;

absl::StatusOr<CampaignSource::Active> GrpcCampaignSource::Load(const std::string& program_id) {
  const rpc::CallContext call{
      .program_id = program_id, .role = "ROLE_POS", .principal_id = "pos:campaign-snapshots"};
  grpc::ClientContext context;
  rpc::WriteCallContext(call, context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  campaigns::v1::GetActiveCampaignsResponse response;
  absl::Status status = rpc::FromGrpcStatus(stub_->campaigns->GetActiveCampaigns(
      &context, campaigns::v1::GetActiveCampaignsRequest(), &response));
  if (!status.ok()) return status;
  Active active;
  active.snapshot_version = response.snapshot_version();
  for (int i = 0; i < response.campaigns_size(); ++i) {
    absl::StatusOr<promotions::Campaign> campaign = campaigns::EngineCampaignFromProto(
        response.campaigns(i), absl::StrCat("campaigns[", i, "]."));
    if (!campaign.ok()) return campaign.status();
    active.campaigns.push_back(*std::move(campaign));
  }
  return active;
}

SnapshotLoadFailures::SnapshotLoadFailures(prometheus::Registry& registry)
    : failures_(prometheus::BuildCounter()
                    .Name("loyalty_pos_campaign_snapshot_load_failures_total")
                    .Help("Loads of a program's active campaigns that failed; pos kept pricing "
                          "with the previous snapshot, or without campaigns")
                    .Register(registry)
                    .Add({})) {}

void SnapshotLoadFailures::Record(const std::string& program_id, const absl::Status& error) {
  failures_.Increment();
  log::Warn("loading active campaigns failed",
            {{"program_id", program_id}, {"error", error.ToString()}});
}

absl::Status HandleCampaignEvent(CampaignSnapshots& snapshots, const outbox::StreamEvent& event) {
  campaigns::v1::ActiveCampaignsChanged changed;
  if (event.type != changed.GetDescriptor()->full_name()) return absl::OkStatus();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(event.payload, &changed, options).ok()) {
    log::Warn("malformed ActiveCampaignsChanged skipped", {{"event_id", event.event_id}});
    return absl::OkStatus();
  }
  snapshots.Announce(changed.program_id(), changed.snapshot_version());
  return absl::OkStatus();
}

}  // namespace loyalty::pos
