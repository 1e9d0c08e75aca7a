#pragma once

// gRPC surface of transactional messages (internal: no HTTP route).

#include "loyalty/notifications/v1/notifications_service.grpc.pb.h"
#include "services/notifications/domain/transactional_message.h"

namespace loyalty::notifications {

class TransactionalMessagesApi final : public v1::TransactionalMessageService::Service {
 public:
  explicit TransactionalMessagesApi(MessageProvider& provider) : provider_(provider) {}

  grpc::Status SendTransactionalMessage(grpc::ServerContext* context,
                                        const v1::SendTransactionalMessageRequest* request,
                                        v1::SendTransactionalMessageResponse* response) override;

 private:
  MessageProvider& provider_;
};

}  // namespace loyalty::notifications
