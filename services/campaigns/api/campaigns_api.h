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
  grpc::Status GetCampaign(grpc::ServerContext* context,
                           const v1::GetCampaignRequest* request,
                           v1::Campaign* response) override;
  grpc::Status ListCampaigns(grpc::ServerContext* context,
                             const v1::ListCampaignsRequest* request,
                             v1::ListCampaignsResponse* response) override;

 private:
  CampaignStore& store_;
};

}  // namespace loyalty::campaigns
