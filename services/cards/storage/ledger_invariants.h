#pragma once

// The ledger's invariants, checked in SQL against a live `cards` schema.
// Unit and storage tests call this after concurrent work; end-to-end and
// fault-injection tests call it against the database of running services.
//
// Checked, over every program:
//   - the postings of each program sum to zero;
//   - each member account's stored balance equals the sum of its postings,
//     and equals the points left in its lots; none is below zero;
//   - system accounts keep no stored balance;
//   - each lot's remaining points equal its amount less its consumptions;
//   - each transfer has exactly its two postings (-amount on the debit
//     account, +amount on the credit account; none when it moved 0),
//     between a member account and the system account its kind implies,
//     and has created or consumed lots to the amount it moved;
//   - each hold is resolved at most once: POSTED holds have exactly one
//     posting transfer, of the hold's amount, others none;
//   - each transfer id is applied once per program;
//   - each card's account is a member account; the cards of a master
//     account are exactly its current members; each membership's joined
//     and taken points equal its POOL_JOIN and POOL_LEAVE transfers (which
//     name its card); a dissolved master account is empty and memberless;
//   - optionally, each transfer emitted exactly one PointsTransferred event.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"

namespace loyalty::cards {

struct LedgerInvariantOptions {
  // Also match outbox events to transfers. Valid only while outbox rows are
  // kept: the relay prunes rows published more than a week ago
  // (outbox::RelayOptions::retention), so use it on recent data (tests).
  bool check_events = false;
  // Reported violations per invariant, at most.
  int max_per_check = 20;
};

// One line per violation, "<invariant>: <details>"; empty when the ledger
// is sound. Runs in one REPEATABLE READ transaction, so concurrent traffic
// is seen as of one consistent moment. `pool` must use the cards schema.
// Errors only for database failures.
absl::StatusOr<std::vector<std::string>> FindLedgerInvariantViolations(
    pg::Pool& pool, const LedgerInvariantOptions& options = {});

// The same over a connection string (libpq keywords or URI), for tests that
// hold no pool; `schema` is where the cards service keeps its tables.
absl::StatusOr<std::vector<std::string>> FindLedgerInvariantViolations(
    absl::string_view conninfo, absl::string_view schema = "cards",
    const LedgerInvariantOptions& options = {});

}  // namespace loyalty::cards
