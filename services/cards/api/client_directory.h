#pragma once

// Who decides whether a client exists: `identity`, behind an interface so
// that tests of the cards API need no identity service.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "libs/rpc/call_context.h"

namespace loyalty::cards {

class ClientDirectory {
 public:
  virtual ~ClientDirectory() = default;

  // OK when `client_id` is a client of the calling program. INVALID_ARGUMENT
  // naming `client_id` when it is not; UNAVAILABLE (or another code) when
  // that cannot be told now.
  virtual absl::Status CheckClient(const rpc::CallContext& call, absl::string_view client_id) = 0;
};

}  // namespace loyalty::cards
