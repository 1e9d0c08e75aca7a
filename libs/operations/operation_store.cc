#include "libs/operations/operation_store.h"

#include <pqxx/pqxx>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/pg/array_literal.h"
#include "libs/pg/prepared.h"

namespace loyalty::operations {
namespace {

constexpr char kTablesSql[] = R"sql(
CREATE TABLE operations (
  program_id text NOT NULL,
  operation_id text NOT NULL,
  kind text NOT NULL,
  request_id text NOT NULL,
  -- SHA-256 (hex) of the canonical content; a retry must match it.
  fingerprint text NOT NULL,
  -- The handler's own encoding of what to do with each item.
  params text NOT NULL,
  state text NOT NULL
    CHECK (state IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
  total bigint NOT NULL CHECK (total > 0),
  processed bigint NOT NULL DEFAULT 0 CHECK (processed BETWEEN 0 AND total),
  succeeded bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  error text NOT NULL DEFAULT '',
  created_by text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  PRIMARY KEY (program_id, operation_id),
  UNIQUE (program_id, request_id),
  CHECK (succeeded + failed = processed)
);
-- What runners claim, least recently advanced first.
CREATE INDEX operations_unfinished ON operations (updated_at)
  WHERE state IN ('PENDING', 'RUNNING');

-- Every item of an operation, stored at creation; `code` is NULL until the
-- item is processed (items are processed in sequence order, so the ones
-- below operations.processed are done).
CREATE TABLE operation_items (
  program_id text NOT NULL,
  operation_id text NOT NULL,
  seq bigint NOT NULL,
  item_key text NOT NULL,
  code integer,
  message text NOT NULL DEFAULT '',
  PRIMARY KEY (program_id, operation_id, seq),
  FOREIGN KEY (program_id, operation_id) REFERENCES operations ON DELETE CASCADE
);
CREATE INDEX operation_items_failed ON operation_items (program_id, operation_id, seq)
  WHERE code <> 0;
)sql";

constexpr char kColumns[] =
    "operation_id, kind, state, total, processed, succeeded, failed,"
    " (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM updated_at) * 1000000)::bigint,"
    " (extract(epoch FROM finished_at) * 1000000)::bigint,"
    " error, created_by, request_id";

absl::Time TimeOf(const pqxx::field& field) { return absl::FromUnixMicros(field.as<int64_t>()); }

Operation ReadOperation(const pqxx::row& row) {
  Operation out;
  out.id = row[0].as<std::string>();
  out.kind = row[1].as<std::string>();
  out.state = ParseState(row[2].as<std::string>()).value_or(OperationState::kFailed);
  out.total = row[3].as<int64_t>();
  out.processed = row[4].as<int64_t>();
  out.succeeded = row[5].as<int64_t>();
  out.failed = row[6].as<int64_t>();
  out.create_time = TimeOf(row[7]);
  out.update_time = TimeOf(row[8]);
  if (!row[9].is_null()) out.finish_time = TimeOf(row[9]);
  out.error = row[10].as<std::string>();
  out.created_by = row[11].as<std::string>();
  out.request_id = row[12].as<std::string>();
  return out;
}

absl::Status NoSuchOperation() {
  return FieldError(absl::StatusCode::kNotFound, "id", "no such operation");
}

std::optional<Operation> FindOperation(pg::Tx& tx, absl::string_view program_id,
                                       absl::string_view id) {
  pqxx::result rows =
      tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                  " FROM operations WHERE program_id = $1 AND operation_id = $2"),
                     std::string(program_id), std::string(id));
  if (rows.empty()) return std::nullopt;
  return ReadOperation(rows[0]);
}

// A finished operation of this chunk: moves it to `state`.
constexpr char kFinishSql[] =
    "UPDATE operations SET state = $3, error = $4, updated_at = now(), finished_at = now()"
    " WHERE program_id = $1 AND operation_id = $2";

}  // namespace

std::vector<pg::Migration> WithOperationsTables(std::span<const pg::Migration> service,
                                                const char* name) {
  return pg::WithMigration(service, {name, kTablesSql});
}

