#pragma once

// gRPC surface of `pos`.

#include "loyalty/pos/v1/pos_service.grpc.pb.h"
#include "loyalty/pos/v1/store_service.grpc.pb.h"
#include "services/pos/api/ledger_client.h"
#include "services/pos/domain/receipt_engine.h"
#include "services/pos/storage/pos_store.h"

namespace loyalty::pos {

class BudgetUsageReader;  // api/budget_usage_api.h

class PosApi final : public v1::PosService::Service {
 public:
  PosApi(ReceiptEngine& engine, PosStore& store, CardsStubs& cards,
         BudgetUsageReader* budget_usage = nullptr)
      : engine_(engine), store_(store), cards_(cards), budget_usage_(budget_usage) {}

  grpc::Status CalculateReceipt(grpc::ServerContext* context,
                                const v1::CalculateReceiptRequest* request,
                                v1::Receipt* response) override;
  grpc::Status ConfirmReceipt(grpc::ServerContext* context,
                              const v1::ConfirmReceiptRequest* request,
                              v1::Receipt* response) override;
  grpc::Status RefundReceipt(grpc::ServerContext* context, const v1::RefundReceiptRequest* request,
                             v1::Refund* response) override;
  grpc::Status CancelReceipt(grpc::ServerContext* context, const v1::CancelReceiptRequest* request,
                             v1::Receipt* response) override;
  grpc::Status GetReceipt(grpc::ServerContext* context, const v1::GetReceiptRequest* request,
                          v1::Receipt* response) override;
  // In api/budget_usage_api.cc.
  grpc::Status GetCampaignBudgetUsage(grpc::ServerContext* context,
                                      const v1::GetCampaignBudgetUsageRequest* request,
                                      v1::CampaignBudgetUsage* response) override;
  grpc::Status UploadOfflineReceipts(grpc::ServerContext* context,
                                     const v1::UploadOfflineReceiptsRequest* request,
                                     v1::UploadOfflineReceiptsResponse* response) override;

 private:
  ReceiptEngine& engine_;
  PosStore& store_;
  CardsStubs& cards_;
  BudgetUsageReader* budget_usage_;
};

class StoreApi final : public v1::StoreService::Service {
 public:
  explicit StoreApi(PosStore& store) : store_(store) {}

  grpc::Status CreateStore(grpc::ServerContext* context, const v1::CreateStoreRequest* request,
                           v1::Store* response) override;
  grpc::Status GetStore(grpc::ServerContext* context, const v1::GetStoreRequest* request,
                        v1::Store* response) override;
  grpc::Status UpdateStore(grpc::ServerContext* context, const v1::UpdateStoreRequest* request,
                           v1::Store* response) override;
  grpc::Status ListStores(grpc::ServerContext* context, const v1::ListStoresRequest* request,
                          v1::ListStoresResponse* response) override;
  grpc::Status GetPosSettings(grpc::ServerContext* context,
                              const v1::GetPosSettingsRequest* request,
                              v1::PosSettings* response) override;
  grpc::Status UpdatePosSettings(grpc::ServerContext* context,
                                 const v1::UpdatePosSettingsRequest* request,
                                 v1::PosSettings* response) override;

 private:
  PosStore& store_;
};

}  // namespace loyalty::pos
