#pragma once

#include "libs/operations/metrics.h"
#include "libs/operations/operation_store.h"
#include "loyalty/operations/v1/operations.grpc.pb.h"

namespace loyalty::operations {

// The proto form of an operation, for this API and the RPCs that start one.
void ToProto(const Operation& operation, v1::Operation& out);

// loyalty.operations.v1.OperationsService over a service's own operations;
// any service that starts operations registers one.
class OperationsApi final : public v1::OperationsService::Service {
 public:
  OperationsApi(OperationStore& store, OperationMetrics& metrics)
      : store_(store), metrics_(metrics) {}

  grpc::Status GetOperation(grpc::ServerContext* context, const v1::GetOperationRequest* request,
                            v1::Operation* response) override;
  grpc::Status ListOperationItems(grpc::ServerContext* context,
                                  const v1::ListOperationItemsRequest* request,
                                  v1::ListOperationItemsResponse* response) override;
  grpc::Status CancelOperation(grpc::ServerContext* context,
                               const v1::CancelOperationRequest* request,
                               v1::Operation* response) override;

 private:
  OperationStore& store_;
  OperationMetrics& metrics_;
};

}  // namespace loyalty::operations
