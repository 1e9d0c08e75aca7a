#pragma once

// Manual segments and the client facts they are checked against.
// Pure logic, no I/O.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::segmentation {

inline constexpr int kMaxNameChars = 200;
inline constexpr int kMaxMembersPerCall = 10000;

struct Segment {
  std::string segment_id;
  std::string program_id;
  std::string name;
  int64_t size = 0;  // member count
  absl::Time create_time;
};

// Client ids of one AddSegmentMembers call, checked and deduplicated.
struct MemberBatch {
  // Lower-case canonical UUIDs, each once, in order of first appearance.
  std::vector<std::string> client_ids;
  // For each entry of client_ids, its index in the request, so that errors
  // found later (e.g. an unknown client) name the field the caller sent.
  std::vector<int> request_index;
};

// A member's registration as segmentation learns it from identity's events.
struct ClientRegistration {
  std::string event_id;
  std::string program_id;
  std::string client_id;
  absl::Time registered_at;
};

// Number of Unicode code points in valid UTF-8 `text`.
int CountChars(absl::string_view text);

// Trims and checks the name of a segment about to be created. Field paths
// in errors are prefixed with `field_prefix` (e.g. "segment.").
absl::Status PrepareNewSegment(Segment& segment, absl::string_view field_prefix);

// Checks 1..kMaxMembersPerCall ids, each a UUID (InvalidArgument naming
// "client_ids" or "client_ids[i]"), and drops repeats.
absl::StatusOr<MemberBatch> PrepareMemberBatch(const std::vector<std::string>& client_ids);

}  // namespace loyalty::segmentation
