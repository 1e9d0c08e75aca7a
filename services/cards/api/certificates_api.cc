#include "services/cards/api/certificates_api.h"

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/cards/api/convert.h"

namespace loyalty::cards {
namespace {

// The domain enums mirror the proto ones value for value.
static_assert(static_cast<int>(CertificateStatus::kRedeemed) == v1::CERTIFICATE_STATUS_REDEEMED);
static_assert(static_cast<int>(CertificateStatus::kBlocked) == v1::CERTIFICATE_STATUS_BLOCKED);
static_assert(static_cast<int>(CertificateOperationKind::kRefund) ==
              v1::CERTIFICATE_OPERATION_KIND_REFUND);
static_assert(static_cast<int>(CertificateOperationKind::kRedemption) ==
              v1::CERTIFICATE_OPERATION_KIND_REDEMPTION);

// A required timestamp field, range-checked.
absl::StatusOr<absl::Time> RequiredTime(bool present, const google::protobuf::Timestamp& time,
                                        absl::string_view field) {
  if (!present) return InvalidField(field, "required");
  return rpc::TimeFromProto(time, field);
}

}  // namespace

void ToProto(const Certificate& certificate, v1::Certificate& out) {
  out.set_number(certificate.number);
  out.set_nominal(certificate.nominal);
  out.set_balance(certificate.balance);
  out.set_held(certificate.held);
  out.set_available(certificate.available);
  out.set_status(static_cast<v1::CertificateStatus>(certificate.status));
  out.set_status_reason(certificate.status_reason);
  if (certificate.status_change_time) {
    rpc::SetTimestamp(*certificate.status_change_time, out.mutable_status_change_time());
  }
  rpc::SetTimestamp(certificate.expire_time, out.mutable_expire_time());
  rpc::SetTimestamp(certificate.create_time, out.mutable_create_time());
  out.set_sold_store_id(certificate.sold_store_id);
  out.set_batch_id(certificate.batch_id);
}

void ToProto(const CertificateHold& hold, v1::CertificateHold& out) {
  out.set_hold_id(hold.hold_id);
  out.set_number(hold.number);
  out.set_amount(hold.amount);
  out.set_state(ToProto(hold.state));
  rpc::SetTimestamp(hold.expire_time, out.mutable_expire_time());
  out.set_posted_operation_id(hold.posted_operation_id);
}

void ToProto(const CertificateOperation& operation, v1::CertificateOperation& out) {
  out.set_operation_id(operation.operation_id);
  out.set_kind(static_cast<v1::CertificateOperationKind>(operation.kind));
  out.set_amount(operation.amount);
  out.set_balance_after(operation.balance_after);
  out.set_hold_id(operation.hold_id);
  out.set_refund_of(operation.refund_of);
  out.set_store_id(operation.store_id);
  out.set_reference(operation.reference);
  out.set_reason(operation.reason);
  out.set_actor(operation.actor);
  rpc::SetTimestamp(operation.create_time, out.mutable_create_time());
}

void CertificatesApi::Respond(const CertificateOperationResult& result,
                              v1::CertificateOperationResponse& out) {
  metrics_.RecordOperation(result.operation);
  ToProto(result.operation, *out.mutable_operation());
  out.set_replayed(result.operation.replayed);
  ToProto(result.certificate, *out.mutable_certificate());
}

grpc::Status CertificatesApi::IssueCertificate(grpc::ServerContext* context,
                                               const v1::IssueCertificateRequest* request,
                                               v1::Certificate* response) {
  return rpc::HandleProgramCall(
      context, "IssueCertificate", [&](const rpc::CallContext& call) -> absl::Status {
        IssueCertificateInput input{.number = request->number(),
                                    .nominal = request->nominal(),
                                    .store_id = request->sold_store_id(),
                                    .request_id = request->request_id()};
        ASSIGN_OR_RETURN(input.expire_time, RequiredTime(request->has_expire_time(),
                                                         request->expire_time(), "expire_time"));
        absl::StatusOr<Certificate> issued =
            store_.Issue(call.program_id, std::move(input), call.principal_id);
        if (!issued.ok()) return RenameViolatedField(issued.status(), "store_id", "sold_store_id");
        ToProto(*issued, *response);
        return absl::OkStatus();
      });
}

grpc::Status CertificatesApi::IssueCertificateBatch(grpc::ServerContext* context,
                                                    const v1::IssueCertificateBatchRequest* request,
                                                    v1::IssueCertificateBatchResponse* response) {
  return rpc::HandleProgramCall(
      context, "IssueCertificateBatch", [&](const rpc::CallContext& call) -> absl::Status {
        CertificateBatchInput input{.request_id = request->request_id(),
                                    .count = request->count(),
                                    .nominal = request->nominal(),
                                    .store_id = request->sold_store_id()};
        if (request->has_number_range()) {
          input.range = CardNumberRange{
              .first_number = request->number_range().first_number(),
              .append_ean13_check_digit = request->number_range().append_ean13_check_digit()};
        }
        ASSIGN_OR_RETURN(input.expire_time, RequiredTime(request->has_expire_time(),
                                                         request->expire_time(), "expire_time"));
        absl::StatusOr<CertificateBatch> batch =
            store_.IssueBatch(call.program_id, std::move(input), call.principal_id);
        if (!batch.ok()) return RenameViolatedField(batch.status(), "store_id", "sold_store_id");
        response->set_batch_id(batch->batch_id);
        for (const std::string& number : batch->numbers) response->add_numbers(number);
        return absl::OkStatus();
      });
}

grpc::Status CertificatesApi::GetCertificate(grpc::ServerContext* context,
                                             const v1::GetCertificateRequest* request,
                                             v1::Certificate* response) {
  return rpc::HandleProgramCall(
      context, "GetCertificate", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Certificate certificate, store_.Get(call.program_id, request->number()));
        ToProto(certificate, *response);
        return absl::OkStatus();
      });
}

