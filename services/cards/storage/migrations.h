#pragma once

#include <span>
#include <vector>

#include "libs/pg/migrations.h"

namespace loyalty::generated {
// services/cards/migrations/*.sql, embedded at build time.
std::span<const loyalty::pg::Migration> CardsMigrations();
}  // namespace loyalty::generated

namespace loyalty::cards {

// The service's migrations: migrations/*.sql and, as 0005_operations and
// 0009_operation_files, the tables of libs/operations (operations, result
// files). What main() hands the runtime.
std::vector<pg::Migration> CardsServiceMigrations();

// Every migration of the `cards` schema: the service's and the outbox
// table's, in the order the service runtime applies them. For tests that
// set up the schema without the runtime.
std::vector<pg::Migration> AllCardsMigrations();

}  // namespace loyalty::cards
