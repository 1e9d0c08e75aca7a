#include "libs/testing/migrated_database.h"

#include <pqxx/pqxx>

#include "libs/outbox/outbox.h"

namespace loyalty::testing {

absl::StatusOr<std::unique_ptr<MigratedDatabase>> StartMigratedDatabase(
    const std::string& schema, std::span<const pg::Migration> migrations, int pool_size) {
  auto database = std::make_unique<MigratedDatabase>();
  absl::StatusOr<std::unique_ptr<PostgresServer>> server = PostgresServer::Start();
  if (!server.ok()) return server.status();
  database->server = *std::move(server);
  database->pool = std::make_unique<pg::Pool>(pg::PoolOptions{
      .conninfo = database->server->ConnectionString(), .schema = schema, .size = pool_size});
  absl::Status migrated =
      pg::ApplyMigrations(*database->pool, schema, outbox::WithOutboxTable(migrations));
  if (!migrated.ok()) return migrated;
  return database;
}

absl::StatusOr<int64_t> QueryInt(pg::Pool& pool, const std::string& sql) {
  int64_t value = 0;
  absl::Status status = pool.Transact([&](pg::Tx& tx) {
    value = tx.exec1(sql)[0].as<int64_t>();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return value;
}

}  // namespace loyalty::testing
