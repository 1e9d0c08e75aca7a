#pragma once

// A migrated identity database per test suite, with two fresh programs per
// test (the second for isolation checks). Test-only.

#include <string>

#include "gtest/gtest.h"
#include "libs/testing/migrated_database.h"
#include "services/identity/storage/identity_store.h"
#include "services/identity/storage/migrations.h"

namespace loyalty::identity::testing {

class IdentityPgTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto database =
        loyalty::testing::StartMigratedDatabase("identity", IdentityServiceMigrations());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database).release();
    pool_ = database_->pool.get();
  }
  static void TearDownTestSuite() {
    delete database_;
    database_ = nullptr;
    pool_ = nullptr;
  }

  void SetUp() override {
    program_id_ = NewProgram();
    other_program_id_ = NewProgram();
  }

  std::string NewProgram() {
    auto program = identity_.CreateProgram(
        Program{.name = "Shop", .time_zone = "UTC", .default_country_code = "7"});
    EXPECT_TRUE(program.ok()) << program.status();
    return program.ok() ? program->program_id : "";
  }

  static inline loyalty::testing::MigratedDatabase* database_ = nullptr;
  static inline pg::Pool* pool_ = nullptr;
  IdentityStore identity_{*pool_};
  std::string program_id_;
  std::string other_program_id_;
};

}  // namespace loyalty::identity::testing
