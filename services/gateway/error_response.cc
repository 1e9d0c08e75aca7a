#include "services/gateway/error_response.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "libs/common/json.h"
#include "libs/rpc/status.h"

namespace loyalty::gateway {

int HttpStatusFromGrpcCode(int code) {
  switch (code) {
    case 0:
      return 200;  // OK
    case 1:
      return 499;  // CANCELLED
    case 2:
      return 500;  // UNKNOWN
    case 3:
      return 400;  // INVALID_ARGUMENT
    case 4:
      return 504;  // DEADLINE_EXCEEDED
    case 5:
      return 404;  // NOT_FOUND
    case 6:
      return 409;  // ALREADY_EXISTS
    case 7:
      return 403;  // PERMISSION_DENIED
    case 8:
      return 429;  // RESOURCE_EXHAUSTED
    case 9:
      return 400;  // FAILED_PRECONDITION
    case 10:
      return 409;  // ABORTED
    case 11:
      return 400;  // OUT_OF_RANGE
    case 12:
      return 501;  // UNIMPLEMENTED
    case 13:
      return 500;  // INTERNAL
    case 14:
      return 503;  // UNAVAILABLE
    case 15:
      return 500;  // DATA_LOSS
    case 16:
      return 401;  // UNAUTHENTICATED
    default:
      return 500;
  }
}

std::string ErrorBody(int code, absl::string_view message, absl::string_view status_details) {
  std::string body = absl::StrCat("{\"code\":", code, ",\"message\":");
  AppendJsonString(body, message);
  body += ",\"details\":[";
  google::rpc::Status details;
  if (!status_details.empty() && details.ParseFromString(std::string(status_details))) {
    google::protobuf::util::JsonPrintOptions options;
    bool first = true;
    for (const google::protobuf::Any& any : details.details()) {
      std::string json;
      if (!google::protobuf::util::MessageToJsonString(any, &json, options).ok()) {
        // A detail type this binary does not know: keep it opaque rather
        // than drop it.
        json = "{\"@type\":";
        AppendJsonString(json, any.type_url());
        json += ",\"value\":";
        AppendJsonString(json, absl::Base64Escape(any.value()));
        json += "}";
      }
      if (!first) body += ",";
      first = false;
      body += json;
    }
  }
  body += "]}";
  return body;
}

HttpResponse GrpcErrorResponse(int code, absl::string_view message,
                               absl::string_view status_details) {
  HttpResponse response;
  response.status = HttpStatusFromGrpcCode(code);
  response.body = ErrorBody(code, message, status_details);
  return response;
}

HttpResponse StatusErrorResponse(const absl::Status& status, int http_status) {
  // The RPC layer's conversion is the one place a field violation becomes a
  // google.rpc.BadRequest; reuse it so both paths render alike.
  grpc::Status wire = loyalty::rpc::ToGrpcStatus(status);
  HttpResponse response = GrpcErrorResponse(static_cast<int>(wire.error_code()),
                                            wire.error_message(), wire.error_details());
  if (http_status != 0) response.status = http_status;
  return response;
}

}  // namespace loyalty::gateway
