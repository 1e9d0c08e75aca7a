#pragma once

// What the ledger's and the certificates' invariant checkers share: named
// SQL queries whose rows are violations, run against a live schema in one
// consistent snapshot.

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"

namespace loyalty::cards {

struct InvariantCheck {
  absl::string_view name;
  // Returns one text column per violating row.
  absl::string_view sql;
};

// One line per violation, "<name>: <row>", at most `max_per_check` per
// check; all checks in one REPEATABLE READ transaction, so concurrent
// traffic is seen as of one moment. Errors only for database failures.
absl::StatusOr<std::vector<std::string>> FindViolations(pg::Pool& pool,
                                                        std::span<const InvariantCheck> checks,
                                                        int max_per_check);

}  // namespace loyalty::cards
