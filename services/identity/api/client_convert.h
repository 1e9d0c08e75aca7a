#pragma once

// Client <-> loyalty.identity.v1.Client.

#include "loyalty/identity/v1/identity_service.pb.h"
#include "services/identity/domain/client.h"

namespace loyalty::identity {

// What a caller may set; output-only fields are ignored.
ClientProfile ProfileFromProto(const v1::Client& client);

void ClientToProto(const Client& client, v1::Client* out);

}  // namespace loyalty::identity
