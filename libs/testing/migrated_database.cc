#include "libs/testing/migrated_database.h"

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

}  // namespace loyalty::testing
