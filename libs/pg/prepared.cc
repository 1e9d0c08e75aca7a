#include "libs/pg/prepared.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace loyalty::pg {

std::string PreparedName(std::string_view sql) {
  // FNV-1a: stable across builds, so names in pg_prepared_statements can be
  // compared between runs; 64 bits make a clash between a process's few
  // dozen statements negligible, and libpqxx refuses one loudly.
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : sql) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return absl::StrFormat("loyalty_%016x", hash);
}

std::string PreparedBatch::Literal(const std::string& value) const { return tx_.quote(value); }

size_t PreparedBatch::AddLiterals(const std::string& sql,
                                  const std::vector<std::string>& literals) {
  const std::string name = PreparedName(sql);
  tx_.conn().prepare(name, sql);
  // SQL's EXECUTE finds only statements the server has; libpqxx would
  // otherwise define it with its first exec_prepared. Once per connection.
  tx_.conn().prepare_now(name);
  statements_.push_back(literals.empty()
                            ? absl::StrCat("EXECUTE ", name)
                            : absl::StrCat("EXECUTE ", name, "(", absl::StrJoin(literals, ", "), ")"));
  return statements_.size() - 1;
}

std::vector<pqxx::result> PreparedBatch::Run() {
  std::vector<pqxx::result> results;
  if (statements_.empty()) return results;
  pqxx::pipeline pipeline(tx_);
  // Held back until all are in, so they leave as one query string.
  pipeline.retain(static_cast<int>(statements_.size()));
  std::vector<pqxx::pipeline::query_id> ids;
  ids.reserve(statements_.size());
  for (const std::string& statement : statements_) ids.push_back(pipeline.insert(statement));
  pipeline.resume();
  results.reserve(ids.size());
  for (pqxx::pipeline::query_id id : ids) results.push_back(pipeline.retrieve(id));
  pipeline.complete();
  statements_.clear();
  return results;
}

}  // namespace loyalty::pg
