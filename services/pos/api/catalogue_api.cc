#include "services/pos/api/catalogue_api.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/pos/api/update_mask.h"
#include "services/pos/domain/product_import.h"

namespace loyalty::pos {
namespace {

void CategoryToProto(const Category& category, v1::Category* out) {
  out->set_category_id(category.category_id);
  out->set_name(category.name);
  out->set_parent_id(category.parent_id);
  out->set_depth(category.depth);
  out->set_archived(category.archived);
  rpc::SetTimestamp(category.create_time, out->mutable_create_time());
  rpc::SetTimestamp(category.update_time, out->mutable_update_time());
}

void ProductToProto(const Product& product, v1::Product* out) {
  out->set_sku(product.sku);
  out->set_name(product.name);
  out->set_category_id(product.category_id);
  for (const std::string& code : product.barcodes) out->add_barcodes(code);
  out->set_unit(product.unit == ProductUnit::kWeight ? v1::PRODUCT_UNIT_WEIGHT
                                                     : v1::PRODUCT_UNIT_PIECE);
  if (product.base_price) out->set_base_price(*product.base_price);
  out->set_no_discount(product.no_discount);
  out->set_no_accrual(product.no_accrual);
  out->set_no_redemption(product.no_redemption);
  out->set_archived(product.archived);
  rpc::SetTimestamp(product.create_time, out->mutable_create_time());
  rpc::SetTimestamp(product.update_time, out->mutable_update_time());
}

absl::StatusOr<ProductUnit> UnitFromProto(v1::ProductUnit unit, const std::string& field) {
  switch (unit) {
    case v1::PRODUCT_UNIT_UNSPECIFIED:
    case v1::PRODUCT_UNIT_PIECE:
      return ProductUnit::kPiece;
    case v1::PRODUCT_UNIT_WEIGHT:
      return ProductUnit::kWeight;
    default:
      return InvalidField(field, "unknown unit");
  }
}

absl::StatusOr<Product> ProductFromProto(const v1::Product& in, absl::string_view prefix) {
  ASSIGN_OR_RETURN(ProductUnit unit, UnitFromProto(in.unit(), absl::StrCat(prefix, ".unit")));
  Product product{.sku = in.sku(),
                  .name = in.name(),
                  .category_id = in.category_id(),
                  .barcodes = std::vector<std::string>(in.barcodes().begin(), in.barcodes().end()),
                  .unit = unit,
                  .no_discount = in.no_discount(),
                  .no_accrual = in.no_accrual(),
                  .no_redemption = in.no_redemption(),
                  .archived = in.archived()};
  if (in.has_base_price()) product.base_price = in.base_price();
  return product;
}

using CategoryPath = MaskPath<v1::Category, Category>;
constexpr CategoryPath kCategoryPaths[] = {
    {"name", [](const v1::Category& in, Category& c) { c.name = in.name(); }},
    {"parent_id", [](const v1::Category& in, Category& c) { c.parent_id = in.parent_id(); }},
};

// The unit is converted before the mask is applied (it may be invalid), so
// product paths copy from an already converted Product.
using ProductPath = MaskPath<Product, Product>;
constexpr ProductPath kProductPaths[] = {
    {"name", [](const Product& in, Product& p) { p.name = in.name; }},
    {"category_id", [](const Product& in, Product& p) { p.category_id = in.category_id; }},
    {"barcodes", [](const Product& in, Product& p) { p.barcodes = in.barcodes; }},
    {"unit", [](const Product& in, Product& p) { p.unit = in.unit; }},
    {"base_price", [](const Product& in, Product& p) { p.base_price = in.base_price; }},
    {"no_discount", [](const Product& in, Product& p) { p.no_discount = in.no_discount; }},
    {"no_accrual", [](const Product& in, Product& p) { p.no_accrual = in.no_accrual; }},
    {"no_redemption", [](const Product& in, Product& p) { p.no_redemption = in.no_redemption; }},
    {"archived", [](const Product& in, Product& p) { p.archived = in.archived; }},
};

absl::Status CheckRequestId(const std::string& request_id) {
  if (request_id.size() > 128) return InvalidField("request_id", "longer than 128 bytes");
  return absl::OkStatus();
}

}  // namespace

grpc::Status CatalogueApi::CreateCategory(grpc::ServerContext* context,
                                          const v1::CreateCategoryRequest* request,
                                          v1::Category* response) {
  return rpc::HandleProgramCall(
      context, "CreateCategory", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(CheckRequestId(request->request_id()));
        Category wanted{.category_id = request->category().category_id(),
                        .name = request->category().name(),
                        .parent_id = request->category().parent_id()};
        RETURN_IF_ERROR(ValidateCategory(wanted, "category"));
        ASSIGN_OR_RETURN(Category created,
                         store_.CreateCategory(call.program_id, wanted, request->request_id()));
        CategoryToProto(created, response);
        return absl::OkStatus();
      });
}

