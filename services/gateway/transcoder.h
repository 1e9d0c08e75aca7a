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
class Descriptor;
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

// Responses of this message type are files, sent as the raw HTTP body with
// their own Content-Type and a Content-Disposition attachment name instead
// of JSON (e.g. OperationsService.DownloadOperationFile). Any method that
// returns it is treated so; the fields are read by name (content_type,
// file_name, data).
inline constexpr absl::string_view kFileMessageType = "loyalty.operations.v1.FileContent";

struct FileBody {
  std::string content_type;  // "application/octet-stream" when the message has none
  std::string file_name;     // as sent; see ContentDisposition
  std::string data;
};

bool IsFileMessage(const google::protobuf::Descriptor& type);

// The file of a kFileMessageType message; `data` is moved out of it.
// INTERNAL when the type lacks the fields or its content type could split
// a header (CR, LF or another control character).
absl::StatusOr<FileBody> TakeFileBody(google::protobuf::Message& response);

// `attachment; filename="<name>"`, the name reduced to printable ASCII
// without quotes, backslashes or path separators (each other character
// becomes '_'), "download" when nothing is left.
std::string ContentDisposition(absl::string_view file_name);

// Turns a protobuf JSON parser error into InvalidArgument, naming the field
// it concerns when the parser says which one (exposed for tests).
absl::Status JsonParseError(absl::string_view parser_message);

}  // namespace loyalty::gateway
