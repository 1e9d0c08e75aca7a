#include "services/identity/api/operators_api.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/identity/api/audit_actor.h"
#include "services/identity/domain/password.h"

namespace loyalty::identity {
namespace {

constexpr char kAdminRole[] = "ROLE_ADMIN";

OperatorSpec SpecFromProto(const v1::Operator& input) {
  return OperatorSpec{.display_name = input.display_name(),
                      .role = api::v1::Role_IsValid(input.role())
                                  ? api::v1::Role_Name(input.role())
                                  : std::string("ROLE_UNSPECIFIED"),
                      .disabled = input.disabled()};
}

void ToProto(const Operator& account, v1::Operator& out) {
  out.set_operator_id(account.operator_id);
  out.set_login(account.login);
  out.set_display_name(account.spec.display_name);
  api::v1::Role role = api::v1::ROLE_UNSPECIFIED;
  api::v1::Role_Parse(account.spec.role, &role);
  out.set_role(role);
  out.set_disabled(account.spec.disabled);
  rpc::SetTimestamp(account.create_time, out.mutable_create_time());
  rpc::SetTimestamp(account.update_time, out.mutable_update_time());
}

absl::StatusOr<std::string> OperatorIdField(absl::string_view field, absl::string_view id) {
  if (!IsUuid(id)) return InvalidField(field, "must be a UUID");
  return absl::AsciiStrToLower(id);
}

}  // namespace

grpc::Status OperatorsApi::CreateOperator(grpc::ServerContext* context,
                                          const v1::CreateOperatorRequest* request,
                                          v1::Operator* response) {
  return rpc::HandleProgramCall(
      context, "CreateOperator", [&](const rpc::CallContext& call) -> absl::Status {
        if (request->request_id().size() > 128) {
          return InvalidField("request_id", "longer than 128 bytes");
        }
        ASSIGN_OR_RETURN(std::string login,
                         NormalizeLogin(request->operator_().login(), "operator.login"));
        OperatorSpec spec = SpecFromProto(request->operator_());
        RETURN_IF_ERROR(NormalizeOperatorSpec(spec, "operator."));
        RETURN_IF_ERROR(CheckPasswordPolicy(request->password(), login, "password"));
        ASSIGN_OR_RETURN(std::string hash, HashPassword(request->password()));
        ASSIGN_OR_RETURN(Operator created,
                         operators_.Create(call.program_id, login, spec, hash,
                                           request->request_id(), AuditActorOf(call)));
        ToProto(created, *response);
        return absl::OkStatus();
      });
}

grpc::Status OperatorsApi::GetOperator(grpc::ServerContext* context,
                                       const v1::GetOperatorRequest* request,
                                       v1::Operator* response) {
  return rpc::HandleProgramCall(
      context, "GetOperator", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string id, OperatorIdField("operator_id", request->operator_id()));
        ASSIGN_OR_RETURN(Operator found, operators_.Get(call.program_id, id));
        ToProto(found, *response);
        return absl::OkStatus();
      });
}

grpc::Status OperatorsApi::ListOperators(grpc::ServerContext* context,
                                         const v1::ListOperatorsRequest* request,
                                         v1::ListOperatorsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListOperators", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(OperatorPage page,
                         operators_.List(call.program_id, page_size, request->page_token()));
        for (const Operator& account : page.operators) {
          ToProto(account, *response->add_operators());
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status OperatorsApi::UpdateOperator(grpc::ServerContext* context,
                                          const v1::UpdateOperatorRequest* request,
                                          v1::Operator* response) {
  return rpc::HandleProgramCall(
      context, "UpdateOperator", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string id, OperatorIdField("operator.operator_id",
                                                         request->operator_().operator_id()));
        const std::vector<std::string> paths(request->update_mask().paths().begin(),
                                             request->update_mask().paths().end());
        const OperatorSpec input = SpecFromProto(request->operator_());
        ASSIGN_OR_RETURN(Operator updated,
                         operators_.Update(
                             call.program_id, id,
                             [&](OperatorSpec& spec) -> absl::Status {
                               RETURN_IF_ERROR(ApplyOperatorMask(paths, input, spec));
                               return NormalizeOperatorSpec(spec, "operator.");
                             },
                             AuditActorOf(call)));
        ToProto(updated, *response);
        return absl::OkStatus();
      });
}

