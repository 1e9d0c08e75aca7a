#include "services/identity/api/tags_api.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/identity/api/audit_actor.h"

namespace loyalty::identity {
namespace {

constexpr size_t kMaxRequestIdLength = 128;


TagSpec FromProto(const v1::Tag& tag) {
  return TagSpec{.name = tag.name(), .colour = tag.colour()};
}

// The lower-cased UUID `id`, or INVALID_ARGUMENT naming `field`.
absl::StatusOr<std::string> RequireUuid(absl::string_view field, absl::string_view id) {
  if (id.empty()) return InvalidField(field, "required");
  if (!IsUuid(id)) return InvalidField(field, "must be a UUID");
  return absl::AsciiStrToLower(id);
}

}  // namespace

void ToProto(const Tag& tag, v1::Tag& out) {
  out.set_tag_id(tag.tag_id);
  out.set_name(tag.spec.name);
  out.set_colour(tag.spec.colour);
  rpc::SetTimestamp(tag.create_time, out.mutable_create_time());
  rpc::SetTimestamp(tag.update_time, out.mutable_update_time());
}

grpc::Status TagsApi::CreateTag(grpc::ServerContext* context, const v1::CreateTagRequest* request,
                                v1::Tag* response) {
  return rpc::HandleProgramCall(
      context, "CreateTag", [&](const rpc::CallContext& call) -> absl::Status {
        if (request->request_id().size() > kMaxRequestIdLength) {
          return InvalidField("request_id",
                              absl::StrCat("at most ", kMaxRequestIdLength, " characters"));
        }
        TagSpec spec = FromProto(request->tag());
        RETURN_IF_ERROR(NormalizeTagSpec(spec, "tag."));
        ASSIGN_OR_RETURN(Tag created, tags_.Create(call.program_id, spec, request->request_id(),
                                                   AuditActorOf(call)));
        ToProto(created, *response);
        return absl::OkStatus();
      });
}

grpc::Status TagsApi::GetTag(grpc::ServerContext* context, const v1::GetTagRequest* request,
                             v1::Tag* response) {
  return rpc::HandleProgramCall(
      context, "GetTag", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string id, RequireUuid("tag_id", request->tag_id()));
        ASSIGN_OR_RETURN(Tag found, tags_.Get(call.program_id, id));
        ToProto(found, *response);
        return absl::OkStatus();
      });
}

grpc::Status TagsApi::ListTags(grpc::ServerContext* context, const v1::ListTagsRequest* request,
                               v1::ListTagsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListTags", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(TagPage page,
                         tags_.List(call.program_id, page_size, request->page_token()));
        for (const Tag& tag : page.tags) ToProto(tag, *response->add_tags());
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status TagsApi::UpdateTag(grpc::ServerContext* context, const v1::UpdateTagRequest* request,
                                v1::Tag* response) {
  return rpc::HandleProgramCall(
      context, "UpdateTag", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string id, RequireUuid("tag.tag_id", request->tag().tag_id()));
        const std::vector<std::string> paths(request->update_mask().paths().begin(),
                                             request->update_mask().paths().end());
        const TagSpec input = FromProto(request->tag());
        ASSIGN_OR_RETURN(Tag updated, tags_.Update(
                                          call.program_id, id,
                                          [&](TagSpec& spec) -> absl::Status {
                                            RETURN_IF_ERROR(ApplyTagMask(paths, input, spec));
                                            return NormalizeTagSpec(spec, "tag.");
                                          },
                                          AuditActorOf(call)));
        ToProto(updated, *response);
        return absl::OkStatus();
      });
}

grpc::Status TagsApi::DeleteTag(grpc::ServerContext* context, const v1::DeleteTagRequest* request,
                                v1::DeleteTagResponse* response) {
  return rpc::HandleProgramCall(
      context, "DeleteTag", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string id, RequireUuid("tag_id", request->tag_id()));
        ASSIGN_OR_RETURN(int64_t removed, tags_.Delete(call.program_id, id, AuditActorOf(call)));
        response->set_tag_id(id);
        response->set_removed_assignments(removed);
        return absl::OkStatus();
      });
}

grpc::Status TagsApi::AssignTag(grpc::ServerContext* context,
                                const v1::ChangeTagClientsRequest* request,
                                v1::ChangeTagClientsResponse* response) {
  return ChangeClients(context, "AssignTag", *request, /*add=*/true, *response);
}

grpc::Status TagsApi::RemoveTag(grpc::ServerContext* context,
                                const v1::ChangeTagClientsRequest* request,
                                v1::ChangeTagClientsResponse* response) {
  return ChangeClients(context, "RemoveTag", *request, /*add=*/false, *response);
}

grpc::Status TagsApi::ChangeClients(grpc::ServerContext* context, absl::string_view method,
                                    const v1::ChangeTagClientsRequest& request, bool add,
                                    v1::ChangeTagClientsResponse& response) {
  return rpc::HandleProgramCall(context, method, [&](const rpc::CallContext& call) -> absl::Status {
    ASSIGN_OR_RETURN(std::string id, RequireUuid("tag_id", request.tag_id()));
    const std::vector<std::string> sent(request.client_ids().begin(), request.client_ids().end());
    ASSIGN_OR_RETURN(std::vector<std::string> clients, NormalizeClientIds("client_ids", sent));
    ASSIGN_OR_RETURN(TagChangeResult result,
                     tags_.ChangeClients(call.program_id, id, clients, add, AuditActorOf(call)));
    response.set_changed(result.changed);
    response.set_unchanged(result.unchanged);
    for (const std::string& unknown : result.unknown_client_ids) {
      v1::ClientIdError* error = response.add_errors();
      error->set_client_id(unknown);
      error->set_code(static_cast<int32_t>(absl::StatusCode::kNotFound));
      error->set_message("no such client in this program");
    }
    return absl::OkStatus();
  });
}

grpc::Status TagsApi::ListClientTags(grpc::ServerContext* context,
                                     const v1::ListClientTagsRequest* request,
                                     v1::ListClientTagsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListClientTags", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string id, RequireUuid("client_id", request->client_id()));
        ASSIGN_OR_RETURN(std::vector<Tag> tags, tags_.ListOfClient(call.program_id, id));
        for (const Tag& tag : tags) ToProto(tag, *response->add_tags());
        return absl::OkStatus();
      });
}

grpc::Status TagsApi::ListTagClients(grpc::ServerContext* context,
                                     const v1::ListTagClientsRequest* request,
                                     v1::ListTagClientsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListTagClients", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string id, RequireUuid("tag_id", request->tag_id()));
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(TagAssignmentPage page,
                         tags_.ListClients(call.program_id, id, page_size, request->page_token()));
        for (const TagAssignment& assignment : page.assignments) {
          v1::TagAssignment* out = response->add_assignments();
          out->set_client_id(assignment.client_id);
          rpc::SetTimestamp(assignment.assign_time, out->mutable_assign_time());
          out->set_assigned_by(assignment.assigned_by);
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::identity
