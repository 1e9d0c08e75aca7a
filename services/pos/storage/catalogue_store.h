#pragma once

// PostgreSQL storage of the product catalogue (tables
// `pos.product_categories`, `pos.products`), with ProductUpserted events.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/pg/pool.h"
#include "services/pos/domain/catalogue.h"

namespace loyalty::pos {

struct CategoryPage {
  std::vector<Category> categories;
  std::string next_page_token;
};

struct ProductPage {
  std::vector<Product> products;
  std::string next_page_token;
};

struct ProductFilter {
  std::string category_id;  // with its descendants; "" for all
  std::string prefix;       // of the sku, or of the name ignoring case
  bool show_archived = false;
};

struct UpsertCounts {
  int created = 0;
  int updated = 0;
  int unchanged = 0;
};

class CatalogueStore final {
 public:
  explicit CatalogueStore(pg::Pool& pool) : pool_(pool) {}

  // A new category (a UUID when its id is empty) under an existing,
  // unarchived parent, within kMaxCategoryDepth; the same `request_id`
  // returns the first result.
  absl::StatusOr<Category> CreateCategory(const std::string& program_id, const Category& category,
                                          const std::string& request_id);
  absl::StatusOr<Category> GetCategory(const std::string& program_id,
                                       const std::string& category_id);
  // By id; only the children of `parent_id` unless it is empty.
  absl::StatusOr<CategoryPage> ListCategories(const std::string& program_id,
                                              const std::string& parent_id, int page_size,
                                              const std::string& page_token, bool show_archived);
  // Reads the category, applies `change`, and writes it back; a new parent
  // is checked (exists, unarchived, not in the category's own subtree, the
  // moved subtree within the depth limit) and the subtree's depths follow.
  absl::StatusOr<Category> UpdateCategory(const std::string& program_id,
                                          const std::string& category_id,
                                          const std::function<absl::Status(Category&)>& change);

  absl::StatusOr<Product> CreateProduct(const std::string& program_id, const Product& product,
                                        const std::string& request_id);
  absl::StatusOr<Product> GetProduct(const std::string& program_id, const std::string& sku);
  // The products of `skus` that the program has (archived ones too), in one
  // query: pricing a receipt looks up all its lines at once.
  absl::StatusOr<std::vector<Product>> GetProducts(const std::string& program_id,
                                                   const std::vector<std::string>& skus);
  absl::StatusOr<ProductPage> ListProducts(const std::string& program_id,
                                           const ProductFilter& filter, int page_size,
                                           const std::string& page_token);
  absl::StatusOr<Product> UpdateProduct(const std::string& program_id, const std::string& sku,
                                        const std::function<absl::Status(Product&)>& change);
  // Creates or replaces `products` (validated, distinct skus) in one
  // transaction; a category that is missing or archived refuses the whole
  // batch naming `products[i].category_id`. Rows whose content is the
  // same are not touched and get no event. With `validate_only` every
  // check runs and the counts are what it would do, but the transaction
  // is rolled back.
  absl::StatusOr<UpsertCounts> UpsertProducts(const std::string& program_id,
                                              const std::vector<Product>& products,
                                              bool validate_only = false);

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::pos
