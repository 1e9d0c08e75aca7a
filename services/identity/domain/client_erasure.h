#pragma once

// CLI-14 erasure of a client on request: what an erasure records and the
// rules of a request. What is removed and what is kept is the store's
// statement (storage/client_erasure_store.h) and the README's "Erasure".
// Pure logic, no I/O.

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace loyalty::identity {

inline constexpr size_t kMaxErasureReasonLength = 500;

struct ErasureRequest {
  std::string client_id;
  std::string reason;
  std::string request_id;
  std::string erased_by;  // API key or operator id
};

struct ClientErasure {
  std::string client_id;
  std::string reason;
  absl::Time erase_time;
  std::string erased_by;
};

// Checks and normalises a request in place: the client id is a UUID
// (`client_id`), the reason required free text of at most 500 characters
// (`reason`), the request id required, at most 128 characters
// (`request_id`).
absl::Status NormalizeErasureRequest(ErasureRequest& request);

}  // namespace loyalty::identity
