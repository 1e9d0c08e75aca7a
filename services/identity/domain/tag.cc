#include "services/identity/domain/tag.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "services/identity/domain/free_text.h"

namespace loyalty::identity {

absl::Status NormalizeTagName(absl::string_view field, std::string& name) {
  if (absl::Status status = NormalizeFreeText(field, kMaxTagNameLength, name); !status.ok()) {
    return status;
  }
  if (name.empty()) return InvalidField(field, "required");
  return absl::OkStatus();
}

absl::Status NormalizeTagColour(absl::string_view field, std::string& colour) {
  const bool hex =
      colour.size() == 7 && colour.front() == '#' &&
      std::all_of(colour.begin() + 1, colour.end(), [](char c) { return absl::ascii_isxdigit(c); });
  if (!hex) return InvalidField(field, "must be #RRGGBB, e.g. #FF8800");
  absl::AsciiStrToUpper(&colour);
  return absl::OkStatus();
}

absl::Status NormalizeTagSpec(TagSpec& spec, absl::string_view prefix) {
  if (absl::Status status = NormalizeTagName(absl::StrCat(prefix, "name"), spec.name);
      !status.ok()) {
    return status;
  }
  return NormalizeTagColour(absl::StrCat(prefix, "colour"), spec.colour);
}

absl::Status ApplyTagMask(const std::vector<std::string>& paths, const TagSpec& input,
                          TagSpec& stored) {
  if (paths.empty()) {
    stored = input;
    return absl::OkStatus();
  }
  for (const std::string& path : paths) {
    if (path == "name") {
      stored.name = input.name;
    } else if (path == "colour") {
      stored.colour = input.colour;
    } else {
      return InvalidField("update_mask",
                          absl::StrCat("unknown path '", path, "'; use name, colour"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTagLimit(int64_t existing) {
  if (existing >= kMaxTagsPerProgram) {
    return absl::FailedPreconditionError(
        absl::StrCat("the program has ", existing, " tags, the most allowed is ",
                     kMaxTagsPerProgram, "; delete unused tags first"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> NormalizeClientIds(absl::string_view field,
                                                            const std::vector<std::string>& ids) {
  if (ids.empty()) return InvalidField(field, "at least one client id is required");
  if (ids.size() > kMaxClientsPerTagCall) {
    return InvalidField(field, absl::StrCat("at most ", kMaxClientsPerTagCall, " client ids"));
  }
  std::vector<std::string> unique;
  unique.reserve(ids.size());
  absl::flat_hash_set<std::string> seen;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!IsUuid(ids[i])) return InvalidField(absl::StrCat(field, "[", i, "]"), "must be a UUID");
    std::string id = absl::AsciiStrToLower(ids[i]);
    if (seen.insert(id).second) unique.push_back(std::move(id));
  }
  return unique;
}

}  // namespace loyalty::identity