ItemOutcome OutcomeOf(absl::Status status) {
  const bool transient = pg::IsTransient(status);
  return ItemOutcome{
      .action = transient ? ItemOutcome::Action::kRetryChunk : ItemOutcome::Action::kRecord,
      .status = std::move(status)};
}

absl::StatusOr<Operation> OperationStore::Create(absl::string_view program_id,
                                                 const NewOperation& operation) {
  const std::string canonical = CanonicalContent(operation);
  const std::string keys = pg::TextArray(operation.item_keys);
  Operation result;
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    pqxx::result existing =
        tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                    ", fingerprint = encode(sha256(convert_to($3, 'UTF8')), 'hex')"
                                    " FROM operations WHERE program_id = $1 AND request_id = $2"),
                       std::string(program_id), operation.request_id, canonical);
    if (!existing.empty()) {
      if (!existing[0][13].as<bool>()) {
        return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                          "already used for another operation");
      }
      result = ReadOperation(existing[0]);
      return absl::OkStatus();
    }
    const std::string id = NewOperationId(owner_);
    pqxx::result inserted = tx.exec_params(
        absl::StrCat("INSERT INTO operations (program_id, operation_id, kind, request_id,"
                     " fingerprint, params, state, total, created_by)"
                     " VALUES ($1, $2, $3, $4, encode(sha256(convert_to($5, 'UTF8')), 'hex'),"
                     " $6, 'PENDING', $7, $8) RETURNING ",
                     kColumns),
        std::string(program_id), id, operation.kind, operation.request_id, canonical,
        operation.params, static_cast<int64_t>(operation.item_keys.size()), operation.created_by);
    tx.exec_params(
        "INSERT INTO operation_items (program_id, operation_id, seq, item_key)"
        " SELECT $1, $2, n - 1, key FROM unnest($3::text[]) WITH ORDINALITY AS t(key, n)",
        std::string(program_id), id, keys);
    result = ReadOperation(inserted[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<Operation> OperationStore::Get(absl::string_view program_id, absl::string_view id) {
  std::optional<Operation> found;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    found = FindOperation(tx, program_id, id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return NoSuchOperation();
  return *std::move(found);
}

absl::StatusOr<ItemPage> OperationStore::ListItems(absl::string_view program_id,
                                                   absl::string_view id, bool failed_only,
                                                   int page_size, absl::string_view page_token) {
  absl::StatusOr<int64_t> after = DecodeIdPageToken(page_token, -1);
  if (!after.ok()) return after.status();
  ItemPage page;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page.items.clear();
    if (!FindOperation(tx, program_id, id)) return NoSuchOperation();
    pqxx::result rows =
        tx.exec_params(absl::StrCat("SELECT seq, item_key, code, message FROM operation_items"
                                    " WHERE program_id = $1 AND operation_id = $2 AND seq > $3"
                                    " AND code IS NOT NULL",
                                    failed_only ? " AND code <> 0" : "", " ORDER BY seq LIMIT $4"),
                       std::string(program_id), std::string(id), *after, page_size + 1);
    for (const pqxx::row& row : rows) {
      if (static_cast<int>(page.items.size()) == page_size) {
        page.next_page_token = EncodePageToken(absl::StrCat(page.items.back().sequence));
        break;
      }
      page.items.push_back(ItemResult{.sequence = row[0].as<int64_t>(),
                                      .key = row[1].as<std::string>(),
                                      .code = static_cast<absl::StatusCode>(row[2].as<int>()),
                                      .message = row[3].as<std::string>()});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return page;
}

absl::StatusOr<Operation> OperationStore::Cancel(absl::string_view program_id, absl::string_view id,
                                                 bool* cancelled) {
  std::optional<Operation> found;
  bool changed = false;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    // Waits for a runner's chunk in progress (it holds the row) to commit.
    pqxx::result rows = tx.exec_params(
        "UPDATE operations SET state = 'CANCELLED', updated_at = now(), finished_at = now()"
        " WHERE program_id = $1 AND operation_id = $2 AND state IN ('PENDING', 'RUNNING')",
        std::string(program_id), std::string(id));
    changed = rows.affected_rows() > 0;
    found = FindOperation(tx, program_id, id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return NoSuchOperation();
  if (cancelled != nullptr) *cancelled = changed;
  return *std::move(found);
}

absl::StatusOr<std::optional<ChunkOutcome>> OperationStore::ProcessNextChunk(
    std::span<const std::string> kinds, int chunk_size, ApplyItem apply) {
  std::optional<ChunkOutcome> outcome;
  if (kinds.empty()) return outcome;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    outcome.reset();
    pqxx::result claimed = pg::ExecPrepared(
        tx,
        "SELECT program_id, operation_id, kind, params, created_by, state, processed, total"
        " FROM operations WHERE state IN ('PENDING', 'RUNNING') AND kind = ANY($1::text[])"
        " ORDER BY updated_at LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED",
        pg::TextArray(kinds));
    if (claimed.empty()) return absl::OkStatus();
    const pqxx::row& row = claimed[0];
    OperationRun run{.program_id = row[0].as<std::string>(),
                     .operation_id = row[1].as<std::string>(),
                     .kind = row[2].as<std::string>(),
                     .params = row[3].as<std::string>(),
                     .created_by = row[4].as<std::string>()};
    ChunkOutcome chunk;
    chunk.started = row[5].as<std::string>() == "PENDING";
    const int64_t processed = row[6].as<int64_t>();
    const int64_t total = row[7].as<int64_t>();
    pqxx::result items = tx.exec_params(
        "SELECT seq, item_key FROM operation_items"
        " WHERE program_id = $1 AND operation_id = $2 AND seq >= $3 ORDER BY seq LIMIT $4",
        run.program_id, run.operation_id, processed, chunk_size);
    // Results of the chunk, written with one statement after it.
    std::vector<int64_t> sequences, codes;
    std::vector<std::string> messages;
    for (const pqxx::row& item : items) {
      PendingItem pending{.sequence = item[0].as<int64_t>(), .key = item[1].as<std::string>()};
      ItemOutcome result = apply(run, pending);
      if (result.action == ItemOutcome::Action::kRetryChunk) return result.status;
      if (result.action == ItemOutcome::Action::kFailOperation) {
        // The operation as a whole cannot go on; the items applied so far
        // in this chunk keep no result (their effects are idempotent and
        // the operation will not run again).
        tx.exec_params(kFinishSql, run.program_id, run.operation_id, "FAILED",
                       std::string(result.status.message()));
        chunk.operation = *FindOperation(tx, run.program_id, run.operation_id);
        outcome = std::move(chunk);
        return absl::OkStatus();
      }
      (result.status.ok() ? chunk.succeeded : chunk.failed) += 1;
      sequences.push_back(pending.sequence);
      codes.push_back(static_cast<int64_t>(result.status.code()));
      messages.emplace_back(result.status.message());
    }
    if (!sequences.empty()) {
      pg::ExecPrepared(tx,
                       "UPDATE operation_items o SET code = u.code, message = u.message"
                       " FROM unnest($3::bigint[], $4::int[], $5::text[]) AS u(seq, code, message)"
                       " WHERE o.program_id = $1 AND o.operation_id = $2 AND o.seq = u.seq",
                       run.program_id, run.operation_id, pg::IntArray(sequences),
                       pg::IntArray(codes), pg::TextArray(messages));
    }
    const int64_t done = chunk.succeeded + chunk.failed;
    tx.exec_params(
        "UPDATE operations SET processed = processed + $3, succeeded = succeeded + $4,"
        " failed = failed + $5, updated_at = now(),"
        " state = CASE WHEN processed + $3 >= total THEN 'SUCCEEDED' ELSE 'RUNNING' END,"
        " finished_at = CASE WHEN processed + $3 >= total THEN now() END"
        " WHERE program_id = $1 AND operation_id = $2",
        run.program_id, run.operation_id, done, chunk.succeeded, chunk.failed);
    if (done == 0 && processed < total) {
      // Items missing below total cannot happen short of a broken table;
      // end it rather than claim it forever.
      tx.exec_params(kFinishSql, run.program_id, run.operation_id, "FAILED",
                     "items missing from operation_items");
    }
    chunk.operation = *FindOperation(tx, run.program_id, run.operation_id);
    outcome = std::move(chunk);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return outcome;
}

}  // namespace loyalty::operations
