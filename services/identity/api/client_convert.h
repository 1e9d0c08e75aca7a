#pragma once

// Client <-> loyalty.identity.v1.Client.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "services/identity/domain/client.h"

namespace loyalty::identity {

// What a caller may set; output-only fields are ignored.
ClientProfile ProfileFromProto(const v1::Client& client);

void ClientToProto(const Client& client, v1::Client* out);

// The lower-cased client id `id`, or INVALID_ARGUMENT naming `field`
// (required, a UUID).
absl::StatusOr<std::string> RequireClientId(absl::string_view field, absl::string_view id);

}  // namespace loyalty::identity
