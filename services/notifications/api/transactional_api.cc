#include "services/notifications/api/transactional_api.h"

#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"

namespace loyalty::notifications {

grpc::Status TransactionalMessagesApi::SendTransactionalMessage(
    grpc::ServerContext* context, const v1::SendTransactionalMessageRequest* request,
    v1::SendTransactionalMessageResponse* response) {
  return rpc::HandleProgramCall(
      context, "SendTransactionalMessage", [&](const rpc::CallContext&) -> absl::Status {
        if (request->channel() != v1::CHANNEL_SMS && request->channel() != v1::CHANNEL_EMAIL) {
          return InvalidField("channel", "SMS or EMAIL is required");
        }
        TransactionalMessage message{
            .channel = request->channel() == v1::CHANNEL_SMS ? Channel::kSms : Channel::kEmail,
            .recipient = request->recipient(),
            .subject = request->subject(),
            .text = request->text(),
            .idempotency_key = request->idempotency_key()};
        RETURN_IF_ERROR(ValidateTransactionalMessage(message));
        // The text is never logged: it carries one-time codes.
        ASSIGN_OR_RETURN(std::string message_id, provider_.Deliver(message));
        response->set_message_id(message_id);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::notifications
