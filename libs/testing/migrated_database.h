#pragma once

// A throwaway PostgreSQL with one service's schema migrated, as its storage
// tests need it: the service's migrations plus the outbox table, applied the
// way the running service applies them.

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"
#include "libs/testing/postgres_server.h"

namespace loyalty::testing {

struct MigratedDatabase {
  std::unique_ptr<PostgresServer> server;
  std::unique_ptr<pg::Pool> pool;  // search_path = the schema
};

absl::StatusOr<std::unique_ptr<MigratedDatabase>> StartMigratedDatabase(
    const std::string& schema, std::span<const pg::Migration> migrations, int pool_size = 8);

// The first column of the one row `sql` returns, as an integer: for tests
// that count rows (`SELECT count(*) FROM outbox WHERE ...`).
absl::StatusOr<int64_t> QueryInt(pg::Pool& pool, const std::string& sql);

}  // namespace loyalty::testing
