#pragma once

// Operations in PostgreSQL, in the schema of the service that owns them
// (tables from OperationsMigration()). Every read and write is scoped to a
// program: another program's operation is NOT_FOUND.
//
// Items are stored with the operation when it is created and processed in
// sequence order, a chunk per transaction: the runner's transaction locks
// the operation row (FOR NO KEY UPDATE SKIP LOCKED, so replicas share the
// work and never run one operation twice at once), applies the chunk's items through
// the handler, and commits their results with the progress. A process that
// dies mid-chunk leaves the row unlocked and the chunk uncommitted; the
// next claim redoes that chunk, which is why each item's effect must be
// idempotent.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/operations/operation.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"

namespace loyalty::operations {

// The tables, for a service to list among its own migrations under `name`
// (e.g. "0005_operations"), placed in name order. Its text must never
// change once released: later changes come as new migrations.
std::vector<pg::Migration> WithOperationsTables(std::span<const pg::Migration> service,
                                                const char* name);

struct ItemPage {
  std::vector<ItemResult> items;
  std::string next_page_token;
};

// An operation claimed by a runner, as its handler sees it.
struct OperationRun {
  std::string program_id;
  std::string operation_id;
  std::string kind;
  std::string params;
  std::string created_by;
};

// One item to apply.
struct PendingItem {
  int64_t sequence = 0;
  std::string key;
};

// What applying one item came to.
struct ItemOutcome {
  enum class Action {
    kRecord,         // `status` is the item's result (OK or why it was refused)
    kRetryChunk,     // passing trouble (database away): the chunk is rolled back
    kFailOperation,  // the operation as a whole cannot go on: FAILED with the message
  };
  Action action = Action::kRecord;
  absl::Status status;
};

// The outcome of a single-item call's answer: recorded, unless it is
// transient (pg::IsTransient), which retries the chunk.
ItemOutcome OutcomeOf(absl::Status status);

// What one chunk did, for metrics and logs.
struct ChunkOutcome {
  Operation operation;   // after the chunk
  bool started = false;  // the chunk moved it from PENDING to RUNNING
  int64_t succeeded = 0;
  int64_t failed = 0;
};

class OperationStore final {
 public:
  // `owner` is the service whose schema `pool` uses; it prefixes every id.
  OperationStore(pg::Pool& pool, std::string owner) : pool_(pool), owner_(std::move(owner)) {}

  // Stores a new PENDING operation with its items, or returns the one
  // created earlier with the same request_id and the same content. The same
  // request_id with other content: ALREADY_EXISTS naming `request_id`.
  // Validate first (ValidateNewOperation).
  absl::StatusOr<Operation> Create(absl::string_view program_id, const NewOperation& operation);

  // NOT_FOUND naming `id` for an unknown id or another program's.
  absl::StatusOr<Operation> Get(absl::string_view program_id, absl::string_view id);

  // Processed items in sequence order.
  absl::StatusOr<ItemPage> ListItems(absl::string_view program_id, absl::string_view id,
                                     bool failed_only, int page_size, absl::string_view page_token);

  // Ends a PENDING or RUNNING operation as CANCELLED (waiting for a chunk in
  // progress to commit first); a finished one is returned unchanged.
  // `cancelled` says whether this call did it.
  absl::StatusOr<Operation> Cancel(absl::string_view program_id, absl::string_view id,
                                   bool* cancelled = nullptr);

  using ApplyItem = absl::FunctionRef<ItemOutcome(const OperationRun&, const PendingItem&)>;

  // Claims the least recently advanced PENDING or RUNNING operation of one
  // of `kinds` that no other transaction holds, applies `apply` to its next
  // `chunk_size` items and commits their results and the progress (the
  // last chunk makes it SUCCEEDED; see ItemOutcome for the rest). Nullopt when there is nothing to
  // claim. `apply` runs while the operation row is locked, possibly more than once for an item
  // (retries, a crash before commit).
  absl::StatusOr<std::optional<ChunkOutcome>> ProcessNextChunk(std::span<const std::string> kinds,
                                                               int chunk_size, ApplyItem apply);

  const std::string& owner() const { return owner_; }

 private:
  pg::Pool& pool_;
  const std::string owner_;
};

}  // namespace loyalty::operations
