#pragma once

// Client tags belong to `identity`; a mass change of cards puts them on (or
// takes them off) the cards' holders through this interface, so that tests
// of the mass change need no identity service.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/rpc/call_context.h"

namespace loyalty::cards {

class ClientTags {
 public:
  virtual ~ClientTags() = default;

  // OK when `tag_id` names a tag of the calling program, NOT_FOUND when it
  // does not; UNAVAILABLE (or another code) when that cannot be told now.
  virtual absl::Status CheckTag(const rpc::CallContext& call, absl::string_view tag_id) = 0;

  // Puts the tag on the clients or, with `remove`, takes it off
  // (idempotent). Returns the ids of no client of the program, which the
  // others do not wait for. NOT_FOUND when the tag is gone.
  virtual absl::StatusOr<std::vector<std::string>> ChangeTag(
      const rpc::CallContext& call, absl::string_view tag_id,
      const std::vector<std::string>& client_ids, bool remove) = 0;
};

}  // namespace loyalty::cards
