#include "services/cards/storage/migrations.h"

#include "libs/outbox/outbox.h"

namespace loyalty::cards {

std::vector<pg::Migration> AllCardsMigrations() {
  std::span<const pg::Migration> own = generated::CardsMigrations();
  std::vector<pg::Migration> all(own.begin(), own.end());
  for (const pg::Migration& migration : outbox::Migrations()) all.push_back(migration);
  return all;
}

}  // namespace loyalty::cards
