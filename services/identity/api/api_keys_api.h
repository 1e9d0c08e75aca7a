#pragma once

// gRPC surface of a program's API keys as its admins manage them (CLI-15).

#include "loyalty/identity/v1/api_keys_service.grpc.pb.h"
#include "services/identity/storage/api_key_store.h"

namespace loyalty::identity {

class ApiKeysApi final : public v1::ApiKeysService::Service {
 public:
  explicit ApiKeysApi(ApiKeyStore& keys) : keys_(keys) {}

  grpc::Status CreateApiKey(grpc::ServerContext* context,
                            const v1::CreateProgramApiKeyRequest* request,
                            v1::CreateProgramApiKeyResponse* response) override;
  grpc::Status ListApiKeys(grpc::ServerContext* context, const v1::ListApiKeysRequest* request,
                           v1::ListApiKeysResponse* response) override;
  grpc::Status RevokeApiKey(grpc::ServerContext* context, const v1::RevokeApiKeyRequest* request,
                            v1::ApiKey* response) override;

 private:
  ApiKeyStore& keys_;
};

}  // namespace loyalty::identity
