#pragma once

// gRPC surface of `campaigns`: proto <-> domain, status mapping.

#include "loyalty/campaigns/v1/campaigns_service.grpc.pb.h"
#include "services/campaigns/storage/campaign_store.h"

namespace loyalty::campaigns {

class CampaignsApi final : public v1::CampaignService::Service {
 public:
  explicit CampaignsApi(CampaignStore& store) : store_(store) {}

  grpc::Status CreateCampaign(grpc::ServerContext* context,
                              const v1::CreateCampaignRequest* request,
                              v1::Campaign* response) override;
  grpc::Status GetCampaign(grpc::ServerContext* context, const v1::GetCampaignRequest* request,
                           v1::Campaign* response) override;
  grpc::Status ListCampaigns(grpc::ServerContext* context, const v1::ListCampaignsRequest* request,
                             v1::ListCampaignsResponse* response) override;
  grpc::Status UpdateCampaign(grpc::ServerContext* context,
                              const v1::UpdateCampaignRequest* request,
                              v1::Campaign* response) override;
  grpc::Status ActivateCampaign(grpc::ServerContext* context,
                                const v1::ActivateCampaignRequest* request,
                                v1::Campaign* response) override;
  grpc::Status PauseCampaign(grpc::ServerContext* context, const v1::PauseCampaignRequest* request,
                             v1::Campaign* response) override;
  grpc::Status FinishCampaign(grpc::ServerContext* context,
                              const v1::FinishCampaignRequest* request,
                              v1::Campaign* response) override;
  grpc::Status GetCampaignVersion(grpc::ServerContext* context,
                                  const v1::GetCampaignVersionRequest* request,
                                  v1::Campaign* response) override;
  grpc::Status GetActiveCampaigns(grpc::ServerContext* context,
                                  const v1::GetActiveCampaignsRequest* request,
                                  v1::GetActiveCampaignsResponse* response) override;

 private:
  // The three lifecycle calls differ only in the target state.
  grpc::Status Transition(grpc::ServerContext* context, const char* method,
                          const std::string& campaign_id, CampaignState target,
                          v1::Campaign* response);

  CampaignStore& store_;
};

}  // namespace loyalty::campaigns
