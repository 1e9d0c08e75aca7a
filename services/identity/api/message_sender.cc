#include "services/identity/api/message_sender.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "libs/rpc/channel.h"
#include "libs/rpc/status.h"
#include "loyalty/notifications/v1/notifications_service.grpc.pb.h"

namespace loyalty::identity {

struct NotificationsMessageSender::Stub {
  std::unique_ptr<notifications::v1::TransactionalMessageService::Stub> stub;
};

NotificationsMessageSender::NotificationsMessageSender(std::unique_ptr<Stub> stub)
    : stub_(std::move(stub)) {}
NotificationsMessageSender::~NotificationsMessageSender() = default;

std::unique_ptr<NotificationsMessageSender> NotificationsMessageSender::Dial(
    const std::string& address) {
  auto stub = std::make_unique<Stub>();
  stub->stub = notifications::v1::TransactionalMessageService::NewStub(rpc::DialService(address));
  return std::unique_ptr<NotificationsMessageSender>(
      new NotificationsMessageSender(std::move(stub)));
}

absl::Status NotificationsMessageSender::Send(const rpc::CallContext& call,
                                              const OutgoingMessage& message) {
  grpc::ClientContext context;
  rpc::WriteCallContext(call, context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
  notifications::v1::SendTransactionalMessageRequest request;
  request.set_channel(message.channel == VerificationChannel::kPhone
                          ? notifications::v1::CHANNEL_SMS
                          : notifications::v1::CHANNEL_EMAIL);
  request.set_recipient(message.recipient);
  request.set_subject(message.subject);
  request.set_text(message.text);
  request.set_idempotency_key(message.idempotency_key);
  notifications::v1::SendTransactionalMessageResponse response;
  grpc::Status status = stub_->stub->SendTransactionalMessage(&context, request, &response);
  if (status.ok()) return absl::OkStatus();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::UnavailableError(
          absl::StrCat("notifications service unavailable: ", status.error_message()));
    default:
      // Whatever notifications refused is not the caller's field: a
      // configuration problem of the platform.
      return absl::FailedPreconditionError(
          absl::StrCat("the code could not be sent: ", status.error_message()));
  }
}

}  // namespace loyalty::identity
