#pragma once

// Long-running operations shared by every service that starts them
// (mass changes, imports, exports, mailings): the resource, its states and
// the ids that name their owner. Pure; no SQL or gRPC.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::operations {

enum class OperationState { kPending, kRunning, kSucceeded, kFailed, kCancelled };

// "PENDING", ... as stored.
absl::string_view StateName(OperationState state);
std::optional<OperationState> ParseState(absl::string_view name);
// SUCCEEDED, FAILED and CANCELLED are final.
bool IsFinal(OperationState state);

struct Operation {
  std::string id;  // "<owner>-<uuid>"
  std::string kind;
  OperationState state = OperationState::kPending;
  int64_t total = 0;
  int64_t processed = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
  absl::Time create_time;
  absl::Time update_time;
  std::optional<absl::Time> finish_time;
  std::string error;
  std::string created_by;
  std::string request_id;
};

// What a caller asks to start. `params` is the handler's own encoding of
// what to do with each item; `item_keys` the items, in order.
struct NewOperation {
  std::string request_id;
  std::string kind;
  std::string params;
  std::vector<std::string> item_keys;
  std::string created_by;
};

// The result of one processed item.
struct ItemResult {
  int64_t sequence = 0;
  std::string key;
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;
};

// A file an operation produced (an export), stored with it in pieces
// (OperationFileStore) and downloaded whole.
struct ResultFile {
  std::string name;
  std::string content_type;
  int64_t size = 0;
  std::string sha256;  // hex, of the whole content
  absl::Time create_time;
  // When the content is (or was) removed: the file's time plus the
  // service's retention (unset where the file store does not say).
  std::optional<absl::Time> expire_time;
  // The content was removed after its retention; only the row is left.
  bool expired = false;
};

// Largest result file: a download is one gRPC message (and one HTTP body),
// so the gateway's channel accepts messages this large plus a margin. An
// export that would exceed it fails, asking for a narrower period.
inline constexpr int64_t kMaxResultFileBytes = int64_t{64} << 20;

inline constexpr size_t kMaxRequestIdLength = 128;
inline constexpr size_t kMaxItemKeyLength = 256;

// INVALID_ARGUMENT naming `request_id` (required, at most 128 characters,
// no control characters) or `<items_field>[i]` (empty, too long or holding
// a control character). At least one item. The caller checks its own
// bounds and the item syntax of its kind.
absl::Status ValidateNewOperation(const NewOperation& operation, absl::string_view items_field);

// A fresh id owned by `owner` (a service name): "<owner>-<uuid v4>".
std::string NewOperationId(absl::string_view owner);

// The service named by an id's prefix: "cards-0b7c..." -> "cards". Nullopt
// when the id has no "<lower-case letters>-" prefix or nothing after it.
std::optional<std::string> OwnerOfOperationId(absl::string_view id);

// The digest stored with an operation and compared when its request_id
// comes again: stable across builds (hex SHA-256 is computed by the store;
// this is the canonical text it digests, length-prefixed so that item
// boundaries count).
std::string CanonicalContent(const NewOperation& operation);

}  // namespace loyalty::operations
