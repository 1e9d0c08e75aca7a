#pragma once

// Error responses in the shape grpc-gateway uses:
//   {"code": <grpc code>, "message": "...", "details": [<Any as JSON>...]}
// with the HTTP status grpc-gateway maps each gRPC code to.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/gateway/http_types.h"

namespace loyalty::gateway {

// HTTP status for a gRPC status code (numeric, 0..16), as grpc-gateway's
// HTTPStatusFromCode; 500 for codes it does not know.
int HttpStatusFromGrpcCode(int code);

// The JSON body. `status_details` is the serialized google.rpc.Status of
// the grpc-status-details-bin trailer (may be empty); its details are
// rendered as JSON Any, or as {"@type", "value"(base64)} when the type is
// not compiled in.
std::string ErrorBody(int code, absl::string_view message, absl::string_view status_details);

// An error response for a backend's gRPC status.
HttpResponse GrpcErrorResponse(int code, absl::string_view message,
                               absl::string_view status_details);

// An error response for a gateway-originated status; a field named with
// loyalty::InvalidField becomes a google.rpc.BadRequest detail.
// `http_status` overrides the mapped status (405, 413) when non-zero.
HttpResponse StatusErrorResponse(const absl::Status& status, int http_status = 0);

}  // namespace loyalty::gateway
