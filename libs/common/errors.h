#pragma once

// One convention for errors that name the offending request field.
//
// An InvalidArgument (or other) status built here carries a
// `google.rpc.BadRequest`-shaped payload with the field path, so that gRPC
// clients get it in the status details and the gateway can put it in the
// JSON error body. The message itself starts with the field path too, which
// keeps logs readable.

#include "absl/strings/string_view.h"
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace loyalty {

// Payload key under which the field path is stored. Mirrors the type URL of
// google.rpc.BadRequest so the RPC layer can convert it one to one.
inline constexpr absl::string_view kFieldViolationPayload =
    "type.googleapis.com/google.rpc.BadRequest";

// InvalidArgument naming `field` (a dotted proto field path, e.g.
// "client.phone"): "client.phone: cannot be normalised".
absl::Status InvalidField(absl::string_view field, absl::string_view description);

// Any code, naming `field` the same way.
absl::Status FieldError(absl::StatusCode code, absl::string_view field,
                        absl::string_view description);

// The field path a status names, if any.
std::optional<std::string> ViolatedField(const absl::Status& status);

// `status` naming `to` instead of `from` when it names `from`; otherwise
// unchanged. For an API whose request calls a field differently from the
// layer that found the problem (e.g. request_id for a transfer_id).
absl::Status RenameViolatedField(const absl::Status& status, absl::string_view from,
                                 absl::string_view to);

}  // namespace loyalty
