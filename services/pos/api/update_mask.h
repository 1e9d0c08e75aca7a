#pragma once

// Update masks of the pos Update methods: each method lists the paths it
// changes with how to copy each from the request, and ApplyUpdateMask
// copies the ones a mask names (all of them when it names none).

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/field_mask.pb.h"
#include "libs/common/errors.h"

namespace loyalty::pos {

template <typename From, typename To>
struct MaskPath {
  const char* path;
  void (*copy)(const From& in, To& out);
};

// InvalidField("update_mask") for a path the method does not change.
template <typename From, typename To, size_t N>
absl::Status ApplyUpdateMask(const From& in, const google::protobuf::FieldMask& mask,
                             const MaskPath<From, To> (&paths)[N], To& out) {
  if (mask.paths().empty()) {
    for (const auto& path : paths) path.copy(in, out);
    return absl::OkStatus();
  }
  for (const std::string& wanted : mask.paths()) {
    auto found = std::find_if(std::begin(paths), std::end(paths),
                              [&](const auto& path) { return wanted == path.path; });
    if (found == std::end(paths)) {
      return InvalidField("update_mask", absl::StrCat("'", wanted, "' is not a field to update"));
    }
    found->copy(in, out);
  }
  return absl::OkStatus();
}

}  // namespace loyalty::pos
