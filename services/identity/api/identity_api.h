#pragma once

// gRPC surface of `identity`: proto <-> domain, status mapping.

#include "absl/time/clock.h"
#include "loyalty/identity/v1/access_service.grpc.pb.h"
#include "loyalty/identity/v1/identity_service.grpc.pb.h"
#include "services/identity/api/card_owners.h"
#include "services/identity/domain/access_token.h"
#include "services/identity/storage/identity_store.h"
#include "services/identity/storage/operator_store.h"

namespace loyalty::identity {

class IdentityApi final : public v1::IdentityService::Service {
 public:
  IdentityApi(IdentityStore& store, CardOwners& card_owners)
      : store_(store), card_owners_(card_owners) {}

  grpc::Status RegisterClient(grpc::ServerContext* context,
                              const v1::RegisterClientRequest* request,
                              v1::Client* response) override;
  grpc::Status GetClient(grpc::ServerContext* context,
                         const v1::GetClientRequest* request,
                         v1::Client* response) override;
  grpc::Status ListClients(grpc::ServerContext* context,
                           const v1::ListClientsRequest* request,
                           v1::ListClientsResponse* response) override;
  // In client_profile_api.cc.
  grpc::Status UpdateClient(grpc::ServerContext* context,
                            const v1::UpdateClientRequest* request,
                            v1::Client* response) override;
  grpc::Status IdentifyClient(grpc::ServerContext* context,
                              const v1::IdentifyClientRequest* request,
                              v1::Client* response) override;

 private:
  IdentityStore& store_;
  CardOwners& card_owners_;
};

class AccessApi final : public v1::AccessService::Service {
 public:
  AccessApi(IdentityStore& store, OperatorStore& operators, const TokenSigner& signer)
      : store_(store), operators_(operators), signer_(signer) {}

  grpc::Status CreateProgram(grpc::ServerContext* context,
                             const v1::CreateProgramRequest* request,
                             v1::Program* response) override;
  grpc::Status GetProgram(grpc::ServerContext* context,
                          const v1::GetProgramRequest* request,
                          v1::Program* response) override;
  grpc::Status CreateApiKey(grpc::ServerContext* context,
                            const v1::CreateApiKeyRequest* request,
                            v1::CreateApiKeyResponse* response) override;
  grpc::Status AuthenticateApiKey(grpc::ServerContext* context,
                                  const v1::AuthenticateApiKeyRequest* request,
                                  v1::Principal* response) override;
  grpc::Status AuthenticateToken(grpc::ServerContext* context,
                                 const v1::AuthenticateTokenRequest* request,
                                 v1::Principal* response) override;

 private:
  IdentityStore& store_;
  OperatorStore& operators_;
  const TokenSigner& signer_;
};

}  // namespace loyalty::identity
