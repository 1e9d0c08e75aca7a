#include "services/identity/api/identity_api.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/identity/api/attributes_api.h"
#include "services/identity/api/audit_actor.h"
#include "services/identity/api/client_convert.h"
#include "services/identity/api/operators_api.h"
#include "services/identity/domain/api_key.h"

namespace loyalty::identity {
namespace {

void ProgramToProto(const Program& program, v1::Program* out) {
  out->set_program_id(program.program_id);
  out->set_name(program.name);
  out->set_time_zone(program.time_zone);
  out->set_default_country_code(program.default_country_code);
  rpc::SetTimestamp(program.create_time, out->mutable_create_time());
}

absl::Status ValidateRequestId(const std::string& request_id) {
  if (request_id.size() > 128) return InvalidField("request_id", "longer than 128 bytes");
  return absl::OkStatus();
}

}  // namespace

grpc::Status IdentityApi::RegisterClient(grpc::ServerContext* context,
                                         const v1::RegisterClientRequest* request,
                                         v1::Client* response) {
  return rpc::HandleProgramCall(
      context, "RegisterClient", [&](const rpc::CallContext& call) -> absl::Status {
        if (absl::Status status = ValidateRequestId(request->request_id()); !status.ok()) {
          return status;
        }
        if (!request->has_client()) return InvalidField("client", "is required");
        absl::StatusOr<Program> program = store_.GetProgram(call.program_id);
        if (!program.ok()) return program.status();
        ClientProfile profile = ProfileFromProto(request->client());
        absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
        // A birth date "today" in the program's zone may be tomorrow in UTC.
        if (absl::Status status =
                NormalizeProfile(profile, program->default_country_code, today + 1, "client.");
            !status.ok()) {
          return status;
        }
        AttributeValuesInput attributes{.writer = AttributeWriterOf(call.role)};
        for (const v1::AttributeValue& value : request->client().attributes()) {
          attributes.values.push_back(AttributeValueFromProto(value));
        }
        absl::StatusOr<Client> client = store_.RegisterClient(
            call.program_id, profile, request->request_id(), AuditActorOf(call), attributes);
        if (!client.ok()) return client.status();
        ClientToProto(*client, response);
        return absl::OkStatus();
      });
}

grpc::Status IdentityApi::GetClient(grpc::ServerContext* context,
                                    const v1::GetClientRequest* request, v1::Client* response) {
  return rpc::HandleProgramCall(
      context, "GetClient", [&](const rpc::CallContext& call) -> absl::Status {
        absl::StatusOr<Client> client = store_.GetClient(call.program_id, request->client_id());
        if (!client.ok()) return client.status();
        ClientToProto(*client, response);
        return absl::OkStatus();
      });
}

grpc::Status IdentityApi::ListClients(grpc::ServerContext* context,
                                      const v1::ListClientsRequest* request,
                                      v1::ListClientsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListClients", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        absl::StatusOr<ClientPage> page =
            store_.ListClients(call.program_id, page_size, request->page_token());
        if (!page.ok()) return page.status();
        for (const Client& client : page->clients) ClientToProto(client, response->add_clients());
        response->set_next_page_token(page->next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status AccessApi::CreateProgram(grpc::ServerContext* context,
                                      const v1::CreateProgramRequest* request,
                                      v1::Program* response) {
  return rpc::HandleCall(context, "CreateProgram", [&](const rpc::CallContext&) -> absl::Status {
    const v1::Program& input = request->program();
    std::string name(absl::StripAsciiWhitespace(input.name()));
    if (name.empty() || name.size() > 200) {
      return InvalidField("program.name", "must be 1..200 bytes");
    }
    std::string time_zone = input.time_zone().empty() ? "UTC" : input.time_zone();
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(time_zone, &zone)) {
      return InvalidField("program.time_zone", absl::StrCat("unknown time zone '", time_zone, "'"));
    }
    const std::string& country = input.default_country_code();
    if (country.empty() || country.size() > 3 || country[0] == '0' ||
        !std::all_of(country.begin(), country.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return InvalidField("program.default_country_code",
                          "must be a country calling code of 1..3 digits, e.g. 7");
    }
    absl::StatusOr<Program> program = store_.CreateProgram(
        Program{.name = name, .time_zone = time_zone, .default_country_code = country});
    if (!program.ok()) return program.status();
    ProgramToProto(*program, response);
    return absl::OkStatus();
  });
}

grpc::Status AccessApi::GetProgram(grpc::ServerContext* context,
                                   const v1::GetProgramRequest* request, v1::Program* response) {
  return rpc::HandleCall(context, "GetProgram", [&](const rpc::CallContext&) -> absl::Status {
    absl::StatusOr<Program> program = store_.GetProgram(request->program_id());
    if (!program.ok()) return program.status();
    ProgramToProto(*program, response);
    return absl::OkStatus();
  });
}

grpc::Status AccessApi::CreateApiKey(grpc::ServerContext* context,
                                     const v1::CreateApiKeyRequest* request,
                                     v1::CreateApiKeyResponse* response) {
  return rpc::HandleCall(context, "CreateApiKey", [&](const rpc::CallContext&) -> absl::Status {
    if (!IsUuid(request->program_id())) return InvalidField("program_id", "not a UUID");
    if (request->role() == api::v1::ROLE_UNSPECIFIED || !api::v1::Role_IsValid(request->role())) {
      return InvalidField("role", "a role is required");
    }
    if (request->display_name().size() > 200) {
      return InvalidField("display_name", "longer than 200 bytes");
    }
    std::string secret = NewApiKeySecret();
    absl::StatusOr<ApiKey> key =
        store_.CreateApiKey(ApiKey{.program_id = request->program_id(),
                                   .display_name = request->display_name(),
                                   .role = api::v1::Role_Name(request->role()),
                                   .store_id = request->store_id(),
                                   .partner_id = request->partner_id()},
                            HashApiKeySecret(secret));
    if (!key.ok()) return key.status();
    response->set_api_key_id(key->api_key_id);
    response->set_secret(secret);
    return absl::OkStatus();
  });
}

grpc::Status AccessApi::AuthenticateApiKey(grpc::ServerContext* context,
                                           const v1::AuthenticateApiKeyRequest* request,
                                           v1::Principal* response) {
  return rpc::HandleCall(
      context, "AuthenticateApiKey", [&](const rpc::CallContext&) -> absl::Status {
        if (request->secret().empty() || request->secret().size() > 256) {
          return absl::UnauthenticatedError("no API key");
        }
        absl::StatusOr<ApiKey> key = store_.FindApiKey(HashApiKeySecret(request->secret()));
        if (absl::IsNotFound(key.status())) {
          return absl::UnauthenticatedError("unknown or revoked API key");
        }
        if (!key.ok()) return key.status();
        response->set_program_id(key->program_id);
        api::v1::Role role = api::v1::ROLE_UNSPECIFIED;
        api::v1::Role_Parse(key->role, &role);
        response->set_role(role);
        response->set_store_id(key->store_id);
        response->set_partner_id(key->partner_id);
        response->set_api_key_id(key->api_key_id);
        return absl::OkStatus();
      });
}

grpc::Status AccessApi::AuthenticateToken(grpc::ServerContext* context,
                                          const v1::AuthenticateTokenRequest* request,
                                          v1::Principal* response) {
  return rpc::HandleCall(
      context, "AuthenticateToken", [&](const rpc::CallContext&) -> absl::Status {
        ASSIGN_OR_RETURN(TokenPrincipal principal,
                         AuthenticateOperatorToken(signer_, operators_, request->token()));
        response->set_program_id(principal.claims.program_id);
        // The current role, not the one at login: a demotion applies at once.
        api::v1::Role role = api::v1::ROLE_UNSPECIFIED;
        api::v1::Role_Parse(principal.account.spec.role, &role);
        response->set_role(role);
        response->set_operator_id(principal.account.operator_id);
        rpc::SetTimestamp(principal.claims.expire_time, response->mutable_expire_time());
        return absl::OkStatus();
      });
}

}  // namespace loyalty::identity
