#include "libs/common/etag.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"

namespace loyalty {

std::string EtagOf(int64_t version) { return absl::StrCat(version); }

absl::StatusOr<std::optional<int64_t>> ParseEtag(absl::string_view field, absl::string_view etag) {
  if (etag.empty()) return std::optional<int64_t>();
  int64_t version = 0;
  if (!absl::SimpleAtoi(etag, &version) || version <= 0 || EtagOf(version) != etag) {
    return InvalidField(field, "not an etag this service returned");
  }
  return std::optional<int64_t>(version);
}

absl::Status CheckVersion(absl::string_view field, std::optional<int64_t> expected,
                          int64_t stored) {
  if (expected && *expected != stored) {
    return FieldError(absl::StatusCode::kAborted, field,
                      "changed since it was read; read it again and retry");
  }
  return absl::OkStatus();
}

}  // namespace loyalty
