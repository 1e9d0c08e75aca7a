#pragma once

// HTTP/JSON <-> protobuf for one route: the request message is filled from
// the JSON body, the path variables and the query parameters as the
// `google.api.http` rule says; the response (or its response_body field) is
// printed as proto3 JSON.
//
// Every error is InvalidArgument and, when it concerns one field, names it
// with loyalty::InvalidField so that the error body carries a
// google.rpc.BadRequest.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/gateway/path_template.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace loyalty::gateway {

struct Route;

// Decoded (name, value) pairs in their order; a name may repeat.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Parses "a=1&b=x%20y&b=z" ('+' is a space). InvalidArgument on a malformed
// escape.
absl::StatusOr<QueryParams> ParseQueryString(absl::string_view query);

// Fills `request` (a message of route.method's input type, or compatible):
// body first, then path variables (which win over the body, as in
// grpc-gateway), then query parameters for the fields neither binds.
// Unknown JSON fields and unknown query parameters are rejected.
absl::Status BuildRequestMessage(const Route& route, const PathBindings& path,
                                 const QueryParams& query, absl::string_view body,
                                 google::protobuf::Message& request);

// Proto3 JSON of the response or of its response_body field; lowerCamelCase
// names, default values omitted.
absl::StatusOr<std::string> RenderResponseJson(const Route& route,
                                               const google::protobuf::Message& response);

// Turns a protobuf JSON parser error into InvalidArgument, naming the field
// it concerns when the parser says which one (exposed for tests).
absl::Status JsonParseError(absl::string_view parser_message);

}  // namespace loyalty::gateway
