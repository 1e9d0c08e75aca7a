#include "services/cards/api/templates_api.h"

#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/cards/api/level_convert.h"

namespace loyalty::cards {

grpc::Status TemplatesApi::CreateTemplate(grpc::ServerContext* context,
                                          const v1::CreateTemplateRequest* request,
                                          v1::CardTemplate* response) {
  return rpc::HandleProgramCall(
      context, "CreateTemplate", [&](const rpc::CallContext& call) -> absl::Status {
        TemplateSpec spec = FromProto(request->template_());
        RETURN_IF_ERROR(NormalizeTemplateSpec(spec, "template."));
        RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
        ASSIGN_OR_RETURN(CardTemplate created,
                         templates_.Create(call.program_id, spec, request->request_id()));
        ToProto(created, *response);
        return absl::OkStatus();
      });
}

grpc::Status TemplatesApi::GetTemplate(grpc::ServerContext* context,
                                       const v1::GetTemplateRequest* request,
                                       v1::CardTemplate* response) {
  return rpc::HandleProgramCall(
      context, "GetTemplate", [&](const rpc::CallContext& call) -> absl::Status {
        std::string id = request->template_id();
        RETURN_IF_ERROR(NormalizeUuid("template_id", id));
        ASSIGN_OR_RETURN(CardTemplate found, templates_.Get(call.program_id, id));
        ToProto(found, *response);
        return absl::OkStatus();
      });
}

grpc::Status TemplatesApi::ListTemplates(grpc::ServerContext* context,
                                         const v1::ListTemplatesRequest* request,
                                         v1::ListTemplatesResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListTemplates", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(TemplatePage page,
                         templates_.List(call.program_id, page_size, request->page_token(),
                                         request->show_archived()));
        for (const CardTemplate& found : page.templates) {
          ToProto(found, *response->add_templates());
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status TemplatesApi::UpdateTemplate(grpc::ServerContext* context,
                                          const v1::UpdateTemplateRequest* request,
                                          v1::CardTemplate* response) {
  return rpc::HandleProgramCall(
      context, "UpdateTemplate", [&](const rpc::CallContext& call) -> absl::Status {
        const v1::CardTemplate& in = request->template_();
        std::string id = in.template_id();
        RETURN_IF_ERROR(NormalizeUuid("template.template_id", id));
        ASSIGN_OR_RETURN(std::optional<int64_t> version, ParseEtag("template.etag", in.etag()));
        ASSIGN_OR_RETURN(CardTemplate updated,
                         templates_.Update(
                             call.program_id, id, version, [&](TemplateSpec& spec) -> absl::Status {
                               RETURN_IF_ERROR(ApplyMask(in, request->update_mask(), spec));
                               return NormalizeTemplateSpec(spec, "template.");
                             }));
        ToProto(updated, *response);
        return absl::OkStatus();
      });
}

grpc::Status TemplatesApi::ArchiveTemplate(grpc::ServerContext* context,
                                           const v1::ArchiveTemplateRequest* request,
                                           v1::CardTemplate* response) {
  return rpc::HandleProgramCall(
      context, "ArchiveTemplate", [&](const rpc::CallContext& call) -> absl::Status {
        std::string id = request->template_id();
        RETURN_IF_ERROR(NormalizeUuid("template_id", id));
        ASSIGN_OR_RETURN(std::optional<int64_t> version, ParseEtag("etag", request->etag()));
        ASSIGN_OR_RETURN(CardTemplate archived, templates_.Archive(call.program_id, id, version));
        ToProto(archived, *response);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::cards
