#pragma once

// Hot statements as named prepared statements of their connection, prepared
// on first use. `exec_params` sends an unnamed statement that PostgreSQL
// parses, analyses and plans on every call; a prepared one is parsed once
// per connection and, after a few executions, runs a cached plan. On the
// ledger's write path that work was about a third of the backend's CPU time
// per transfer (README, "Benchmarks").
//
// Only for statements whose text is fixed (a literal, or assembled from
// constants): every distinct text becomes one statement per connection,
// kept for the connection's lifetime. Never for text built from input.
// Statements that DDL changes under them are re-planned by PostgreSQL.

#include <concepts>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "libs/pg/pool.h"

namespace loyalty::pg {

// The name a statement's text is prepared under ("loyalty_" + a hash).
std::string PreparedName(std::string_view sql);

// Runs `sql` with `args` ($1, $2, ...) as a prepared statement of the
// transaction's connection. Errors are libpqxx exceptions, as from
// exec_params, for Pool::Transact to map.
template <typename... Args>
pqxx::result ExecPrepared(Tx& tx, const std::string& sql, Args&&... args) {
  const std::string name = PreparedName(sql);
  // Defining the same name with the same text again does nothing; libpqxx
  // sends the definition to the server with the first execution.
  tx.conn().prepare(name, sql);
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

// As ExecPrepared, for statements that return exactly one row
// (pqxx::unexpected_rows otherwise, as exec_params1 throws).
template <typename... Args>
pqxx::row ExecPrepared1(Tx& tx, const std::string& sql, Args&&... args) {
  const std::string name = PreparedName(sql);
  tx.conn().prepare(name, sql);
  return tx.exec_prepared1(name, std::forward<Args>(args)...);
}

// Prepared statements sent together, in one round trip: each becomes an SQL
// `EXECUTE name(literal, ...)` of the connection's prepared statement, and
// libpqxx's pipeline sends them as one query string and reads one result
// each. For a transaction whose statements do not need each other's
// results (a later one may still rely on the locks an earlier one took:
// they run in the order added, each with its own snapshot under READ
// COMMITTED). Cached plans as with ExecPrepared; each statement is prepared
// on the server once per connection, in its own round trip, beforehand.
class PreparedBatch final {
 public:
  explicit PreparedBatch(Tx& tx) : tx_(tx) {}

  // Queues `sql` with `args` (strings or integers) and returns the index of
  // its result in Run's.
  template <typename... Args>
  size_t Add(const std::string& sql, const Args&... args) {
    std::vector<std::string> literals;
    literals.reserve(sizeof...(args));
    (literals.push_back(Literal(args)), ...);
    return AddLiterals(sql, literals);
  }

  // Sends every statement added and returns their results, in order.
  // Errors are libpqxx exceptions, as from ExecPrepared.
  std::vector<pqxx::result> Run();

 private:
  std::string Literal(const std::string& value) const;
  std::string Literal(const char* value) const { return Literal(std::string(value)); }
  template <std::integral Int>
  std::string Literal(Int value) const {
    return std::to_string(value);
  }
  size_t AddLiterals(const std::string& sql, const std::vector<std::string>& literals);

  Tx& tx_;
  std::vector<std::string> statements_;
};

}  // namespace loyalty::pg
