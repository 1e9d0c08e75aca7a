#pragma once

// The common frame of every RPC handler: context, logging, status mapping.

#include "absl/strings/string_view.h"
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "libs/rpc/call_context.h"

namespace loyalty::rpc {

// For methods scoped to a program (nearly all): refuses calls that name no
// program, installs the request's log context, runs `body`, logs failures
// that are the server's fault and maps the status to gRPC.
grpc::Status HandleProgramCall(
    grpc::ServerContext* server, absl::string_view method,
    absl::FunctionRef<absl::Status(const CallContext&)> body);

// For platform-level methods that act on no particular program.
grpc::Status HandleCall(grpc::ServerContext* server, absl::string_view method,
                        absl::FunctionRef<absl::Status(const CallContext&)> body);

}  // namespace loyalty::rpc
