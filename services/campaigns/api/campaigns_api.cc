#include "services/campaigns/api/campaigns_api.h"

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/campaigns/api/convert.h"

namespace loyalty::campaigns {
namespace {

constexpr size_t kMaxRequestIdBytes = 128;

}  // namespace

grpc::Status CampaignsApi::CreateCampaign(grpc::ServerContext* context,
                                          const v1::CreateCampaignRequest* request,
                                          v1::Campaign* response) {
  return rpc::HandleProgramCall(
      context, "CreateCampaign", [&](const rpc::CallContext& call) -> absl::Status {
        if (request->request_id().size() > kMaxRequestIdBytes) {
          return InvalidField("request_id", "longer than 128 bytes");
        }
        if (!request->has_campaign()) return InvalidField("campaign", "is required");
        ASSIGN_OR_RETURN(Campaign campaign, CampaignFromProto(request->campaign(), "campaign."));
        RETURN_IF_ERROR(PrepareNewCampaign(campaign, "campaign."));
        ASSIGN_OR_RETURN(Campaign created,
                         store_.CreateCampaign(call.program_id, campaign, request->request_id()));
        CampaignToProto(created, response);
        return absl::OkStatus();
      });
}

grpc::Status CampaignsApi::GetCampaign(grpc::ServerContext* context,
                                       const v1::GetCampaignRequest* request,
                                       v1::Campaign* response) {
  return rpc::HandleProgramCall(
      context, "GetCampaign", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Campaign campaign,
                         store_.GetCampaign(call.program_id, request->campaign_id()));
        CampaignToProto(campaign, response);
        return absl::OkStatus();
      });
}

grpc::Status CampaignsApi::ListCampaigns(grpc::ServerContext* context,
                                         const v1::ListCampaignsRequest* request,
                                         v1::ListCampaignsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListCampaigns", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(CampaignPage page,
                         store_.ListCampaigns(call.program_id, page_size, request->page_token()));
        for (const Campaign& campaign : page.campaigns) {
          CampaignToProto(campaign, response->add_campaigns());
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::campaigns
