#include "libs/pg/migrations.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/common/log.h"
#include "libs/pg/pool.h"

namespace loyalty::pg {
namespace {

// FNV-1a: stable across builds and platforms, enough to notice an edited
// migration.
std::string Checksum(absl::string_view text) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return absl::StrCat(absl::Hex(hash, absl::kZeroPad16));
}

}  // namespace

std::vector<Migration> WithMigration(std::span<const Migration> migrations, Migration added) {
  std::vector<Migration> all(migrations.begin(), migrations.end());
  auto at =
      std::upper_bound(all.begin(), all.end(), added, [](const Migration& a, const Migration& b) {
        return std::string_view(a.name) < std::string_view(b.name);
      });
  all.insert(at, added);
  return all;
}

absl::Status ApplyMigrations(Pool& pool, absl::string_view schema,
                             std::span<const Migration> migrations) {
  return pool.Transact([&](Tx& tx) -> absl::Status {
    std::string quoted = tx.quote_name(std::string(schema));
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))",
                   absl::StrCat("loyalty.migrations.", schema));
    tx.exec0("CREATE SCHEMA IF NOT EXISTS " + quoted);
    tx.exec0("SET LOCAL search_path TO " + quoted);
    tx.exec0(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " name text PRIMARY KEY,"
        " checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    std::map<std::string, std::string> applied;
    for (const auto& row : tx.exec("SELECT name, checksum FROM schema_migrations")) {
      applied[row[0].as<std::string>()] = row[1].as<std::string>();
    }
    std::map<std::string, const Migration*> known;
    for (const Migration& migration : migrations) {
      if (!known.emplace(migration.name, &migration).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("migration ", migration.name, " is listed twice"));
      }
    }
    for (const auto& [name, checksum] : applied) {
      auto it = known.find(name);
      if (it == known.end()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "schema ", schema, " has migration ", name,
            " that this binary does not know: a newer version ran against it"));
      }
      if (Checksum(it->second->sql) != checksum) {
        return absl::FailedPreconditionError(absl::StrCat(
            "migration ", name, " of schema ", schema, " changed after it was applied"));
      }
    }
    // In the order given (a service's own, sorted, then the libraries'),
    // so a fresh database and an upgraded one see the same sequence.
    for (const Migration& migration : migrations) {
      if (applied.contains(migration.name)) continue;
      tx.exec0(migration.sql);
      tx.exec_params("INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
                     std::string(migration.name), Checksum(migration.sql));
      log::Info("migration applied", {{"schema", schema}, {"migration", migration.name}});
    }
    return absl::OkStatus();
  });
}

}  // namespace loyalty::pg
