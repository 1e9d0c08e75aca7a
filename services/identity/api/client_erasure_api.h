#pragma once

// CLI-14 EraseClient (proto/loyalty/identity/v1/client_erasure_service.proto).

#include "loyalty/identity/v1/client_erasure_service.grpc.pb.h"
#include "services/identity/storage/client_erasure_store.h"

namespace loyalty::identity {

class ClientErasureApi final : public v1::ClientErasureService::Service {
 public:
  explicit ClientErasureApi(ClientErasureStore& store) : store_(store) {}

  grpc::Status EraseClient(grpc::ServerContext* context, const v1::EraseClientRequest* request,
                           v1::ClientErasure* response) override;

 private:
  ClientErasureStore& store_;
};

}  // namespace loyalty::identity
