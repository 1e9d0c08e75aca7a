#pragma once

// For *_pgtest suites that run operations against one shared database.

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "libs/pg/pool.h"

namespace loyalty::operations {

// Ends every PENDING or RUNNING operation as CANCELLED, so that the next
// test's runner finds nothing an earlier test left to claim.
inline absl::Status CancelUnfinishedOperations(pg::Pool& pool) {
  return pool.Transact([](pg::Tx& tx) {
    tx.exec("UPDATE operations SET state = 'CANCELLED' WHERE state IN ('PENDING', 'RUNNING')");
    return absl::OkStatus();
  });
}

}  // namespace loyalty::operations
