#include "services/campaigns/api/campaigns_api.h"

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/etag.h"
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
                         store_.CreateCampaign(call.program_id, campaign, request->request_id(),
                                               Author{call.principal_id}));
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

grpc::Status CampaignsApi::UpdateCampaign(grpc::ServerContext* context,
                                          const v1::UpdateCampaignRequest* request,
                                          v1::Campaign* response) {
  return rpc::HandleProgramCall(
      context, "UpdateCampaign", [&](const rpc::CallContext& call) -> absl::Status {
        if (request->request_id().size() > kMaxRequestIdBytes) {
          return InvalidField("request_id", "longer than 128 bytes");
        }
        const v1::Campaign& in = request->campaign();
        ASSIGN_OR_RETURN(std::optional<int64_t> version, ParseEtag("campaign.etag", in.etag()));
        ASSIGN_OR_RETURN(
            Campaign updated,
            store_.UpdateCampaign(call.program_id, in.campaign_id(), version, request->request_id(),
                                  Author{call.principal_id},
                                  [&](const Campaign& current, Campaign& edited) -> absl::Status {
                                    RETURN_IF_ERROR(ApplyUpdateMask(in, request->update_mask(),
                                                                    "campaign.", edited));
                                    return CheckEdit(current, edited, "campaign.");
                                  }));
        CampaignToProto(updated, response);
        return absl::OkStatus();
      });
}

grpc::Status CampaignsApi::Transition(grpc::ServerContext* context, const char* method,
                                      const std::string& campaign_id, CampaignState target,
                                      v1::Campaign* response) {
  return rpc::HandleProgramCall(context, method, [&](const rpc::CallContext& call) -> absl::Status {
    ASSIGN_OR_RETURN(Campaign campaign,
                     store_.SetState(call.program_id, campaign_id, target,
                                     [&](const Campaign& current) -> absl::Status {
                                       if (target != CampaignState::kActive) {
                                         return absl::OkStatus();
                                       }
                                       return CheckActivation(current);
                                     }));
    CampaignToProto(campaign, response);
    return absl::OkStatus();
  });
}

grpc::Status CampaignsApi::ActivateCampaign(grpc::ServerContext* context,
                                            const v1::ActivateCampaignRequest* request,
                                            v1::Campaign* response) {
  return Transition(context, "ActivateCampaign", request->campaign_id(), CampaignState::kActive,
                    response);
}

grpc::Status CampaignsApi::PauseCampaign(grpc::ServerContext* context,
                                         const v1::PauseCampaignRequest* request,
                                         v1::Campaign* response) {
  return Transition(context, "PauseCampaign", request->campaign_id(), CampaignState::kPaused,
                    response);
}

grpc::Status CampaignsApi::FinishCampaign(grpc::ServerContext* context,
                                          const v1::FinishCampaignRequest* request,
                                          v1::Campaign* response) {
  return Transition(context, "FinishCampaign", request->campaign_id(), CampaignState::kFinished,
                    response);
}

grpc::Status CampaignsApi::GetCampaignVersion(grpc::ServerContext* context,
                                              const v1::GetCampaignVersionRequest* request,
                                              v1::Campaign* response) {
  return rpc::HandleProgramCall(
      context, "GetCampaignVersion", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(
            Campaign campaign,
            store_.GetCampaignVersion(call.program_id, request->campaign_id(), request->version()));
        CampaignToProto(campaign, response);
        return absl::OkStatus();
      });
}

grpc::Status CampaignsApi::GetActiveCampaigns(grpc::ServerContext* context,
                                              const v1::GetActiveCampaignsRequest* /*request*/,
                                              v1::GetActiveCampaignsResponse* response) {
  return rpc::HandleProgramCall(
      context, "GetActiveCampaigns", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(ActiveCampaigns active, store_.GetActiveCampaigns(call.program_id));
        for (const Campaign& campaign : active.campaigns) {
          CampaignToProto(campaign, response->add_campaigns());
        }
        response->set_snapshot_version(active.snapshot_version);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::campaigns
