#pragma once

#include "loyalty/identity/v1/client_merge_service.grpc.pb.h"
#include "services/identity/api/client_merger.h"
#include "services/identity/storage/identity_store.h"

namespace loyalty::identity {

// loyalty.identity.v1.ClientMergeService (CLI-7).
class ClientMergeApi final : public v1::ClientMergeService::Service {
 public:
  ClientMergeApi(ClientMerger& merger, IdentityStore& clients)
      : merger_(merger), clients_(clients) {}

  grpc::Status MergeClients(grpc::ServerContext* context,
                            const v1::MergeClientsRequest* request,
                            v1::ClientMerge* response) override;

 private:
  ClientMerger& merger_;
  IdentityStore& clients_;
};

}  // namespace loyalty::identity
