#pragma once

// The one mapping between absl::Status and grpc::Status.

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace loyalty::rpc {

// Converts a domain status to the wire. A field named with InvalidField()
// travels as a google.rpc.BadRequest in the status details.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Converts a status received from another service back, keeping the field
// violation so that it can be passed on unchanged.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace loyalty::rpc
