#pragma once

// The product catalogue (POS-9): a category tree and products, and the
// rules they must satisfy before they are stored. Pure logic: storage
// checks the tree (cycles, depth) and that named categories exist.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::pos {

// Levels of the category tree, a root being level 1: retailers' group
// hierarchies (department, group, subgroup...) rarely pass five, and a
// bound keeps descendant queries cheap.
inline constexpr int kMaxCategoryDepth = 8;
// Products one BatchUpsertProducts call takes: one transaction of a size
// that does not hold locks for long.
inline constexpr int kMaxBatchProducts = 1000;

struct Category {
  std::string category_id;
  std::string name;
  std::string parent_id;  // "" for a root
  int depth = 1;
  bool archived = false;
  absl::Time create_time;
  absl::Time update_time;
};

enum class ProductUnit { kPiece, kWeight };

absl::string_view UnitName(ProductUnit unit);

struct Product {
  std::string sku;
  std::string name;
  std::string category_id;  // "" for none
  std::vector<std::string> barcodes;
  ProductUnit unit = ProductUnit::kPiece;
  std::optional<int64_t> base_price;  // minor units; unknown when absent
  bool no_discount = false;
  bool no_accrual = false;
  bool no_redemption = false;
  bool archived = false;
  absl::Time create_time;
  absl::Time update_time;

  // Same stored content (times aside): an upsert of it changes nothing.
  bool SameContent(const Product& other) const;
};

// Checks a category (after trimming its name); fields named under `prefix`.
absl::Status ValidateCategory(Category& category, absl::string_view prefix);

// Checks a product (after trimming its name); fields named under `prefix`
// ("product", "products[3]").
absl::Status ValidateProduct(Product& product, absl::string_view prefix);

// Checks a batch for BatchUpsertProducts: 1..kMaxBatchProducts products,
// each valid, skus distinct; errors name `products[i].<field>`.
absl::Status ValidateProductBatch(std::vector<Product>& products);

}  // namespace loyalty::pos
