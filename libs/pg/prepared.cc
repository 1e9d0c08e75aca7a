#include "libs/pg/prepared.h"

#include <cstdint>

#include "absl/strings/str_format.h"

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

}  // namespace loyalty::pg
