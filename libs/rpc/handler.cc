#include "absl/strings/string_view.h"
#include "libs/rpc/handler.h"

#include <exception>

#include "libs/common/log.h"
#include "libs/rpc/status.h"

namespace loyalty::rpc {
namespace {

bool IsServerFault(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal ||
         code == absl::StatusCode::kUnknown ||
         code == absl::StatusCode::kDataLoss ||
         code == absl::StatusCode::kUnavailable;
}

grpc::Status Run(const CallContext& context, absl::string_view method,
                 absl::FunctionRef<absl::Status(const CallContext&)> body) {
  log::ScopedContext scope(log::Context{.trace_id = context.trace.trace_id,
                                        .span_id = context.trace.parent_id,
                                        .request_id = context.request_id,
                                        .program_id = context.program_id,
                                        .method = std::string(method)});
  absl::Status status;
  try {
    status = body(context);
  } catch (const std::exception& e) {
    // Exceptions are not part of our error channel; one escaping a handler
    // is a bug, reported without taking the server down.
    status = absl::InternalError("internal error");
    log::Error("unhandled exception in handler", {{"what", e.what()}});
  }
  if (!status.ok()) {
    if (IsServerFault(status.code())) {
      log::Error("call failed", {{"code", absl::StatusCodeToString(status.code())},
                                 {"error", status.message()}});
    } else {
      log::Debug("call refused", {{"code", absl::StatusCodeToString(status.code())},
                                  {"error", status.message()}});
    }
  }
  return ToGrpcStatus(status);
}

}  // namespace

grpc::Status HandleProgramCall(
    grpc::ServerContext* server, absl::string_view method,
    absl::FunctionRef<absl::Status(const CallContext&)> body) {
  absl::StatusOr<CallContext> context = ReadProgramCallContext(*server);
  if (!context.ok()) return ToGrpcStatus(context.status());
  return Run(*context, method, body);
}

grpc::Status HandleCall(grpc::ServerContext* server, absl::string_view method,
                        absl::FunctionRef<absl::Status(const CallContext&)> body) {
  return Run(ReadCallContext(*server), method, body);
}

}  // namespace loyalty::rpc
