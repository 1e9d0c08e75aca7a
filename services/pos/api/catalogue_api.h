#pragma once

// gRPC surface of the product catalogue (POS-9).

#include "loyalty/pos/v1/catalogue_service.grpc.pb.h"
#include "services/pos/storage/catalogue_store.h"

namespace loyalty::pos {

class CatalogueApi final : public v1::CatalogueService::Service {
 public:
  explicit CatalogueApi(CatalogueStore& store) : store_(store) {}

  grpc::Status CreateCategory(grpc::ServerContext* context,
                              const v1::CreateCategoryRequest* request,
                              v1::Category* response) override;
  grpc::Status GetCategory(grpc::ServerContext* context, const v1::GetCategoryRequest* request,
                           v1::Category* response) override;
  grpc::Status ListCategories(grpc::ServerContext* context,
                              const v1::ListCategoriesRequest* request,
                              v1::ListCategoriesResponse* response) override;
  grpc::Status UpdateCategory(grpc::ServerContext* context,
                              const v1::UpdateCategoryRequest* request,
                              v1::Category* response) override;
  grpc::Status SetCategoryArchived(grpc::ServerContext* context,
                                   const v1::SetCategoryArchivedRequest* request,
                                   v1::Category* response) override;
  grpc::Status CreateProduct(grpc::ServerContext* context, const v1::CreateProductRequest* request,
                             v1::Product* response) override;
  grpc::Status GetProduct(grpc::ServerContext* context, const v1::GetProductRequest* request,
                          v1::Product* response) override;
  grpc::Status ListProducts(grpc::ServerContext* context, const v1::ListProductsRequest* request,
                            v1::ListProductsResponse* response) override;
  grpc::Status UpdateProduct(grpc::ServerContext* context, const v1::UpdateProductRequest* request,
                             v1::Product* response) override;
  grpc::Status BatchUpsertProducts(grpc::ServerContext* context,
                                   const v1::BatchUpsertProductsRequest* request,
                                   v1::BatchUpsertProductsResponse* response) override;
  grpc::Status ImportProducts(grpc::ServerContext* context,
                              const v1::ImportProductsRequest* request,
                              v1::ImportProductsResponse* response) override;

 private:
  CatalogueStore& store_;
};

}  // namespace loyalty::pos
