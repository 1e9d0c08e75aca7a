#include "services/pos/api/certificates_client.h"

#include <utility>

#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "libs/rpc/call_context.h"
#include "libs/rpc/status.h"
#include "loyalty/cards/v1/certificates_service.grpc.pb.h"
#include "services/pos/api/peer_status.h"

namespace loyalty::pos {
namespace {

namespace cv1 = cards::v1;

// NOT_FOUND (no such certificate, hold or posting) and refusals pass
// through whole: the domain reads which field `cards` refused to tell a
// blocked certificate from one with too little on it.
absl::Status Translate(const absl::Status& status, absl::string_view call) {
  if (absl::IsNotFound(status) || absl::IsFailedPrecondition(status)) return status;
  return TranslatePeerStatus(status, "certificates", call);
}

Certificates::Info::Status StatusFromProto(cv1::CertificateStatus status) {
  switch (status) {
    case cv1::CERTIFICATE_STATUS_BLOCKED:
      return Certificates::Info::Status::kBlocked;
    case cv1::CERTIFICATE_STATUS_EXPIRED:
      return Certificates::Info::Status::kExpired;
    case cv1::CERTIFICATE_STATUS_REDEEMED:
      return Certificates::Info::Status::kRedeemed;
    default:
      return Certificates::Info::Status::kActive;
  }
}

}  // namespace

struct GrpcCertificates::Stub {
  std::unique_ptr<cv1::CertificatesService::Stub> service;
  absl::Duration timeout;

  // One call, as pos itself for the receipt's program.
  template <typename Request, typename Response>
  absl::Status Call(const std::string& program_id, const Request& request,
                    grpc::Status (cv1::CertificatesService::Stub::*method)(
                        grpc::ClientContext*, const Request&, Response*),
                    Response& response, absl::string_view name) const {
    grpc::ClientContext context;
    rpc::WriteCallContext(rpc::CallContext{.program_id = program_id,
                                           .role = "ROLE_POS",
                                           .principal_id = "pos:certificates"},
                          context);
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    return Translate(rpc::FromGrpcStatus(((*service).*method)(&context, request, &response)),
                     name);
  }
};

GrpcCertificates::GrpcCertificates(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
    : stub_(std::make_unique<Stub>(
          Stub{cv1::CertificatesService::NewStub(std::move(channel)), timeout})) {}

GrpcCertificates::~GrpcCertificates() = default;

absl::StatusOr<Certificates::Info> GrpcCertificates::Get(const std::string& program_id,
                                                         const std::string& number) {
  cv1::GetCertificateRequest request;
  request.set_number(number);
  cv1::Certificate certificate;
  if (absl::Status status = stub_->Call(program_id, request,
                                        &cv1::CertificatesService::Stub::GetCertificate,
                                        certificate, "GetCertificate");
      !status.ok()) {
    return status;
  }
  return Info{.status = StatusFromProto(certificate.status()),
              .available = certificate.available(),
              .status_reason = certificate.status_reason()};
}

absl::Status GrpcCertificates::Hold(const std::string& program_id, const std::string& number,
                                    const std::string& hold_id, int64_t amount,
                                    const std::string& reference) {
  cv1::HoldCertificateRequest request;
  request.set_number(number);
  request.set_hold_id(hold_id);
  request.set_amount(amount);
  request.set_reference(reference);
  cv1::CertificateHold hold;
  return stub_->Call(program_id, request, &cv1::CertificatesService::Stub::HoldCertificate, hold,
                     "HoldCertificate");
}

absl::Status GrpcCertificates::Post(const std::string& program_id, const std::string& number,
                                    const std::string& hold_id, int64_t amount,
                                    const std::string& request_id) {
  cv1::PostCertificateHoldRequest request;
  request.set_number(number);
  request.set_hold_id(hold_id);
  request.set_amount(amount);
  request.set_request_id(request_id);
  cv1::CertificateOperationResponse response;
  return stub_->Call(program_id, request, &cv1::CertificatesService::Stub::PostCertificateHold,
                     response, "PostCertificateHold");
}

absl::Status GrpcCertificates::Void(const std::string& program_id, const std::string& number,
                                    const std::string& hold_id) {
  cv1::VoidCertificateHoldRequest request;
  request.set_number(number);
  request.set_hold_id(hold_id);
  cv1::CertificateHold hold;
  return stub_->Call(program_id, request, &cv1::CertificatesService::Stub::VoidCertificateHold,
                     hold, "VoidCertificateHold");
}

absl::Status GrpcCertificates::Refund(const std::string& program_id, const std::string& number,
                                      const std::string& redemption_id, int64_t amount,
                                      const std::string& request_id) {
  cv1::RefundCertificateRequest request;
  request.set_number(number);
  request.set_redemption_id(redemption_id);
  request.set_amount(amount);
  request.set_request_id(request_id);
  request.set_reason("receipt refund");
  cv1::CertificateOperationResponse response;
  return stub_->Call(program_id, request, &cv1::CertificatesService::Stub::RefundCertificate,
                     response, "RefundCertificate");
}

}  // namespace loyalty::pos
