#pragma once

#include <vector>

#include "libs/pg/migrations.h"

namespace loyalty::identity {

// The service's migrations: migrations/*.sql and, as 0008_a_operations and
// 0008_b_operation_files, the tables of libs/operations (the client
// import's operations and error reports). What main() hands the runtime
// and what the pg tests apply.
std::vector<pg::Migration> IdentityServiceMigrations();

}  // namespace loyalty::identity
