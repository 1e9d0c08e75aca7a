#pragma once

// gRPC surface of `notifications`: proto <-> domain, status mapping.

#include "loyalty/notifications/v1/notifications_service.grpc.pb.h"
#include "services/notifications/storage/template_store.h"

namespace loyalty::notifications {

class NotificationsApi final : public v1::NotificationService::Service {
 public:
  explicit NotificationsApi(TemplateStore& store) : store_(store) {}

  grpc::Status CreateTemplate(grpc::ServerContext* context,
                              const v1::CreateTemplateRequest* request,
                              v1::Template* response) override;
  grpc::Status GetTemplate(grpc::ServerContext* context,
                           const v1::GetTemplateRequest* request,
                           v1::Template* response) override;
  grpc::Status ListTemplates(grpc::ServerContext* context,
                             const v1::ListTemplatesRequest* request,
                             v1::ListTemplatesResponse* response) override;

 private:
  TemplateStore& store_;
};

}  // namespace loyalty::notifications
