#pragma once

// Every migration of identity's schema: its own (migrations/) with the
// tables of libs/operations (client exports, CLI-9) placed among them.

#include <vector>

#include "libs/pg/migrations.h"

namespace loyalty::identity {

std::vector<pg::Migration> IdentityServiceMigrations();

}  // namespace loyalty::identity