grpc::Status OperatorsApi::SetOperatorPassword(grpc::ServerContext* context,
                                               const v1::SetOperatorPasswordRequest* request,
                                               v1::SetOperatorPasswordResponse*) {
  return rpc::HandleProgramCall(
      context, "SetOperatorPassword", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string id, OperatorIdField("operator_id", request->operator_id()));
        const bool admin = call.role == kAdminRole;
        // Other operators are invisible to non-admins: NOT_FOUND, as for
        // another program's operator.
        if (!admin && call.principal_id != id) {
          return FieldError(absl::StatusCode::kNotFound, "operator_id",
                            "no such operator in this program");
        }
        ASSIGN_OR_RETURN(OperatorCredentials found, operators_.FindById(call.program_id, id));
        RETURN_IF_ERROR(
            CheckPasswordPolicy(request->new_password(), found.account.login, "new_password"));
        if (!admin) {
          if (request->old_password().empty()) {
            return InvalidField("old_password", "required to change one's own password");
          }
          if (!VerifyPassword(found.password_hash, request->old_password())) {
            return absl::UnauthenticatedError("the old password is wrong");
          }
        }
        ASSIGN_OR_RETURN(std::string hash, HashPassword(request->new_password()));
        return operators_.SetPasswordHash(call.program_id, id, hash, AuditActorOf(call));
      });
}

grpc::Status OperatorsApi::Login(grpc::ServerContext* context, const v1::LoginRequest* request,
                                 v1::LoginResponse* response) {
  // Anonymous: the program comes from the request, not from credentials.
  return rpc::HandleCall(context, "Login", [&](const rpc::CallContext&) -> absl::Status {
    return DoLogin(*request, *response);
  });
}

absl::Status OperatorsApi::DoLogin(const v1::LoginRequest& request, v1::LoginResponse& response) {
  if (!IsUuid(request.program_id())) return InvalidField("program_id", "must be a UUID");
  const std::string program_id = absl::AsciiStrToLower(request.program_id());
  absl::StatusOr<std::string> login = NormalizeLogin(request.login(), "login");
  // No such login can exist; an over-long password is not worth hashing.
  if (!login.ok() || request.password().size() > kMaxPasswordBytes) return LoginFailed();
  // The attempt counts as a failure from here until it succeeds.
  ASSIGN_OR_RETURN(int64_t failures,
                   operators_.BeginLoginAttempt(program_id, *login, kMaxFailedLogins));
  RETURN_IF_ERROR(CheckLoginThrottle(failures));

  absl::StatusOr<OperatorCredentials> found = operators_.FindByLogin(program_id, *login);
  if (!found.ok() && !absl::IsNotFound(found.status())) return found.status();
  // An unknown login costs a hash too, so timing does not tell it apart.
  const bool password_ok = VerifyPassword(
      found.ok() ? found->password_hash : DecoyPasswordHash(), request.password());
  if (!found.ok() || !password_ok || found->account.spec.disabled) return LoginFailed();
  RETURN_IF_ERROR(operators_.ClearFailedLogins(program_id, *login));

  TokenClaims claims{.program_id = program_id,
                     .operator_id = found->account.operator_id,
                     .role = found->account.spec.role,
                     .credentials_version = found->credentials_version};
  response.set_access_token(signer_.Sign(claims));
  rpc::SetTimestamp(claims.expire_time, response.mutable_expire_time());
  ToProto(found->account, *response.mutable_operator_());
  return absl::OkStatus();
}

absl::StatusOr<TokenPrincipal> AuthenticateOperatorToken(const TokenSigner& signer,
                                                         OperatorStore& operators,
                                                         absl::string_view token) {
  ASSIGN_OR_RETURN(TokenClaims claims, signer.Verify(token));
  absl::StatusOr<OperatorCredentials> found =
      operators.FindById(claims.program_id, claims.operator_id);
  // A disabled operator, or a token from before a password change.
  if (absl::IsNotFound(found.status()) ||
      (found.ok() && (found->account.spec.disabled ||
                      found->credentials_version != claims.credentials_version))) {
    return absl::UnauthenticatedError("invalid or expired access token");
  }
  if (!found.ok()) return found.status();
  return TokenPrincipal{std::move(claims), std::move(found->account)};
}

}  // namespace loyalty::identity
