#pragma once

// Base of the pos storage suites: each suite runs against a fresh
// PostgreSQL with the `pos` schema migrated, started before its first test.

#include "gtest/gtest.h"
#include "libs/testing/migrated_database.h"
#include "services/pos/storage/pos_store.h"

namespace loyalty::pos {

class PosDatabaseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto database = testing::StartMigratedDatabase("pos", generated::PosMigrations());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database).release();
    pool_ = database_->pool.get();
  }
  static void TearDownTestSuite() {
    delete database_;
    database_ = nullptr;
    pool_ = nullptr;
  }

  static inline testing::MigratedDatabase* database_ = nullptr;
  static inline pg::Pool* pool_ = nullptr;
};

}  // namespace loyalty::pos
