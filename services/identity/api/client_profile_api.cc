// IdentityApi's UpdateClient (CLI-1) and IdentifyClient (CLI-4).

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "services/identity/api/audit_actor.h"
#include "services/identity/api/client_convert.h"
#include "services/identity/api/identity_api.h"
#include "services/identity/domain/client_fields.h"

namespace loyalty::identity {

grpc::Status IdentityApi::UpdateClient(grpc::ServerContext* context,
                                       const v1::UpdateClientRequest* request,
                                       v1::Client* response) {
  return rpc::HandleProgramCall(
      context, "UpdateClient", [&](const rpc::CallContext& call) -> absl::Status {
        if (!request->has_client()) return InvalidField("client", "is required");
        const std::string client_id = absl::AsciiStrToLower(request->client().client_id());
        if (client_id.empty()) return InvalidField("client.client_id", "required");
        int64_t expected_version = 0;
        if (!request->client().etag().empty()) {
          ASSIGN_OR_RETURN(expected_version,
                           VersionOfEtag(request->client().etag(), "client.etag"));
        }
        const std::vector<std::string> paths(request->update_mask().paths().begin(),
                                             request->update_mask().paths().end());
        // Checked before the store is asked, so that a bad mask is a 400
        // even for a client that does not exist.
        ClientProfile scratch;
        const ClientProfile input = ProfileFromProto(request->client());
        RETURN_IF_ERROR(ApplyClientMask(paths, input, scratch));
        ASSIGN_OR_RETURN(Program program, store_.GetProgram(call.program_id));
        // A birth date "today" in the program's zone may be tomorrow in UTC.
        const absl::CivilDay tomorrow = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) + 1;
        ASSIGN_OR_RETURN(
            Client updated, store_.UpdateClient(
                                call.program_id, client_id, expected_version,
                                [&](ClientProfile& profile) -> absl::Status {
                                  RETURN_IF_ERROR(ApplyClientMask(paths, input, profile));
                                  RETURN_IF_ERROR(NormalizeProfile(
                                      profile, program.default_country_code, tomorrow, "client."));
                                  return CheckReferrer(client_id, profile, "client.");
                                },
                                AuditActorOf(call)));
        ClientToProto(updated, response);
        return absl::OkStatus();
      });
}

grpc::Status IdentityApi::IdentifyClient(grpc::ServerContext* context,
                                         const v1::IdentifyClientRequest* request,
                                         v1::Client* response) {
  return rpc::HandleProgramCall(
      context, "IdentifyClient", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Program program, store_.GetProgram(call.program_id));
        ASSIGN_OR_RETURN(IdentifyKey key,
                         ChooseIdentifyKey(IdentifyInput{.phone = request->phone(),
                                                         .card_number = request->card_number(),
                                                         .external_id = request->external_id(),
                                                         .email = request->email()},
                                           program.default_country_code));
        Client client;
        if (key.kind == IdentifyKind::kCardNumber) {
          ASSIGN_OR_RETURN(std::string owner, card_owners_.OwnerOf(call, key.value));
          ASSIGN_OR_RETURN(client, store_.GetClient(call.program_id, owner));
        } else {
          ASSIGN_OR_RETURN(client, store_.FindClient(call.program_id, key.kind, key.value));
        }
        ClientToProto(client, response);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::identity
