#include "services/cards/storage/invariant_checks.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"

namespace loyalty::cards {

absl::StatusOr<std::vector<std::string>> FindViolations(pg::Pool& pool,
                                                        std::span<const InvariantCheck> checks,
                                                        int max_per_check) {
  std::vector<std::string> violations;
  absl::Status status = pool.Transact(
      [&](pg::Tx& tx) -> absl::Status {
        violations.clear();
        for (const InvariantCheck& check : checks) {
          pqxx::result rows =
              tx.exec(absl::StrCat("SELECT * FROM (", check.sql, ") v LIMIT ", max_per_check));
          for (const auto& row : rows) {
            violations.push_back(absl::StrCat(check.name, ": ", row[0].c_str()));
          }
        }
        return absl::OkStatus();
      },
      pg::Isolation::kRepeatableRead);
  if (!status.ok()) return status;
  return violations;
}

}  // namespace loyalty::cards
