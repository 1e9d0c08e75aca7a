#pragma once

// gRPC surface of operator accounts and logins (CLI-15).

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/identity/v1/operators_service.grpc.pb.h"
#include "services/identity/domain/access_token.h"
#include "services/identity/storage/operator_store.h"

namespace loyalty::identity {

class OperatorsApi final : public v1::OperatorsService::Service {
 public:
  OperatorsApi(OperatorStore& operators, const TokenSigner& signer)
      : operators_(operators), signer_(signer) {}

  grpc::Status CreateOperator(grpc::ServerContext* context,
                              const v1::CreateOperatorRequest* request,
                              v1::Operator* response) override;
  grpc::Status GetOperator(grpc::ServerContext* context, const v1::GetOperatorRequest* request,
                           v1::Operator* response) override;
  grpc::Status ListOperators(grpc::ServerContext* context,
                             const v1::ListOperatorsRequest* request,
                             v1::ListOperatorsResponse* response) override;
  grpc::Status UpdateOperator(grpc::ServerContext* context,
                              const v1::UpdateOperatorRequest* request,
                              v1::Operator* response) override;
  grpc::Status SetOperatorPassword(grpc::ServerContext* context,
                                   const v1::SetOperatorPasswordRequest* request,
                                   v1::SetOperatorPasswordResponse* response) override;
  grpc::Status Login(grpc::ServerContext* context, const v1::LoginRequest* request,
                     v1::LoginResponse* response) override;

 private:
  absl::Status DoLogin(const v1::LoginRequest& request, v1::LoginResponse& response);

  OperatorStore& operators_;
  const TokenSigner& signer_;
};

// The operator a token stands for, with their current role: UNAUTHENTICATED
// for a bad or expired token and for an operator disabled or gone since it
// was issued.
struct TokenPrincipal {
  TokenClaims claims;
  Operator account;
};
absl::StatusOr<TokenPrincipal> AuthenticateOperatorToken(const TokenSigner& signer,
                                                         OperatorStore& operators,
                                                         absl::string_view token);

}  // namespace loyalty::identity
