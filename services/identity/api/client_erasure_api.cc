#include "services/identity/api/client_erasure_api.h"

#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/identity/api/audit_actor.h"

namespace loyalty::identity {

grpc::Status ClientErasureApi::EraseClient(grpc::ServerContext* context,
                                           const v1::EraseClientRequest* request,
                                           v1::ClientErasure* response) {
  return rpc::HandleProgramCall(
      context, "EraseClient", [&](const rpc::CallContext& call) -> absl::Status {
        ErasureRequest erasure_request{.client_id = request->client_id(),
                                       .reason = request->reason(),
                                       .request_id = request->request_id(),
                                       .erased_by = call.principal_id};
        RETURN_IF_ERROR(NormalizeErasureRequest(erasure_request));
        ASSIGN_OR_RETURN(ClientErasure erasure, store_.Erase(call.program_id, erasure_request, AuditActorOf(call)));
        response->set_client_id(erasure.client_id);
        response->set_reason(erasure.reason);
        rpc::SetTimestamp(erasure.erase_time, response->mutable_erase_time());
        response->set_erased_by(erasure.erased_by);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::identity
