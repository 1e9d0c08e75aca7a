#include "absl/strings/string_view.h"
#include "libs/common/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace loyalty {

absl::Status FieldError(absl::StatusCode code, absl::string_view field,
                        absl::string_view description) {
  absl::Status status(code, absl::StrCat(field, ": ", description));
  // The payload holds the plain field path; the RPC layer serialises it into
  // a google.rpc.BadRequest when crossing the wire.
  status.SetPayload(kFieldViolationPayload, absl::Cord(field));
  return status;
}

absl::Status InvalidField(absl::string_view field, absl::string_view description) {
  return FieldError(absl::StatusCode::kInvalidArgument, field, description);
}

std::optional<std::string> ViolatedField(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kFieldViolationPayload);
  if (!payload) return std::nullopt;
  return std::string(*payload);
}

}  // namespace loyalty
