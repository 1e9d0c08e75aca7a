#include "services/pos/storage/catalogue_store.h"

#include <optional>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/outbox/outbox.h"
#include "libs/pg/array_literal.h"
#include "libs/rpc/proto_convert.h"
#include "loyalty/pos/v1/events.pb.h"

namespace loyalty::pos {
namespace {

constexpr char kCategoryColumns[] =
    "category_id, name, coalesce(parent_id, ''), depth, archived,"
    " (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM updated_at) * 1000000)::bigint";

Category CategoryFromRow(const pqxx::row& row) {
  return Category{.category_id = row[0].as<std::string>(),
                  .name = row[1].as<std::string>(),
                  .parent_id = row[2].as<std::string>(),
                  .depth = row[3].as<int>(),
                  .archived = row[4].as<bool>(),
                  .create_time = absl::FromUnixMicros(row[5].as<int64_t>()),
                  .update_time = absl::FromUnixMicros(row[6].as<int64_t>())};
}

// Barcodes are space-joined both ways: they hold no spaces (the domain
// checks), and libpqxx 6 has no array parameters.
constexpr char kProductColumns[] =
    "sku, name, coalesce(category_id, ''), array_to_string(barcodes, ' '), unit,"
    " base_price, no_discount, no_accrual, no_redemption, archived,"
    " (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM updated_at) * 1000000)::bigint";

Product ProductFromRow(const pqxx::row& row) {
  std::vector<std::string> barcodes =
      absl::StrSplit(row[3].as<std::string>(), ' ', absl::SkipEmpty());
  Product product{.sku = row[0].as<std::string>(),
                  .name = row[1].as<std::string>(),
                  .category_id = row[2].as<std::string>(),
                  .barcodes = std::move(barcodes),
                  .unit = row[4].as<std::string>() == "weight" ? ProductUnit::kWeight
                                                               : ProductUnit::kPiece,
                  .no_discount = row[6].as<bool>(),
                  .no_accrual = row[7].as<bool>(),
                  .no_redemption = row[8].as<bool>(),
                  .archived = row[9].as<bool>(),
                  .create_time = absl::FromUnixMicros(row[10].as<int64_t>()),
                  .update_time = absl::FromUnixMicros(row[11].as<int64_t>())};
  if (!row[5].is_null()) product.base_price = row[5].as<int64_t>();
  return product;
}

std::optional<std::string> PriceParam(const Product& product) {
  if (!product.base_price) return std::nullopt;
  return absl::StrCat(*product.base_price);
}

std::optional<std::string> OrNull(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

v1::ProductUpserted UpsertedEvent(const Product& product) {
  v1::ProductUpserted event;
  event.set_sku(product.sku);
  event.set_name(product.name);
  event.set_category_id(product.category_id);
  for (const std::string& code : product.barcodes) event.add_barcodes(code);
  event.set_unit(std::string(UnitName(product.unit)));
  event.set_has_base_price(product.base_price.has_value());
  event.set_base_price(product.base_price.value_or(0));
  event.set_no_discount(product.no_discount);
  event.set_no_accrual(product.no_accrual);
  event.set_no_redemption(product.no_redemption);
  event.set_archived(product.archived);
  rpc::SetTimestamp(product.update_time, event.mutable_change_time());
  return event;
}

// Tree changes of one program run one at a time, so two moves cannot
// build a cycle between them.
void LockTree(pg::Tx& tx, const std::string& program_id) {
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('pos.product_categories'), hashtext($1))",
                 program_id);
}

std::optional<Category> LoadCategory(pg::Tx& tx, const std::string& program_id,
                                     const std::string& category_id, const char* lock) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kCategoryColumns,
                   " FROM product_categories WHERE program_id = $1 AND category_id = $2", lock),
      program_id, category_id);
  if (rows.empty()) return std::nullopt;
  return CategoryFromRow(rows[0]);
}

// The parent a category may be put under, locked against archiving.
absl::StatusOr<Category> UsableParent(pg::Tx& tx, const std::string& program_id,
                                      const std::string& parent_id) {
  std::optional<Category> parent = LoadCategory(tx, program_id, parent_id, " FOR SHARE");
  if (!parent) return InvalidField("category.parent_id", absl::StrCat("no category ", parent_id));
  if (parent->archived) {
    return InvalidField("category.parent_id", absl::StrCat("category ", parent_id, " is archived"));
  }
  return *parent;
}