grpc::Status CatalogueApi::GetCategory(grpc::ServerContext* context,
                                       const v1::GetCategoryRequest* request,
                                       v1::Category* response) {
  return rpc::HandleProgramCall(
      context, "GetCategory", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Category found,
                         store_.GetCategory(call.program_id, request->category_id()));
        CategoryToProto(found, response);
        return absl::OkStatus();
      });
}

grpc::Status CatalogueApi::ListCategories(grpc::ServerContext* context,
                                          const v1::ListCategoriesRequest* request,
                                          v1::ListCategoriesResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListCategories", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(CategoryPage page,
                         store_.ListCategories(call.program_id, request->parent_id(), page_size,
                                               request->page_token(), request->show_archived()));
        for (const Category& category : page.categories) {
          CategoryToProto(category, response->add_categories());
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status CatalogueApi::UpdateCategory(grpc::ServerContext* context,
                                          const v1::UpdateCategoryRequest* request,
                                          v1::Category* response) {
  return rpc::HandleProgramCall(
      context, "UpdateCategory", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(
            Category saved,
            store_.UpdateCategory(call.program_id, request->category().category_id(),
                                  [&](Category& category) -> absl::Status {
                                    RETURN_IF_ERROR(ApplyUpdateMask(request->category(),
                                                              request->update_mask(),
                                                              kCategoryPaths, category));
                                    return ValidateCategory(category, "category");
                                  }));
        CategoryToProto(saved, response);
        return absl::OkStatus();
      });
}

grpc::Status CatalogueApi::SetCategoryArchived(grpc::ServerContext* context,
                                               const v1::SetCategoryArchivedRequest* request,
                                               v1::Category* response) {
  return rpc::HandleProgramCall(
      context, "SetCategoryArchived", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Category saved,
                         store_.UpdateCategory(call.program_id, request->category_id(),
                                               [&](Category& category) {
                                                 category.archived = request->archived();
                                                 return absl::OkStatus();
                                               }));
        CategoryToProto(saved, response);
        return absl::OkStatus();
      });
}

grpc::Status CatalogueApi::CreateProduct(grpc::ServerContext* context,
                                         const v1::CreateProductRequest* request,
                                         v1::Product* response) {
  return rpc::HandleProgramCall(
      context, "CreateProduct", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(CheckRequestId(request->request_id()));
        ASSIGN_OR_RETURN(Product wanted, ProductFromProto(request->product(), "product"));
        RETURN_IF_ERROR(ValidateProduct(wanted, "product"));
        ASSIGN_OR_RETURN(Product created,
                         store_.CreateProduct(call.program_id, wanted, request->request_id()));
        ProductToProto(created, response);
        return absl::OkStatus();
      });
}

grpc::Status CatalogueApi::GetProduct(grpc::ServerContext* context,
                                      const v1::GetProductRequest* request,
                                      v1::Product* response) {
  return rpc::HandleProgramCall(
      context, "GetProduct", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Product found, store_.GetProduct(call.program_id, request->sku()));
        ProductToProto(found, response);
        return absl::OkStatus();
      });
}

