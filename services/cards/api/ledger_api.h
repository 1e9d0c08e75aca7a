#pragma once

#include "loyalty/cards/v1/ledger_service.grpc.pb.h"
#include "services/cards/api/metrics.h"
#include "services/cards/storage/ledger_store.h"

namespace loyalty::cards {

// loyalty.cards.v1.LedgerService: the internal ledger API used by `pos`.
class LedgerApi final : public v1::LedgerService::Service {
 public:
  LedgerApi(LedgerStore& ledger, LedgerMetrics& metrics) : ledger_(ledger), metrics_(metrics) {}

  grpc::Status HoldPoints(grpc::ServerContext* context, const v1::HoldPointsRequest* request,
                          v1::Hold* response) override;
  grpc::Status VoidHold(grpc::ServerContext* context, const v1::VoidHoldRequest* request,
                        v1::Hold* response) override;
  grpc::Status CommitTransfers(grpc::ServerContext* context,
                               const v1::CommitTransfersRequest* request,
                               v1::CommitTransfersResponse* response) override;
  grpc::Status GetBalance(grpc::ServerContext* context, const v1::GetBalanceRequest* request,
                          v1::Balance* response) override;

 private:
  LedgerStore& ledger_;
  LedgerMetrics& metrics_;
};

}  // namespace loyalty::cards