std::optional<Product> LoadProduct(pg::Tx& tx, const std::string& program_id,
                                   const std::string& sku, bool for_update) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kProductColumns,
                   " FROM products WHERE program_id = $1 AND sku = $2",
                   for_update ? " FOR UPDATE" : ""),
      program_id, sku);
  if (rows.empty()) return std::nullopt;
  return ProductFromRow(rows[0]);
}

// INVALID_ARGUMENT naming `field` unless `category_id` ("" passes) is an
// unarchived category of the program; locks it until the transaction ends.
absl::Status CheckProductCategory(pg::Tx& tx, const std::string& program_id,
                                  const std::string& category_id, const std::string& field) {
  if (category_id.empty()) return absl::OkStatus();
  std::optional<Category> category = LoadCategory(tx, program_id, category_id, " FOR SHARE");
  if (!category) return InvalidField(field, absl::StrCat("no category ", category_id));
  if (category->archived) {
    return InvalidField(field, absl::StrCat("category ", category_id, " is archived"));
  }
  return absl::OkStatus();
}

absl::Status ProductNotFound(const std::string& sku) {
  return absl::NotFoundError(absl::StrCat("product ", sku, " not found"));
}

}  // namespace

absl::StatusOr<Category> CatalogueStore::CreateCategory(const std::string& program_id,
                                                        const Category& category,
                                                        const std::string& request_id) {
  Category created;
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    if (!request_id.empty()) {
      pqxx::result previous = tx.exec_params(
          absl::StrCat("SELECT ", kCategoryColumns,
                       " FROM product_categories WHERE program_id = $1 AND request_id = $2"),
          program_id, request_id);
      if (!previous.empty()) {
        created = CategoryFromRow(previous[0]);
        return absl::OkStatus();
      }
    }
    LockTree(tx, program_id);
    int depth = 1;
    if (!category.parent_id.empty()) {
      ASSIGN_OR_RETURN(Category parent, UsableParent(tx, program_id, category.parent_id));
      depth = parent.depth + 1;
      if (depth > kMaxCategoryDepth) {
        return InvalidField("category.parent_id",
                            absl::StrCat("the tree is at most ", kMaxCategoryDepth, " levels deep"));
      }
    }
    const std::string id = category.category_id.empty() ? NewUuid() : category.category_id;
    pqxx::result rows = tx.exec_params(
        absl::StrCat("INSERT INTO product_categories (program_id, category_id, name, parent_id,"
                     " depth, request_id) VALUES ($1, $2, $3, $4, $5, $6)"
                     " ON CONFLICT (program_id, category_id) DO NOTHING RETURNING ",
                     kCategoryColumns),
        program_id, id, category.name, OrNull(category.parent_id), depth, OrNull(request_id));
    if (rows.empty()) {
      return FieldError(absl::StatusCode::kAlreadyExists, "category.category_id",
                        absl::StrCat("category ", id, " already exists"));
    }
    created = CategoryFromRow(rows[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<Category> CatalogueStore::GetCategory(const std::string& program_id,
                                                     const std::string& category_id) {
  std::optional<Category> found;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    found = LoadCategory(tx, program_id, category_id, "");
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError(absl::StrCat("category ", category_id, " not found"));
  return *found;
}

absl::StatusOr<CategoryPage> CatalogueStore::ListCategories(const std::string& program_id,
                                                            const std::string& parent_id,
                                                            int page_size,
                                                            const std::string& page_token,
                                                            bool show_archived) {
  std::string after;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(after, DecodePageToken(page_token));
  }
  CategoryPage page;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    page.categories.clear();
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kCategoryColumns,
                     " FROM product_categories WHERE program_id = $1"
                     " AND ($2 = '' OR parent_id = $2) AND ($3 OR NOT archived)"
                     " AND category_id > $4 ORDER BY category_id LIMIT $5"),
        program_id, parent_id, show_archived, after, page_size + 1);
    for (const auto& row : rows) page.categories.push_back(CategoryFromRow(row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (static_cast<int>(page.categories.size()) > page_size) {
    page.categories.pop_back();
    page.next_page_token = EncodePageToken(page.categories.back().category_id);
  }
  return page;
}

absl::StatusOr<Category> CatalogueStore::UpdateCategory(
    const std::string& program_id, const std::string& category_id,
    const std::function<absl::Status(Category&)>& change) {
  Category saved;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    LockTree(tx, program_id);
    std::optional<Category> current = LoadCategory(tx, program_id, category_id, " FOR UPDATE");
    if (!current) return absl::NotFoundError(absl::StrCat("category ", category_id, " not found"));
    saved = *current;
    RETURN_IF_ERROR(change(saved));
    if (saved.parent_id != current->parent_id) {
      int depth = 1;
      if (!saved.parent_id.empty()) {
        ASSIGN_OR_RETURN(Category parent, UsableParent(tx, program_id, saved.parent_id));
        depth = parent.depth + 1;
      }
      // The subtree moves with the category: its own descendants may not
      // become its parent, and its deepest level may not pass the limit.
      pqxx::row subtree = tx.exec_params1(
          "WITH RECURSIVE subtree AS ("
          "  SELECT category_id, depth FROM product_categories"
          "  WHERE program_id = $1 AND category_id = $2"
          "  UNION ALL SELECT c.category_id, c.depth FROM product_categories c"
          "  JOIN subtree s ON c.program_id = $1 AND c.parent_id = s.category_id)"
          " SELECT coalesce(bool_or(category_id = $3), false), max(depth) FROM subtree",
          program_id, category_id, saved.parent_id);
      if (subtree[0].as<bool>()) {
        return InvalidField("category.parent_id", "is the category itself or one of its descendants");
      }
      const int shift = depth - current->depth;
      if (subtree[1].as<int>() + shift > kMaxCategoryDepth) {
        return InvalidField("category.parent_id",
                            absl::StrCat("the tree is at most ", kMaxCategoryDepth, " levels deep"));
      }
      tx.exec_params(
          "WITH RECURSIVE subtree AS ("
          "  SELECT category_id FROM product_categories"
          "  WHERE program_id = $1 AND category_id = $2"
          "  UNION ALL SELECT c.category_id FROM product_categories c"
          "  JOIN subtree s ON c.program_id = $1 AND c.parent_id = s.category_id)"
          " UPDATE product_categories SET depth = depth + $3"
          " WHERE program_id = $1 AND category_id IN (SELECT category_id FROM subtree)",
          program_id, category_id, shift);
    }
    pqxx::row row = tx.exec_params1(
        absl::StrCat("UPDATE product_categories SET name = $3, parent_id = $4, archived = $5,"
                     " updated_at = now() WHERE program_id = $1 AND category_id = $2 RETURNING ",
                     kCategoryColumns),
        program_id, category_id, saved.name, OrNull(saved.parent_id), saved.archived);
    saved = CategoryFromRow(row);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return saved;
}

absl::StatusOr<Product> CatalogueStore::CreateProduct(const std::string& program_id,
                                                      const Product& product,
                                                      const std::string& request_id) {
  Product created;
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    if (!request_id.empty()) {
      pqxx::result previous = tx.exec_params(
          absl::StrCat("SELECT ", kProductColumns,
                       " FROM products WHERE program_id = $1 AND request_id = $2"),
          program_id, request_id);
      if (!previous.empty()) {
        created = ProductFromRow(previous[0]);
        return absl::OkStatus();
      }
    }
    RETURN_IF_ERROR(
        CheckProductCategory(tx, program_id, product.category_id, "product.category_id"));
    pqxx::result rows = tx.exec_params(
        absl::StrCat("INSERT INTO products (program_id, sku, name, category_id, barcodes, unit,"
                     " base_price, no_discount, no_accrual, no_redemption, archived, request_id)"
                     " VALUES ($1, $2, $3, $4, string_to_array($5, ' '), $6, $7::bigint, $8, $9,"
                     " $10, $11, $12) ON CONFLICT (program_id, sku) DO NOTHING RETURNING ",
                     kProductColumns),
        program_id, product.sku, product.name, OrNull(product.category_id),
        absl::StrJoin(product.barcodes, " "), std::string(UnitName(product.unit)),
        PriceParam(product), product.no_discount, product.no_accrual, product.no_redemption,
        product.archived, OrNull(request_id));
    if (rows.empty()) {
      return FieldError(absl::StatusCode::kAlreadyExists, "product.sku",
                        absl::StrCat("product ", product.sku, " already exists"));
    }
    created = ProductFromRow(rows[0]);
    outbox::Append(tx, outbox::StreamFor("pos"), program_id, UpsertedEvent(created));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<Product> CatalogueStore::GetProduct(const std::string& program_id,
                                                   const std::string& sku) {
  std::optional<Product> found;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    found = LoadProduct(tx, program_id, sku, false);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return ProductNotFound(sku);
  return *found;
}

absl::StatusOr<std::vector<Product>> CatalogueStore::GetProducts(
    const std::string& program_id, const std::vector<std::string>& skus) {
  std::vector<Product> products;
  if (skus.empty()) return products;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    products.clear();
    for (const pqxx::row& row :
         tx.exec_params(absl::StrCat("SELECT ", kProductColumns,
                                     " FROM products WHERE program_id = $1"
                                     " AND sku = ANY($2::text[])"),
                        program_id, pg::TextArray(skus))) {
      products.push_back(ProductFromRow(row));
    }
    return absl::OkStatus();
  }, pg::Isolation::kAutocommit);
  if (!status.ok()) return status;
  return products;
}

absl::StatusOr<ProductPage> CatalogueStore::ListProducts(const std::string& program_id,
                                                         const ProductFilter& filter,
                                                         int page_size,
                                                         const std::string& page_token) {
  std::string after;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(after, DecodePageToken(page_token));
  }
  ProductPage page;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    page.products.clear();
    pqxx::result rows = tx.exec_params(
        absl::StrCat(
            "WITH RECURSIVE tree AS ("
            "  SELECT category_id FROM product_categories"
            "  WHERE program_id = $1 AND category_id = $2"
            "  UNION ALL SELECT c.category_id FROM product_categories c"
            "  JOIN tree t ON c.program_id = $1 AND c.parent_id = t.category_id)"
            " SELECT ",
            kProductColumns,
            " FROM products WHERE program_id = $1"
            " AND ($2 = '' OR category_id IN (SELECT category_id FROM tree))"
            " AND ($3 = '' OR starts_with(sku, $3) OR starts_with(lower(name), lower($3)))"
            " AND ($4 OR NOT archived) AND sku > $5 ORDER BY sku LIMIT $6"),
        program_id, filter.category_id, filter.prefix, filter.show_archived, after,
        page_size + 1);
    for (const auto& row : rows) page.products.push_back(ProductFromRow(row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (static_cast<int>(page.products.size()) > page_size) {
    page.products.pop_back();
    page.next_page_token = EncodePageToken(page.products.back().sku);
  }
  return page;
}

absl::StatusOr<Product> CatalogueStore::UpdateProduct(
    const std::string& program_id, const std::string& sku,
    const std::function<absl::Status(Product&)>& change) {
  Product saved;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    std::optional<Product> current = LoadProduct(tx, program_id, sku, true);
    if (!current) return ProductNotFound(sku);
    saved = *current;
    RETURN_IF_ERROR(change(saved));
    if (saved.SameContent(*current)) return absl::OkStatus();
    if (saved.category_id != current->category_id) {
      RETURN_IF_ERROR(
          CheckProductCategory(tx, program_id, saved.category_id, "product.category_id"));
    }
    pqxx::row row = tx.exec_params1(
        absl::StrCat("UPDATE products SET name = $3, category_id = $4,"
                     " barcodes = string_to_array($5, ' '), unit = $6, base_price = $7::bigint,"
                     " no_discount = $8, no_accrual = $9, no_redemption = $10, archived = $11,"
                     " updated_at = now() WHERE program_id = $1 AND sku = $2 RETURNING ",
                     kProductColumns),
        program_id, sku, saved.name, OrNull(saved.category_id), absl::StrJoin(saved.barcodes, " "),
        std::string(UnitName(saved.unit)), PriceParam(saved), saved.no_discount,
        saved.no_accrual, saved.no_redemption, saved.archived);
    saved = ProductFromRow(row);
    outbox::Append(tx, outbox::StreamFor("pos"), program_id, UpsertedEvent(saved));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return saved;
}

absl::StatusOr<UpsertCounts> CatalogueStore::UpsertProducts(const std::string& program_id,
                                                            const std::vector<Product>& products,
                                                            bool validate_only) {
  // Rolls the validating transaction back; not an error to the caller.
  const absl::Status kRolledBack = absl::CancelledError("validate only: rolled back");
  std::vector<std::string> skus, names, categories, barcodes, units, prices, flags;
  for (const Product& product : products) {
    skus.push_back(product.sku);
    names.push_back(product.name);
    categories.push_back(product.category_id);
    barcodes.push_back(absl::StrJoin(product.barcodes, " "));
    units.push_back(std::string(UnitName(product.unit)));
    prices.push_back(product.base_price ? absl::StrCat(*product.base_price) : "");
    // no_discount, no_accrual, no_redemption, archived as four characters.
    flags.push_back(absl::StrCat(product.no_discount ? "t" : "f", product.no_accrual ? "t" : "f",
                                 product.no_redemption ? "t" : "f", product.archived ? "t" : "f"));
  }
  UpsertCounts counts;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    counts = UpsertCounts{};
    // The first product naming a missing or archived category, locking the
    // categories that are named.
    pqxx::result bad = tx.exec_params(
        "WITH named AS (SELECT DISTINCT c FROM unnest($2::text[]) AS c WHERE c <> ''),"
        " usable AS (SELECT category_id FROM product_categories p JOIN named n"
        "  ON p.program_id = $1 AND p.category_id = n.c WHERE NOT p.archived FOR SHARE OF p)"
        " SELECT i - 1, c FROM unnest($2::text[]) WITH ORDINALITY AS u(c, i)"
        " WHERE c <> '' AND c NOT IN (SELECT category_id FROM usable) ORDER BY i LIMIT 1",
        program_id, pg::TextArray(categories));
    if (!bad.empty()) {
      return InvalidField(absl::StrCat("products[", bad[0][0].as<int>(), "].category_id"),
                          absl::StrCat("no usable category ", bad[0][1].as<std::string>(),
                                       " (missing or archived)"));
    }
    pqxx::result rows = tx.exec_params(
        absl::StrCat(
            "INSERT INTO products AS p (program_id, sku, name, category_id, barcodes, unit,"
            " base_price, no_discount, no_accrual, no_redemption, archived)"
            " SELECT $1, sku, name, NULLIF(category, ''), string_to_array(codes, ' '), unit,"
            " NULLIF(price, '')::bigint, substr(f, 1, 1)::boolean, substr(f, 2, 1)::boolean,"
            " substr(f, 3, 1)::boolean, substr(f, 4, 1)::boolean"
            " FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
            "  $7::text[], $8::text[]) AS u(sku, name, category, codes, unit, price, f)"
            " ON CONFLICT (program_id, sku) DO UPDATE SET name = EXCLUDED.name,"
            " category_id = EXCLUDED.category_id, barcodes = EXCLUDED.barcodes,"
            " unit = EXCLUDED.unit, base_price = EXCLUDED.base_price,"
            " no_discount = EXCLUDED.no_discount, no_accrual = EXCLUDED.no_accrual,"
            " no_redemption = EXCLUDED.no_redemption, archived = EXCLUDED.archived,"
            " updated_at = now()"
            " WHERE (p.name, p.category_id, p.barcodes, p.unit, p.base_price, p.no_discount,"
            "  p.no_accrual, p.no_redemption, p.archived) IS DISTINCT FROM"
            " (EXCLUDED.name, EXCLUDED.category_id, EXCLUDED.barcodes, EXCLUDED.unit,"
            "  EXCLUDED.base_price, EXCLUDED.no_discount, EXCLUDED.no_accrual,"
            "  EXCLUDED.no_redemption, EXCLUDED.archived)"
            " RETURNING ",
            kProductColumns, ", (xmax = 0)"),
        program_id, pg::TextArray(skus), pg::TextArray(names), pg::TextArray(categories),
        pg::TextArray(barcodes), pg::TextArray(units), pg::TextArray(prices),
        pg::TextArray(flags));
    std::vector<v1::ProductUpserted> events;
    events.reserve(rows.size());
    for (const auto& row : rows) {
      // The column after the product's: whether the row is new.
      (row[12].as<bool>() ? counts.created : counts.updated)++;
      events.push_back(UpsertedEvent(ProductFromRow(row)));
    }
    counts.unchanged = static_cast<int>(products.size()) - counts.created - counts.updated;
    std::vector<const google::protobuf::Message*> messages;
    for (const auto& event : events) messages.push_back(&event);
    if (validate_only) return kRolledBack;
    if (!messages.empty()) outbox::AppendAll(tx, outbox::StreamFor("pos"), program_id, messages);
    return absl::OkStatus();
  });
  if (!status.ok() && !(validate_only && status == kRolledBack)) return status;
  return counts;
}

}  // namespace loyalty::pos