grpc::Status CertificatesApi::SetCertificateStatus(grpc::ServerContext* context,
                                                   const v1::SetCertificateStatusRequest* request,
                                                   v1::Certificate* response) {
  return rpc::HandleProgramCall(
      context, "SetCertificateStatus", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Certificate certificate,
                         store_.SetStatus(call.program_id, request->number(),
                                          static_cast<CertificateStatus>(request->status()),
                                          request->reason(), call.principal_id));
        ToProto(certificate, *response);
        return absl::OkStatus();
      });
}

grpc::Status CertificatesApi::HoldCertificate(grpc::ServerContext* context,
                                              const v1::HoldCertificateRequest* request,
                                              v1::CertificateHold* response) {
  return rpc::HandleProgramCall(
      context, "HoldCertificate", [&](const rpc::CallContext& call) -> absl::Status {
        // Bounded before converting, so that no overflow hides a bad value.
        if (request->ttl_seconds() < 0 ||
            request->ttl_seconds() > absl::ToInt64Seconds(kMaxHoldTtl)) {
          return InvalidField("ttl_seconds",
                              absl::StrCat("must be 0..", absl::ToInt64Seconds(kMaxHoldTtl)));
        }
        ASSIGN_OR_RETURN(
            CertificateHold hold,
            store_.Hold(call.program_id,
                        CertificateHoldRequest{.hold_id = request->hold_id(),
                                               .number = request->number(),
                                               .amount = request->amount(),
                                               .ttl = absl::Seconds(request->ttl_seconds()),
                                               .store_id = call.store_id,
                                               .reference = request->reference()}));
        ToProto(hold, *response);
        return absl::OkStatus();
      });
}

grpc::Status CertificatesApi::PostCertificateHold(grpc::ServerContext* context,
                                                  const v1::PostCertificateHoldRequest* request,
                                                  v1::CertificateOperationResponse* response) {
  return rpc::HandleProgramCall(
      context, "PostCertificateHold", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(
            CertificateOperationResult result,
            store_.PostHold(call.program_id,
                            PostCertificateHoldRequest{.request_id = request->request_id(),
                                                       .number = request->number(),
                                                       .hold_id = request->hold_id(),
                                                       .amount = request->amount()},
                            call.principal_id));
        Respond(result, *response);
        return absl::OkStatus();
      });
}

grpc::Status CertificatesApi::VoidCertificateHold(grpc::ServerContext* context,
                                                  const v1::VoidCertificateHoldRequest* request,
                                                  v1::CertificateHold* response) {
  return rpc::HandleProgramCall(
      context, "VoidCertificateHold", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(CertificateHold hold,
                         store_.VoidHold(call.program_id, request->number(), request->hold_id()));
        ToProto(hold, *response);
        return absl::OkStatus();
      });
}

grpc::Status CertificatesApi::RedeemCertificate(grpc::ServerContext* context,
                                                const v1::RedeemCertificateRequest* request,
                                                v1::CertificateOperationResponse* response) {
  return rpc::HandleProgramCall(
      context, "RedeemCertificate", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(CertificateOperationResult result,
                         store_.Redeem(call.program_id,
                                       RedeemCertificateRequest{.request_id = request->request_id(),
                                                                .number = request->number(),
                                                                .amount = request->amount(),
                                                                .store_id = call.store_id,
                                                                .reference = request->reference()},
                                       call.principal_id));
        Respond(result, *response);
        return absl::OkStatus();
      });
}

grpc::Status CertificatesApi::RefundCertificate(grpc::ServerContext* context,
                                                const v1::RefundCertificateRequest* request,
                                                v1::CertificateOperationResponse* response) {
  return rpc::HandleProgramCall(
      context, "RefundCertificate", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(
            CertificateOperationResult result,
            store_.Refund(call.program_id,
                          RefundCertificateRequest{.request_id = request->request_id(),
                                                   .number = request->number(),
                                                   .redemption_id = request->redemption_id(),
                                                   .amount = request->amount(),
                                                   .reason = request->reason(),
                                                   .store_id = call.store_id},
                          call.principal_id));
        Respond(result, *response);
        return absl::OkStatus();
      });
}

grpc::Status CertificatesApi::ListCertificateOperations(
    grpc::ServerContext* context, const v1::ListCertificateOperationsRequest* request,
    v1::ListCertificateOperationsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListCertificateOperations", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(CertificateOperationsPage page,
                         store_.ListOperations(call.program_id, request->number(), page_size,
                                               request->page_token()));
        for (const CertificateOperation& operation : page.operations) {
          ToProto(operation, *response->add_operations());
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::cards
