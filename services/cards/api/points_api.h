#pragma once

#include "libs/operations/operation_store.h"
#include "loyalty/cards/v1/points_service.grpc.pb.h"
#include "services/cards/api/metrics.h"
#include "services/cards/storage/ledger_store.h"
#include "services/cards/storage/points_reader.h"

namespace loyalty::cards {

// loyalty.cards.v1.PointsService: corrections, operations history and
// expiring points for the console.
class PointsApi final : public v1::PointsService::Service {
 public:
  // Without `operations`, ExportCardOperations is FAILED_PRECONDITION.
  PointsApi(LedgerStore& ledger, PointsReader& reader, LedgerMetrics& metrics,
            operations::OperationStore* operations = nullptr)
      : ledger_(ledger), reader_(reader), metrics_(metrics), operations_(operations) {}

  grpc::Status AdjustPoints(grpc::ServerContext* context, const v1::AdjustPointsRequest* request,
                            v1::AdjustPointsResponse* response) override;
  grpc::Status MergeCards(grpc::ServerContext* context, const v1::MergeCardsRequest* request,
                          v1::MergeCardsResponse* response) override;
  grpc::Status ListCardOperations(grpc::ServerContext* context,
                                  const v1::ListCardOperationsRequest* request,
                                  v1::ListCardOperationsResponse* response) override;
  grpc::Status ExportCardOperations(grpc::ServerContext* context,
                                    const v1::ExportCardOperationsRequest* request,
                                    operations::v1::Operation* response) override;
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
  operations::OperationStore* operations_;
};

}  // namespace loyalty::cards