grpc::Status CatalogueApi::ListProducts(grpc::ServerContext* context,
                                        const v1::ListProductsRequest* request,
                                        v1::ListProductsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListProducts", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        if (request->prefix().size() > 300) return InvalidField("prefix", "longer than 300 bytes");
        ProductFilter filter{.category_id = request->category_id(),
                             .prefix = request->prefix(),
                             .show_archived = request->show_archived()};
        ASSIGN_OR_RETURN(ProductPage page, store_.ListProducts(call.program_id, filter, page_size,
                                                               request->page_token()));
        for (const Product& product : page.products) {
          ProductToProto(product, response->add_products());
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status CatalogueApi::UpdateProduct(grpc::ServerContext* context,
                                         const v1::UpdateProductRequest* request,
                                         v1::Product* response) {
  return rpc::HandleProgramCall(
      context, "UpdateProduct", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Product in, ProductFromProto(request->product(), "product"));
        ASSIGN_OR_RETURN(Product saved,
                         store_.UpdateProduct(call.program_id, in.sku,
                                              [&](Product& product) -> absl::Status {
                                                RETURN_IF_ERROR(ApplyUpdateMask(
                                                    in, request->update_mask(), kProductPaths,
                                                    product));
                                                return ValidateProduct(product, "product");
                                              }));
        ProductToProto(saved, response);
        return absl::OkStatus();
      });
}

grpc::Status CatalogueApi::BatchUpsertProducts(grpc::ServerContext* context,
                                               const v1::BatchUpsertProductsRequest* request,
                                               v1::BatchUpsertProductsResponse* response) {
  return rpc::HandleProgramCall(
      context, "BatchUpsertProducts", [&](const rpc::CallContext& call) -> absl::Status {
        if (request->products_size() > kMaxBatchProducts) {
          return InvalidField("products", absl::StrCat("more than ", kMaxBatchProducts));
        }
        std::vector<Product> products;
        products.reserve(request->products_size());
        for (int i = 0; i < request->products_size(); ++i) {
          ASSIGN_OR_RETURN(Product product, ProductFromProto(request->products(i),
                                                             absl::StrCat("products[", i, "]")));
          products.push_back(std::move(product));
        }
        RETURN_IF_ERROR(ValidateProductBatch(products));
        ASSIGN_OR_RETURN(UpsertCounts counts, store_.UpsertProducts(call.program_id, products));
        response->set_created(counts.created);
        response->set_updated(counts.updated);
        response->set_unchanged(counts.unchanged);
        return absl::OkStatus();
      });
}

grpc::Status CatalogueApi::ImportProducts(grpc::ServerContext* context,
                                          const v1::ImportProductsRequest* request,
                                          v1::ImportProductsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ImportProducts", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(ProductImportFile file, ReadProductCsv(request->csv()));
        ASSIGN_OR_RETURN(std::vector<Product> stored,
                         store_.GetProducts(call.program_id, ImportedSkus(file)));
        absl::flat_hash_map<std::string, Product> by_sku;
        for (Product& product : stored) by_sku.emplace(product.sku, std::move(product));
        ImportedProducts imported = ProductsFromImport(file, by_sku);
        if (!imported.errors.empty()) return ImportRefused(imported.errors);
        absl::StatusOr<UpsertCounts> counts =
            store_.UpsertProducts(call.program_id, imported.products, request->validate_only());
        if (!counts.ok()) {
          // A missing or archived category, named by the product's index.
          const std::string field = ViolatedField(counts.status()).value_or("");
          size_t index = 0;
          if (std::sscanf(field.c_str(), "products[%zu]", &index) == 1 &&
              index < imported.lines.size()) {
            std::string message(counts.status().message());
            if (auto colon = message.find(": "); colon != std::string::npos) {
              message.erase(0, colon + 2);
            }
            return ImportRefused({{imported.lines[index], "category_id", message}});
          }
          return counts.status();
        }
        response->set_rows(static_cast<int32_t>(imported.products.size()));
        response->set_created(counts->created);
        response->set_updated(counts->updated);
        response->set_unchanged(counts->unchanged);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::pos
