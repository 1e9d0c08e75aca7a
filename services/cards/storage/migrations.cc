#include "services/cards/storage/migrations.h"

#include "libs/operations/file_store.h"
#include "libs/operations/operation_store.h"
#include "libs/outbox/outbox.h"

namespace loyalty::cards {

std::vector<pg::Migration> CardsServiceMigrations() {
  return operations::WithOperationFileTables(
      operations::WithOperationsTables(generated::CardsMigrations(), "0005_operations"),
      "0009_operation_files");
}

std::vector<pg::Migration> AllCardsMigrations() {
  std::vector<pg::Migration> all = CardsServiceMigrations();
  for (const pg::Migration& migration : outbox::Migrations()) all.push_back(migration);
  return all;
}

}  // namespace loyalty::cards
