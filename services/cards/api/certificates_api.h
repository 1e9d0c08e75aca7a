#pragma once

#include "loyalty/cards/v1/certificates_service.grpc.pb.h"
#include "services/cards/api/certificate_metrics.h"
#include "services/cards/storage/certificate_store.h"

namespace loyalty::cards {

// loyalty.cards.v1.CertificatesService: gift certificates for the console
// (issue, block, history) and the till (hold, post, void, redeem, refund,
// balance). Wiring them into pos's calculate/confirm is pos's work.
class CertificatesApi final : public v1::CertificatesService::Service {
 public:
  CertificatesApi(CertificateStore& store, CertificateMetrics& metrics)
      : store_(store), metrics_(metrics) {}

  grpc::Status IssueCertificate(grpc::ServerContext* context,
                                const v1::IssueCertificateRequest* request,
                                v1::Certificate* response) override;
  grpc::Status IssueCertificateBatch(grpc::ServerContext* context,
                                     const v1::IssueCertificateBatchRequest* request,
                                     v1::IssueCertificateBatchResponse* response) override;
  grpc::Status GetCertificate(grpc::ServerContext* context,
                              const v1::GetCertificateRequest* request,
                              v1::Certificate* response) override;
  grpc::Status SetCertificateStatus(grpc::ServerContext* context,
                                    const v1::SetCertificateStatusRequest* request,
                                    v1::Certificate* response) override;
  grpc::Status HoldCertificate(grpc::ServerContext* context,
                               const v1::HoldCertificateRequest* request,
                               v1::CertificateHold* response) override;
  grpc::Status PostCertificateHold(grpc::ServerContext* context,
                                   const v1::PostCertificateHoldRequest* request,
                                   v1::CertificateOperationResponse* response) override;
  grpc::Status VoidCertificateHold(grpc::ServerContext* context,
                                   const v1::VoidCertificateHoldRequest* request,
                                   v1::CertificateHold* response) override;
  grpc::Status RedeemCertificate(grpc::ServerContext* context,
                                 const v1::RedeemCertificateRequest* request,
                                 v1::CertificateOperationResponse* response) override;
  grpc::Status RefundCertificate(grpc::ServerContext* context,
                                 const v1::RefundCertificateRequest* request,
                                 v1::CertificateOperationResponse* response) override;
  grpc::Status ListCertificateOperations(grpc::ServerContext* context,
                                         const v1::ListCertificateOperationsRequest* request,
                                         v1::ListCertificateOperationsResponse* response) override;

 private:
  // Answers a money operation's result and counts it.
  void Respond(const CertificateOperationResult& result, v1::CertificateOperationResponse& out);

  CertificateStore& store_;
  CertificateMetrics& metrics_;
};

// Proto mapping, exposed for unit tests.
void ToProto(const Certificate& certificate, v1::Certificate& out);
void ToProto(const CertificateHold& hold, v1::CertificateHold& out);
void ToProto(const CertificateOperation& operation, v1::CertificateOperation& out);

}  // namespace loyalty::cards
