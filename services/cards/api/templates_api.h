#pragma once

#include "loyalty/cards/v1/templates_service.grpc.pb.h"
#include "services/cards/storage/template_store.h"

namespace loyalty::cards {

// loyalty.cards.v1.TemplatesService: card templates (CRD-1).
class TemplatesApi final : public v1::TemplatesService::Service {
 public:
  explicit TemplatesApi(TemplateStore& templates) : templates_(templates) {}

  grpc::Status CreateTemplate(grpc::ServerContext* context,
                              const v1::CreateTemplateRequest* request,
                              v1::CardTemplate* response) override;
  grpc::Status GetTemplate(grpc::ServerContext* context, const v1::GetTemplateRequest* request,
                           v1::CardTemplate* response) override;
  grpc::Status ListTemplates(grpc::ServerContext* context, const v1::ListTemplatesRequest* request,
                             v1::ListTemplatesResponse* response) override;
  grpc::Status UpdateTemplate(grpc::ServerContext* context,
                              const v1::UpdateTemplateRequest* request,
                              v1::CardTemplate* response) override;
  grpc::Status ArchiveTemplate(grpc::ServerContext* context,
                               const v1::ArchiveTemplateRequest* request,
                               v1::CardTemplate* response) override;

 private:
  TemplateStore& templates_;
};

}  // namespace loyalty::cards
