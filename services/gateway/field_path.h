#pragma once

// Resolution of dotted field paths ("client.phone") against descriptors, as
// used by path variables, query parameters and `body`.

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace google::protobuf {
class Descriptor;
class FieldDescriptor;
}  // namespace google::protobuf

namespace loyalty::gateway {

// The fields along `path`. Every component but the last must be a singular
// message field. With accept_json_names, a component may also be the
// field's JSON name (lowerCamelCase), as query parameters may use either.
// InvalidArgument naming the path when a component does not resolve.
absl::StatusOr<std::vector<const google::protobuf::FieldDescriptor*>> ResolveFieldPath(
    const google::protobuf::Descriptor* type, absl::string_view path, bool accept_json_names);

// True for fields whose value can be written as one URL string: scalars,
// enums, and the well-known types whose JSON form is a string or a number
// (Timestamp, Duration, FieldMask, wrappers).
bool HasTextValue(const google::protobuf::FieldDescriptor* field);

// True for google.protobuf.*Value wrappers.
bool IsWrapper(const google::protobuf::Descriptor* type);

}  // namespace loyalty::gateway
