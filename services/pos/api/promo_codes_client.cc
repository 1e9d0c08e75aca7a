#include "services/pos/api/promo_codes_client.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "grpcpp/grpcpp.h"
#include "libs/rpc/call_context.h"
#include "libs/rpc/proto_convert.h"
#include "libs/rpc/status.h"
#include "loyalty/campaigns/v1/promo_codes_service.grpc.pb.h"
#include "services/pos/api/peer_status.h"

namespace loyalty::pos {
namespace {

namespace cv1 = campaigns::v1;

rpc::CallContext PosCall(const std::string& program_id) {
  return rpc::CallContext{
      .program_id = program_id, .role = "ROLE_POS", .principal_id = "pos:promo-codes"};
}

PromoCodes::Reservation::State StateFromProto(cv1::PromoCodeReservationState state) {
  switch (state) {
    case cv1::PROMO_CODE_RESERVATION_STATE_CONSUMED:
      return PromoCodes::Reservation::State::kConsumed;
    case cv1::PROMO_CODE_RESERVATION_STATE_RELEASED:
      return PromoCodes::Reservation::State::kReleased;
    default:
      return PromoCodes::Reservation::State::kReserved;
  }
}

// A reservation id pos stored but `campaigns` does not know leaves
// nothing to consume: the receipt must be calculated again, as for a lapsed
// one.
absl::Status Translate(const absl::Status& status, absl::string_view call) {
  if (absl::IsNotFound(status)) return absl::FailedPreconditionError(status.message());
  return TranslatePeerStatus(status, "promo codes", call);
}

}  // namespace

PromoCodes::Refusal RefusalFromStatus(const absl::Status& status) {
  if (absl::IsNotFound(status) || absl::IsInvalidArgument(status)) {
    return {.outcome = PromoCodeOutcome::kUnknown, .reason = "not a code of this program"};
  }
  std::string reason(absl::StripPrefix(status.message(), "code: "));
  PromoCodeOutcome outcome = PromoCodeOutcome::kRefused;
  if (absl::StrContains(reason, "expired") || absl::StrContains(reason, "not valid yet")) {
    outcome = PromoCodeOutcome::kExpired;
  } else if (absl::StrContains(reason, "used up")) {
    outcome = PromoCodeOutcome::kExhausted;
  } else if (absl::StrContains(reason, "maximum number of times")) {
    outcome = PromoCodeOutcome::kClientLimit;
  }
  return {.outcome = outcome, .reason = std::move(reason)};
}

struct GrpcPromoCodes::Stub {
  std::unique_ptr<cv1::PromoCodeService::Stub> service;
};

GrpcPromoCodes::GrpcPromoCodes(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
    : stub_(std::make_unique<Stub>(Stub{cv1::PromoCodeService::NewStub(channel)})),
      timeout_(timeout) {}

GrpcPromoCodes::~GrpcPromoCodes() = default;

absl::StatusOr<PromoCodes::ReserveResult> GrpcPromoCodes::Reserve(const std::string& program_id,
                                                                  const ReserveRequest& request) {
  grpc::ClientContext context;
  rpc::WriteCallContext(PosCall(program_id), context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  cv1::ReservePromoCodeRequest message;
  message.set_code(request.code);
  message.set_client_id(request.client_id);
  message.set_reservation_id(request.reservation_id);
  message.set_receipt_reference(request.receipt_reference);
  cv1::PromoCodeReservation reservation;
  absl::Status status =
      rpc::FromGrpcStatus(stub_->service->ReservePromoCode(&context, message, &reservation));
  if (absl::IsNotFound(status) || absl::IsFailedPrecondition(status) ||
      (absl::IsInvalidArgument(status) && absl::StartsWith(status.message(), "code:"))) {
    return ReserveResult{.refusal = RefusalFromStatus(status)};
  }
  if (!status.ok()) return Translate(status, "ReservePromoCode");
  return ReserveResult{.reservation = Reservation{
                           .state = StateFromProto(reservation.state()),
                           .pool_id = reservation.pool_id(),
                           .campaign_id = reservation.campaign_id(),
                           .expire_time = absl::FromUnixSeconds(reservation.expire_time().seconds()) +
                                          absl::Nanoseconds(reservation.expire_time().nanos())}};
}

// Consume and release: same shape, idempotent by reservation id.
template <typename Request, typename Method>
absl::Status GrpcPromoCodes::OnReservation(const std::string& program_id,
                                           const std::string& reservation_id, Method method,
                                           absl::string_view call) {
  grpc::ClientContext context;
  rpc::WriteCallContext(PosCall(program_id), context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  Request message;
  message.set_reservation_id(reservation_id);
  cv1::PromoCodeReservation reservation;
  return Translate(
      rpc::FromGrpcStatus(((*stub_->service).*method)(&context, message, &reservation)), call);
}

absl::Status GrpcPromoCodes::Consume(const std::string& program_id,
                                     const std::string& reservation_id) {
  return OnReservation<cv1::ConsumeReservationRequest>(
      program_id, reservation_id, &cv1::PromoCodeService::Stub::ConsumeReservation,
      "ConsumeReservation");
}

absl::Status GrpcPromoCodes::Release(const std::string& program_id,
                                     const std::string& reservation_id) {
  return OnReservation<cv1::ReleaseReservationRequest>(
      program_id, reservation_id, &cv1::PromoCodeService::Stub::ReleaseReservation,
      "ReleaseReservation");
}

absl::StatusOr<std::string> GrpcPromoCodes::Issue(const std::string& program_id,
                                                  const std::string& pool_id,
                                                  const std::string& client_id,
                                                  const std::string& issue_id) {
  grpc::ClientContext context;
  rpc::WriteCallContext(PosCall(program_id), context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  cv1::IssuePromoCodeRequest request;
  request.set_pool_id(pool_id);
  request.set_client_id(client_id);
  request.set_issue_id(issue_id);
  cv1::IssuedPromoCode issued;
  absl::Status status =
      rpc::FromGrpcStatus(stub_->service->IssuePromoCode(&context, request, &issued));
  if (!status.ok()) return status;
  return issued.code();
}

}  // namespace loyalty::pos
