#pragma once

#include "libs/operations/file_store.h"
#include "libs/operations/metrics.h"
#include "libs/operations/operation_store.h"
#include "loyalty/operations/v1/operations.grpc.pb.h"

namespace loyalty::operations {

// The proto form of an operation, for this API and the RPCs that start one.
void ToProto(const Operation& operation, v1::Operation& out);

// loyalty.operations.v1.OperationsService over a service's own operations;
// any service that starts operations registers one. `files` (may be null
// for a service whose operations make no files) serves result files.
class OperationsApi final : public v1::OperationsService::Service {
 public:
  OperationsApi(OperationStore& store, OperationMetrics& metrics,
                OperationFileStore* files = nullptr)
      : store_(store), metrics_(metrics), files_(files) {}

  grpc::Status GetOperation(grpc::ServerContext* context, const v1::GetOperationRequest* request,
                            v1::Operation* response) override;
  grpc::Status ListOperationItems(grpc::ServerContext* context,
                                  const v1::ListOperationItemsRequest* request,
                                  v1::ListOperationItemsResponse* response) override;
  grpc::Status CancelOperation(grpc::ServerContext* context,
                               const v1::CancelOperationRequest* request,
                               v1::Operation* response) override;
  grpc::Status DownloadOperationFile(grpc::ServerContext* context,
                                     const v1::DownloadOperationFileRequest* request,
                                     v1::FileContent* response) override;

 private:
  // The operation as GetOperation answers it, with its result file once
  // SUCCEEDED.
  absl::Status Describe(absl::string_view program_id, const Operation& operation,
                        v1::Operation& out);

  OperationStore& store_;
  OperationMetrics& metrics_;
  OperationFileStore* files_;
};

}  // namespace loyalty::operations
