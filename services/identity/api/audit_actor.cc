#include "services/identity/api/audit_actor.h"

namespace loyalty::identity {

AuditActor AuditActorOf(const rpc::CallContext& call) {
  AuditActor actor{.principal_id = call.principal_id,
                   .role = call.role,
                   .request_id = call.request_id,
                   .trace_id = call.trace.trace_id};
  if (call.principal_kind == rpc::kPrincipalKindOperator) {
    actor.kind = ActorKind::kOperator;
  } else if (call.principal_kind == rpc::kPrincipalKindApiKey) {
    actor.kind = ActorKind::kApiKey;
  } else if (!call.principal_id.empty()) {
    // A caller that names a principal without its kind (an older gateway):
    // only API keys existed before operators did.
    actor.kind = ActorKind::kApiKey;
  }
  return actor;
}

}  // namespace loyalty::identity
