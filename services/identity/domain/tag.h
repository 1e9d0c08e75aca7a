#pragma once

// Client tags (CLI-6): a name and a colour that operators put on clients,
// one client or a list at a time. Pure logic: no gRPC, SQL or Redis here.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::identity {

inline constexpr size_t kMaxTagNameLength = 64;  // characters, after trimming
inline constexpr int64_t kMaxTagsPerProgram = 1000;
inline constexpr size_t kMaxClientsPerTagCall = 10000;

// What a caller sets on a tag.
struct TagSpec {
  std::string name;    // trimmed; unique in a program, ignoring case
  std::string colour;  // "#RRGGBB", upper case

  friend bool operator==(const TagSpec&, const TagSpec&) = default;
};

struct Tag {
  std::string tag_id;
  TagSpec spec;
  absl::Time create_time;
  absl::Time update_time;
};

// Trims surrounding white space; INVALID_ARGUMENT naming `field` unless the
// result is 1..kMaxTagNameLength characters of UTF-8 without control
// characters.
absl::Status NormalizeTagName(absl::string_view field, std::string& name);

// "#RRGGBB" with hex digits of either case, upper-cased; INVALID_ARGUMENT
// naming `field` otherwise (a tag always has a colour).
absl::Status NormalizeTagColour(absl::string_view field, std::string& colour);

// Both of the above, naming fields under `prefix` (e.g. "tag.").
absl::Status NormalizeTagSpec(TagSpec& spec, absl::string_view prefix);

// Applies an update mask to `stored`: paths "name" and "colour" take their
// value from `input`; an empty mask takes both. INVALID_ARGUMENT naming
// `update_mask` for any other path. The result still needs NormalizeTagSpec.
absl::Status ApplyTagMask(const std::vector<std::string>& paths, const TagSpec& input,
                          TagSpec& stored);

// FAILED_PRECONDITION when a program that has `existing` tags may not get
// another (kMaxTagsPerProgram).
absl::Status CheckTagLimit(int64_t existing);

// The client ids of an assign or remove call: 1..kMaxClientsPerTagCall
// UUIDs, lower-cased, duplicates dropped (first occurrence kept). A
// malformed id is INVALID_ARGUMENT naming it (`client_ids[3]`): that is a
// bug in the caller, unlike a well-formed id of no client, which the call
// reports per id.
absl::StatusOr<std::vector<std::string>> NormalizeClientIds(absl::string_view field,
                                                            const std::vector<std::string>& ids);

// What an assign or remove call did.
struct TagChangeResult {
  int64_t changed = 0;                          // clients that got (lost) the tag now
  int64_t unchanged = 0;                        // clients that already had (did not have) it
  std::vector<std::string> unknown_client_ids;  // no such client in the program
};

}  // namespace loyalty::identity
