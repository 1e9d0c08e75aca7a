#pragma once

#include "loyalty/cards/v1/points_service.grpc.pb.h"
#include "services/cards/api/metrics.h"
#include "services/cards/storage/ledger_store.h"
#include "services/cards/storage/points_reader.h"

namespace loyalty::cards {

// loyalty.cards.v1.PointsService: corrections, operations history and
// expiring points for the console.
class PointsApi final : public v1::PointsService::Service {
 public:
  PointsApi(LedgerStore& ledger, PointsReader& reader, LedgerMetrics& metrics)
      : ledger_(ledger), reader_(reader), metrics_(metrics) {}

  grpc::Status AdjustPoints(grpc::ServerContext* context, const v1::AdjustPointsRequest* request,
                            v1::AdjustPointsResponse* response) override;
  grpc::Status MergeCards(grpc::ServerContext* context, const v1::MergeCardsRequest* request,
                          v1::MergeCardsResponse* response) override;
  grpc::Status ListCardOperations(grpc::ServerContext* context,
                                  const v1::ListCardOperationsRequest* request,
                                  v1::ListCardOperationsResponse* response) override;
  grpc::Status ListExpiringPoints(grpc::ServerContext* context,
                                  const v1::ListExpiringPointsRequest* request,
                                  v1::ListExpiringPointsResponse* response) override;
  grpc::Status GetPartnerSettlement(grpc::ServerContext* context,
                                    const v1::GetPartnerSettlementRequest* request,
                                    v1::PartnerSettlement* response) override;

 private:
  LedgerStore& ledger_;
  PointsReader& reader_;
  LedgerMetrics& metrics_;
};

}  // namespace loyalty::cards
