#pragma once

// gRPC surface of promo codes: request checks, proto <-> domain, status
// mapping.

#include "loyalty/campaigns/v1/promo_codes_service.grpc.pb.h"
#include "services/campaigns/storage/promo_code_store.h"

namespace loyalty::campaigns {

class PromoCodesApi final : public v1::PromoCodeService::Service {
 public:
  explicit PromoCodesApi(PromoCodeStore& store) : store_(store) {}

  grpc::Status CreatePromoCodePool(grpc::ServerContext* context,
                                   const v1::CreatePromoCodePoolRequest* request,
                                   v1::PromoCodePool* response) override;
  grpc::Status GetPromoCodePool(grpc::ServerContext* context,
                                const v1::GetPromoCodePoolRequest* request,
                                v1::PromoCodePool* response) override;
  grpc::Status ListPromoCodePools(grpc::ServerContext* context,
                                  const v1::ListPromoCodePoolsRequest* request,
                                  v1::ListPromoCodePoolsResponse* response) override;
  grpc::Status ArchivePromoCodePool(grpc::ServerContext* context,
                                    const v1::ArchivePromoCodePoolRequest* request,
                                    v1::PromoCodePool* response) override;
  grpc::Status GenerateCodes(grpc::ServerContext* context, const v1::GenerateCodesRequest* request,
                             v1::GenerateCodesResponse* response) override;
  grpc::Status ImportCodes(grpc::ServerContext* context, const v1::ImportCodesRequest* request,
                           v1::ImportCodesResponse* response) override;
  grpc::Status ListCodes(grpc::ServerContext* context, const v1::ListCodesRequest* request,
                         v1::ListCodesResponse* response) override;
  grpc::Status GetCode(grpc::ServerContext* context, const v1::GetCodeRequest* request,
                       v1::PromoCode* response) override;
  grpc::Status ReservePromoCode(grpc::ServerContext* context,
                                const v1::ReservePromoCodeRequest* request,
                                v1::PromoCodeReservation* response) override;
  grpc::Status ConsumeReservation(grpc::ServerContext* context,
                                  const v1::ConsumeReservationRequest* request,
                                  v1::PromoCodeReservation* response) override;
  grpc::Status ReleaseReservation(grpc::ServerContext* context,
                                  const v1::ReleaseReservationRequest* request,
                                  v1::PromoCodeReservation* response) override;
  grpc::Status IssuePromoCode(grpc::ServerContext* context,
                              const v1::IssuePromoCodeRequest* request,
                              v1::IssuedPromoCode* response) override;

 private:
  PromoCodeStore& store_;
};

}  // namespace loyalty::campaigns
