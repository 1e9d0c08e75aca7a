#pragma once

// PostgreSQL array values as text parameters. libpqxx 6 has no array
// parameters, so multi-row statements pass each column as one array literal
// and read it back with unnest($n::type[]): one statement, and one prepared
// plan, for any number of rows.

#include <cstdint>
#include <span>
#include <string>

namespace loyalty::pg {

// {"a","b\"c"}: every element quoted, `"` and `\` escaped, so any text
// (JSON, free-text reasons, ids with commas) survives. Cast it to text[],
// uuid[], ... in SQL.
std::string TextArray(std::span<const std::string> values);

// {1,-2,3}
std::string IntArray(std::span<const int64_t> values);

}  // namespace loyalty::pg
