#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace loyalty::pg {

// One versioned schema change. `name` orders migrations ("0001_init").
struct Migration {
  const char* name;
  const char* sql;
};

class Pool;

// `migrations` with `added` placed in name order, for a library that
// contributes tables to a service's own list (e.g. operations).
std::vector<Migration> WithMigration(std::span<const Migration> migrations, Migration added);

// Brings `schema` up to date: under a transaction-level advisory lock (so
// that replicas starting together apply each migration once), creates the
// schema and its `schema_migrations` table if needed, then applies, in the
// order given, every migration not yet recorded, each in the same transaction as
// its record. Refuses to start (FAILED_PRECONDITION) when an applied
// migration's text has changed since, or the database knows a migration
// this binary does not (a newer version ran against it).
absl::Status ApplyMigrations(Pool& pool, absl::string_view schema,
                             std::span<const Migration> migrations);

}  // namespace loyalty::pg
