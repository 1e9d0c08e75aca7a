#include "services/segmentation/domain/segment.h"

#include <unordered_set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"

namespace loyalty::segmentation {

int CountChars(absl::string_view text) {
  int count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

absl::Status PrepareNewSegment(Segment& segment, absl::string_view field_prefix) {
  segment.name = std::string(absl::StripAsciiWhitespace(segment.name));
  int chars = CountChars(segment.name);
  if (chars < 1 || chars > kMaxNameChars) {
    return InvalidField(absl::StrCat(field_prefix, "name"),
                        absl::StrCat("must be 1..", kMaxNameChars, " characters"));
  }
  return absl::OkStatus();
}

absl::StatusOr<MemberBatch> PrepareMemberBatch(const std::vector<std::string>& client_ids) {
  if (client_ids.empty() || client_ids.size() > static_cast<size_t>(kMaxMembersPerCall)) {
    return InvalidField("client_ids",
                        absl::StrCat("must hold 1..", kMaxMembersPerCall, " client ids"));
  }
  MemberBatch batch;
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < client_ids.size(); ++i) {
    if (!IsUuid(client_ids[i])) {
      return InvalidField(absl::StrCat("client_ids[", i, "]"), "not a UUID");
    }
    std::string id = absl::AsciiStrToLower(client_ids[i]);
    if (!seen.insert(id).second) continue;
    batch.client_ids.push_back(std::move(id));
    batch.request_index.push_back(static_cast<int>(i));
  }
  return batch;
}

}  // namespace loyalty::segmentation
