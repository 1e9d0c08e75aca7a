#include "services/pos/domain/product_import.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/common/errors.h"
#include "libs/csv/reader.h"

namespace loyalty::pos {
namespace {

enum class Column {
  kSku,
  kName,
  kCategory,
  kBarcodes,
  kUnit,
  kBasePrice,
  kNoDiscount,
  kNoAccrual,
  kNoRedemption,
  kArchived,
};

// Header text as compared: lower case, without `_`, `-` and spaces.
std::string ColumnKey(absl::string_view header) {
  std::string key;
  for (char c : header) {
    if (c == '_' || c == '-' || c == ' ') continue;
    key.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return key;
}

std::optional<Column> ColumnOf(absl::string_view header) {
  static const auto* const kColumns = new absl::flat_hash_map<std::string, Column>{
      {"sku", Column::kSku},
      {"name", Column::kName},
      {"categoryid", Column::kCategory},
      {"category", Column::kCategory},
      {"barcodes", Column::kBarcodes},
      {"barcode", Column::kBarcodes},
      {"unit", Column::kUnit},
      {"baseprice", Column::kBasePrice},
      {"price", Column::kBasePrice},
      {"nodiscount", Column::kNoDiscount},
      {"noaccrual", Column::kNoAccrual},
      {"noredemption", Column::kNoRedemption},
      {"archived", Column::kArchived},
  };
  auto it = kColumns->find(ColumnKey(header));
  if (it == kColumns->end()) return std::nullopt;
  return it->second;
}

absl::Status BadFile(absl::string_view message) { return InvalidField("csv", message); }

std::optional<bool> ParseFlag(absl::string_view text) {
  const std::string value = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (value.empty() || value == "false" || value == "no" || value == "0") return false;
  if (value == "true" || value == "yes" || value == "1") return true;
  return std::nullopt;
}

// Sets the product's field of `column` from `cell`; false (with `error`)
// for a cell that cannot be read.
bool SetField(Column column, absl::string_view cell, Product& product, std::string& error) {
  const absl::string_view text = absl::StripAsciiWhitespace(cell);
  switch (column) {
    case Column::kSku:
      product.sku = std::string(text);
      return true;
    case Column::kName:
      product.name = std::string(text);
      return true;
    case Column::kCategory:
      product.category_id = std::string(text);
      return true;
    case Column::kBarcodes:
      product.barcodes = absl::StrSplit(text, absl::ByAnyChar(" ,;|"), absl::SkipEmpty());
      return true;
    case Column::kUnit: {
      const std::string unit = absl::AsciiStrToLower(text);
      if (unit.empty() || unit == "piece") {
        product.unit = ProductUnit::kPiece;
      } else if (unit == "weight") {
        product.unit = ProductUnit::kWeight;
      } else {
        error = "must be piece or weight";
        return false;
      }
      return true;
    }
    case Column::kBasePrice: {
      int64_t price = 0;
      if (text.empty()) {
        product.base_price.reset();
      } else if (absl::SimpleAtoi(text, &price)) {
        product.base_price = price;
      } else {
        error = "must be a whole number of minor units (e.g. 12990 for 129.90)";
        return false;
      }
      return true;
    }
    case Column::kNoDiscount:
    case Column::kNoAccrual:
    case Column::kNoRedemption:
    case Column::kArchived: {
      std::optional<bool> flag = ParseFlag(text);
      if (!flag) {
        error = "must be true or false (yes/no, 1/0)";
        return false;
      }
      bool& field = column == Column::kNoDiscount     ? product.no_discount
                    : column == Column::kNoAccrual    ? product.no_accrual
                    : column == Column::kNoRedemption ? product.no_redemption
                                                      : product.archived;
      field = *flag;
      return true;
    }
  }
  return true;
}

// The position of the sku column (ReadProductCsv guarantees one).
size_t SkuPosition(const ProductImportFile& file) {
  for (size_t i = 0; i < file.header.size(); ++i) {
    if (ColumnOf(file.header[i]) == Column::kSku) return i;
  }
  return 0;
}

}  // namespace

absl::StatusOr<ProductImportFile> ReadProductCsv(absl::string_view csv) {
  if (absl::StripAsciiWhitespace(csv).empty()) return BadFile("the file is empty");
  csv::Reader reader(csv::DetectDelimiter(csv));
  reader.Feed(csv);
  reader.Finish();
  ProductImportFile file;
  bool header_read = false;
  while (true) {
    absl::StatusOr<std::optional<csv::Record>> record = reader.Next();
    if (!record.ok()) return BadFile(record.status().message());
    if (!*record) break;
    if (!(*record)->utf8) {
      return BadFile(absl::StrCat("line ", (*record)->line, " is not UTF-8 text"));
    }
    if (!header_read) {
      header_read = true;
      file.header = std::move((*record)->cells);
      continue;
    }
    if (file.rows.size() == static_cast<size_t>(kMaxImportProducts)) {
      return BadFile(absl::StrCat("more than ", kMaxImportProducts,
                                  " products: split the file (each file is stored all or none)"));
    }
    file.rows.push_back(ProductImportRow{.line = (*record)->line,
                                         .cells = std::move((*record)->cells)});
  }
  absl::flat_hash_map<Column, std::string> seen;
  for (const std::string& name : file.header) {
    std::optional<Column> column = ColumnOf(name);
    if (!column) {
      return BadFile(absl::StrCat(
          "unknown column \"", name,
          "\" (known: sku, name, category_id, barcodes, unit, base_price, no_discount,"
          " no_accrual, no_redemption, archived)"));
    }
    auto [it, inserted] = seen.emplace(*column, name);
    if (!inserted) {
      return BadFile(absl::StrCat("columns \"", it->second, "\" and \"", name, "\" are the same"));
    }
  }
  if (!seen.contains(Column::kSku) || !seen.contains(Column::kName)) {
    return BadFile("the header must name the sku and name columns");
  }
  if (file.rows.empty()) return BadFile("no products after the header");
  return file;
}

std::vector<std::string> ImportedSkus(const ProductImportFile& file) {
  const size_t sku = SkuPosition(file);
  std::vector<std::string> skus;
  skus.reserve(file.rows.size());
  for (const ProductImportRow& row : file.rows) {
    if (sku < row.cells.size()) {
      skus.push_back(std::string(absl::StripAsciiWhitespace(row.cells[sku])));
    }
  }
  return skus;
}

ImportedProducts ProductsFromImport(const ProductImportFile& file,
                                    const absl::flat_hash_map<std::string, Product>& stored) {
  ImportedProducts imported;
  std::vector<ProductImportError>& errors = imported.errors;
  std::vector<Column> columns;
  for (const std::string& name : file.header) columns.push_back(*ColumnOf(name));
  const size_t sku_position = SkuPosition(file);
  absl::flat_hash_map<std::string, int64_t> line_of_sku;
  for (const ProductImportRow& row : file.rows) {
    if (row.cells.size() != columns.size()) {
      errors.push_back({row.line, "",
                        absl::StrCat("has ", row.cells.size(), " cells, the header ",
                                     columns.size())});
      continue;
    }
    const std::string sku(absl::StripAsciiWhitespace(row.cells[sku_position]));
    auto existing = stored.find(sku);
    Product product = existing != stored.end() ? existing->second : Product{};
    bool readable = true;
    for (size_t i = 0; i < columns.size() && readable; ++i) {
      std::string error;
      if (!SetField(columns[i], row.cells[i], product, error)) {
        errors.push_back({row.line, file.header[i], std::move(error)});
        readable = false;
      }
    }
    if (!readable) continue;
    if (absl::Status valid = ValidateProduct(product, "row"); !valid.ok()) {
      // "row.barcodes[2]: ..." -> column barcodes, message after the path.
      const std::string field = ViolatedField(valid).value_or("row");
      std::string column = field.size() > 4 ? field.substr(4) : "";
      column = column.substr(0, column.find('['));
      std::string message(valid.message());
      if (auto colon = message.find(": "); colon != std::string::npos) message.erase(0, colon + 2);
      errors.push_back({row.line, column, std::move(message)});
      continue;
    }
    auto [first, inserted] = line_of_sku.emplace(product.sku, row.line);
    if (!inserted) {
      errors.push_back({row.line, file.header[sku_position],
                        absl::StrCat("repeats line ", first->second)});
      continue;
    }
    imported.products.push_back(std::move(product));
    imported.lines.push_back(row.line);
  }
  return imported;
}

absl::Status ImportRefused(const std::vector<ProductImportError>& errors) {
  constexpr size_t kListed = 20;
  std::vector<std::string> listed;
  for (size_t i = 0; i < errors.size() && i < kListed; ++i) {
    const ProductImportError& error = errors[i];
    listed.push_back(error.column.empty()
                         ? absl::StrCat("line ", error.line, ": ", error.message)
                         : absl::StrCat("line ", error.line, ", ", error.column, ": ",
                                        error.message));
  }
  std::string more =
      errors.size() > kListed ? absl::StrCat("; and ", errors.size() - kListed, " more") : "";
  return InvalidField("csv", absl::StrCat(errors.size(), errors.size() == 1 ? " row" : " rows",
                                          " refused, nothing imported: ",
                                          absl::StrJoin(listed, "; "), more));
}

}  // namespace loyalty::pos
