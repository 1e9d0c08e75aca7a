#include "absl/strings/string_view.h"
#include "libs/common/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
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

absl::Status RenameViolatedField(const absl::Status& status, absl::string_view from,
                                 absl::string_view to) {
  std::optional<std::string> field = ViolatedField(status);
  if (!field || *field != from) return status;
  absl::string_view description = status.message();
  const std::string prefix = absl::StrCat(from, ": ");
  if (absl::StartsWith(description, prefix)) description.remove_prefix(prefix.size());
  return FieldError(status.code(), to, description);
}

}  // namespace loyalty
