#pragma once

// Who makes a change, from the call's metadata (the gateway sets it from
// the caller's credentials), for the audit log.

#include "libs/rpc/call_context.h"
#include "services/identity/domain/audit.h"

namespace loyalty::identity {

// Operator or API key as the gateway names it; a call without a principal
// (platform tooling on the internal API) is the system.
AuditActor AuditActorOf(const rpc::CallContext& call);

}  // namespace loyalty::identity
