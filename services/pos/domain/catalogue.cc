#include "services/pos/domain/catalogue.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "services/pos/domain/references.h"

namespace loyalty::pos {
namespace {

std::string Field(absl::string_view prefix, absl::string_view name) {
  return absl::StrCat(prefix, ".", name);
}

// Barcodes as scanners read them: EAN/UPC digits, Code 128 letters too.
absl::Status CheckBarcodes(const std::vector<std::string>& barcodes, absl::string_view prefix) {
  if (barcodes.size() > 20) return InvalidField(Field(prefix, "barcodes"), "more than 20");
  std::set<std::string> seen;
  for (size_t i = 0; i < barcodes.size(); ++i) {
    const std::string& code = barcodes[i];
    const std::string field = absl::StrCat(prefix, ".barcodes[", i, "]");
    const bool plain = std::all_of(code.begin(), code.end(), [](unsigned char c) {
      return absl::ascii_isalnum(c) || c == '-' || c == '.';
    });
    if (code.empty() || code.size() > 64 || !plain) {
      return InvalidField(field, "must be 1..64 letters, digits, '-' or '.'");
    }
    if (!seen.insert(code).second) return InvalidField(field, "repeats another barcode");
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view UnitName(ProductUnit unit) {
  return unit == ProductUnit::kWeight ? "weight" : "piece";
}

bool Product::SameContent(const Product& other) const {
  return sku == other.sku && name == other.name && category_id == other.category_id &&
         barcodes == other.barcodes && unit == other.unit && base_price == other.base_price &&
         no_discount == other.no_discount && no_accrual == other.no_accrual &&
         no_redemption == other.no_redemption && archived == other.archived;
}

absl::Status ValidateCategory(Category& category, absl::string_view prefix) {
  category.name = std::string(absl::StripAsciiWhitespace(category.name));
  if (!category.category_id.empty()) {
    if (absl::Status s = ValidateCode(category.category_id, Field(prefix, "category_id"));
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = ValidateText(category.name, 200, true, Field(prefix, "name")); !s.ok()) {
    return s;
  }
  if (category.parent_id.empty()) return absl::OkStatus();
  if (absl::Status s = ValidateCode(category.parent_id, Field(prefix, "parent_id")); !s.ok()) {
    return s;
  }
  if (category.parent_id == category.category_id) {
    return InvalidField(Field(prefix, "parent_id"), "a category cannot be its own parent");
  }
  return absl::OkStatus();
}

absl::Status ValidateProduct(Product& product, absl::string_view prefix) {
  product.name = std::string(absl::StripAsciiWhitespace(product.name));
  const absl::Status checks[] = {
      ValidateCode(product.sku, Field(prefix, "sku")),
      ValidateText(product.name, 300, true, Field(prefix, "name")),
      product.category_id.empty() ? absl::OkStatus()
                                  : ValidateCode(product.category_id, Field(prefix, "category_id")),
      CheckBarcodes(product.barcodes, prefix),
      product.base_price.value_or(0) < 0
          ? InvalidField(Field(prefix, "base_price"), "must not be negative")
          : absl::OkStatus(),
  };
  for (const absl::Status& status : checks) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status ValidateProductBatch(std::vector<Product>& products) {
  if (products.empty()) return InvalidField("products", "must not be empty");
  if (products.size() > static_cast<size_t>(kMaxBatchProducts)) {
    return InvalidField("products", absl::StrCat("more than ", kMaxBatchProducts));
  }
  std::unordered_map<std::string, size_t> first_of_sku;
  for (size_t i = 0; i < products.size(); ++i) {
    const std::string prefix = absl::StrCat("products[", i, "]");
    if (absl::Status s = ValidateProduct(products[i], prefix); !s.ok()) return s;
    auto [it, inserted] = first_of_sku.emplace(products[i].sku, i);
    if (!inserted) {
      return InvalidField(Field(prefix, "sku"),
                          absl::StrCat("repeats products[", it->second, "].sku"));
    }
  }
  return absl::OkStatus();
}

}  // namespace loyalty::pos
