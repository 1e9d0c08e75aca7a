#pragma once

// Gift certificates' invariants, checked in SQL against a live `cards`
// schema, beside the points ledger's (ledger_invariants.h). Storage tests
// call it after concurrent work; end-to-end tests against the database of
// running services.
//
// Checked, over every program:
//   - each certificate's stored balance equals the sum of its operations
//     and lies within 0..nominal;
//   - its running balance (operations in commit order) never left
//     0..nominal, and each operation's balance_after is that running sum;
//   - it has exactly one ISSUE operation, its first, of the nominal;
//   - each hold is resolved at most once: a POSTED hold has exactly one
//     REDEMPTION (the one it names, of the same certificate, for at most
//     the held amount), other holds none;
//   - refunds of a redemption (same certificate) give back at most what it
//     took;
//   - optionally, at a given time, open holds reserve no more than the
//     balance (never overspent);
//   - optionally, each operation emitted exactly one event of its kind.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"

namespace loyalty::cards {

struct CertificateInvariantOptions {
  // Also match outbox events to operations (valid while outbox rows are
  // kept: the relay prunes rows published more than a week ago).
  bool check_events = false;
  // Also check that the holds open at this time are covered by balances.
  // The service's clock, which tests fake, decides which holds are open.
  std::optional<absl::Time> now;
  // Reported violations per invariant, at most.
  int max_per_check = 20;
};

// One line per violation, "<invariant>: <details>"; empty when sound. One
// REPEATABLE READ transaction. Errors only for database failures.
absl::StatusOr<std::vector<std::string>> FindCertificateInvariantViolations(
    pg::Pool& pool, const CertificateInvariantOptions& options = {});

}  // namespace loyalty::cards
