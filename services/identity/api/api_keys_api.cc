#include "services/identity/api/api_keys_api.h"

#include "absl/strings/ascii.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/identity/api/audit_actor.h"
#include "services/identity/domain/api_key.h"

namespace loyalty::identity {
namespace {

void ToProto(const ApiKeyRecord& record, v1::ApiKey& out) {
  out.set_api_key_id(record.key.api_key_id);
  out.set_display_name(record.key.display_name);
  api::v1::Role role = api::v1::ROLE_UNSPECIFIED;
  api::v1::Role_Parse(record.key.role, &role);
  out.set_role(role);
  out.set_store_id(record.key.store_id);
  out.set_partner_id(record.key.partner_id);
  rpc::SetTimestamp(record.create_time, out.mutable_create_time());
  if (record.revoke_time) rpc::SetTimestamp(*record.revoke_time, out.mutable_revoke_time());
}

}  // namespace

grpc::Status ApiKeysApi::CreateApiKey(grpc::ServerContext* context,
                                      const v1::CreateProgramApiKeyRequest* request,
                                      v1::CreateProgramApiKeyResponse* response) {
  return rpc::HandleProgramCall(
      context, "CreateApiKey", [&](const rpc::CallContext& call) -> absl::Status {
        ApiKey key{.program_id = call.program_id,
                   .display_name = std::string(
                       absl::StripAsciiWhitespace(request->api_key().display_name())),
                   .store_id = std::string(absl::StripAsciiWhitespace(request->api_key().store_id())),
                   .partner_id =
                       std::string(absl::StripAsciiWhitespace(request->api_key().partner_id()))};
        const api::v1::Role role = request->api_key().role();
        key.role = api::v1::Role_IsValid(role) ? api::v1::Role_Name(role) : "";
        RETURN_IF_ERROR(ValidateApiKeyBinding(key.role, key.display_name, key.store_id,
                                              key.partner_id, "api_key."));
        if (request->request_id().size() > 128) {
          return InvalidField("request_id", "longer than 128 bytes");
        }
        const std::string secret = NewApiKeySecret();
        ASSIGN_OR_RETURN(
            CreatedApiKey created,
            keys_.Create(key, HashApiKeySecret(secret), request->request_id(), AuditActorOf(call)));
        ToProto(created.record, *response->mutable_api_key());
        if (!created.replayed) response->set_secret(secret);
        return absl::OkStatus();
      });
}

grpc::Status ApiKeysApi::ListApiKeys(grpc::ServerContext* context,
                                     const v1::ListApiKeysRequest* request,
                                     v1::ListApiKeysResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListApiKeys", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(ApiKeyPage page,
                         keys_.List(call.program_id, page_size, request->page_token()));
        for (const ApiKeyRecord& record : page.keys) ToProto(record, *response->add_api_keys());
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status ApiKeysApi::RevokeApiKey(grpc::ServerContext* context,
                                      const v1::RevokeApiKeyRequest* request,
                                      v1::ApiKey* response) {
  return rpc::HandleProgramCall(
      context, "RevokeApiKey", [&](const rpc::CallContext& call) -> absl::Status {
        if (!IsUuid(request->api_key_id())) return InvalidField("api_key_id", "must be a UUID");
        ASSIGN_OR_RETURN(ApiKeyRecord revoked,
                         keys_.Revoke(call.program_id, absl::AsciiStrToLower(request->api_key_id()),
                                      AuditActorOf(call)));
        ToProto(revoked, *response);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::identity
