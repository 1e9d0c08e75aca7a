#pragma once

// A small PostgreSQL connection pool with transactions as the unit of work.
//
// Storage code runs its SQL inside Transact(); libpqxx exceptions stay
// inside and come out as absl::Status:
//   serialization failure, deadlock  -> retried, then ABORTED
//   lost connection, server down     -> UNAVAILABLE (retry the call)
//   commit outcome unknown           -> UNAVAILABLE (callers use idempotency keys)
//   unique violation not handled     -> ALREADY_EXISTS
//   anything else                    -> INTERNAL

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace pqxx {
class connection_base;
class transaction_base;
}  // namespace pqxx

namespace loyalty::pg {

using Tx = pqxx::transaction_base;

// kAutocommit runs each statement as its own transaction (a PreparedBatch
// as one), without the BEGIN and COMMIT round trips: for reads that lock
// nothing, which under READ COMMITTED see a fresh snapshot per statement
// anyway. Never for writes that must stand or fall together.
enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable, kAutocommit };

struct PoolOptions {
  std::string conninfo;  // libpq keyword string or URI
  std::string schema;    // becomes the search_path of every connection
  int size = 8;
  absl::Duration acquire_timeout = absl::Seconds(5);
  int max_attempts = 5;  // for serialization failures and deadlocks
  // Called on each new connection, e.g. to prepare statements.
  std::function<void(pqxx::connection_base&)> on_connect;
};

class Pool final {
 public:
  explicit Pool(PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Runs `body` in a transaction, committing when it returns OK and rolling
  // back otherwise. `body` may run more than once (retries), so it must not
  // have effects outside the transaction.
  absl::Status Transact(absl::FunctionRef<absl::Status(Tx&)> body,
                        Isolation isolation = Isolation::kReadCommitted);

  // For writes guarded by an idempotency key or another unique index, where
  // `body` first looks for an existing row: when a concurrent twin commits
  // first and the insert hits the unique index, runs `body` once more so its
  // lookup finds the winner and answers as if there had been no race. A
  // second conflict is ABORTED (retry the call).
  absl::Status TransactIdempotent(absl::FunctionRef<absl::Status(Tx&)> body);

  // A read-only round trip; used by health checks.
  absl::Status Ping();

  const std::string& schema() const { return options_.schema; }

 private:
  struct Connection;  // wraps pqxx::connection, kept out of this header
  absl::Status Acquire(std::unique_ptr<Connection>& out);
  void Release(std::unique_ptr<Connection> connection, bool healthy);

  PoolOptions options_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
};

// True when `status` came from a transient condition worth retrying.
bool IsTransient(const absl::Status& status);

}  // namespace loyalty::pg
