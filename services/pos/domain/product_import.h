#pragma once

// Reading a product catalogue from a CSV file (POS-9), as merchandise
// systems export it: a header row naming the columns, then one product per
// row. Pure: the caller reads the stored products of the file's skus and
// stores the result.
//
// Columns (header names ignore case, `_` and spaces: `base_price`,
// `basePrice` and `Base Price` are one column): sku and name (required),
// category_id, barcodes (separated by spaces, `,`, `;` or `|`), unit
// (`piece` or `weight`), base_price (minor units, empty for unknown),
// no_discount, no_accrual, no_redemption, archived (true/false, yes/no,
// 1/0; empty is false). A column the header leaves out keeps the stored
// value of an existing product (its default for a new one), so a price
// list of sku, name and base_price changes nothing else.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/pos/domain/catalogue.h"

namespace loyalty::pos {

// Rows one import takes: the file is stored all or none in one
// transaction, and over HTTP its text also fits the gateway's 1 MiB body.
inline constexpr int kMaxImportProducts = 10000;

struct ProductImportError {
  int64_t line = 0;    // of the file, 1 for the header
  std::string column;  // as the header names it; empty for the whole row
  std::string message;
};

struct ProductImportRow {
  int64_t line = 0;
  std::vector<std::string> cells;  // by header position
};

struct ProductImportFile {
  std::vector<std::string> header;  // as written
  std::vector<ProductImportRow> rows;
};

// Splits the file into its header and rows. INVALID_ARGUMENT naming `csv`
// for a file that cannot be a catalogue: empty, not UTF-8, broken quoting,
// a header without sku or name, an unknown or repeated column, more than
// kMaxImportProducts rows.
absl::StatusOr<ProductImportFile> ReadProductCsv(absl::string_view csv);

// The sku cell of every row (trimmed), for reading the stored products.
std::vector<std::string> ImportedSkus(const ProductImportFile& file);

// The products of the file, each row over the stored product of its sku
// (`stored`, by sku) when there is one. `errors` lists every refused row
// (bad cells, a product ValidateProduct refuses, a sku repeated in the
// file); when there is one, nothing must be stored.
struct ImportedProducts {
  std::vector<Product> products;
  std::vector<int64_t> lines;  // of each product in the file
  std::vector<ProductImportError> errors;
};
ImportedProducts ProductsFromImport(const ProductImportFile& file,
                                    const absl::flat_hash_map<std::string, Product>& stored);

// INVALID_ARGUMENT naming `csv` that lists the first errors by line and
// column ("2 rows refused, nothing imported: line 3, base_price: ...").
absl::Status ImportRefused(const std::vector<ProductImportError>& errors);

}  // namespace loyalty::pos
