#include "services/identity/api/client_merge_api.h"

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/identity/api/client_convert.h"

namespace loyalty::identity {
namespace {

constexpr size_t kMaxRequestIdLength = 128;

void MergeToProto(const ClientMergeRecord& merge, v1::ClientMerge& out) {
  out.set_survivor_client_id(merge.survivor_id);
  out.set_duplicate_client_id(merge.duplicate_id);
  out.set_request_id(merge.request_id);
  out.set_state(merge.cards_done ? v1::CLIENT_MERGE_STATE_DONE
                                 : v1::CLIENT_MERGE_STATE_CARDS_PENDING);
  for (const std::string& tag : merge.added_tag_ids) out.add_added_tag_ids(tag);
  for (const std::string& field : merge.filled_fields) out.add_filled_fields(field);
  out.set_moved_consent_records(merge.moved_consent_records);
  for (const std::string& number : merge.owned_card_numbers) out.add_owned_card_numbers(number);
  for (const std::string& number : merge.held_card_numbers) out.add_held_card_numbers(number);
  rpc::SetTimestamp(merge.create_time, out.mutable_create_time());
  if (merge.complete_time) rpc::SetTimestamp(*merge.complete_time, out.mutable_complete_time());
}

}  // namespace

grpc::Status ClientMergeApi::MergeClients(grpc::ServerContext* context,
                                          const v1::MergeClientsRequest* request,
                                          v1::ClientMerge* response) {
  return rpc::HandleProgramCall(
      context, "MergeClients", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string survivor,
                         RequireClientId("survivor_client_id", request->survivor_client_id()));
        ASSIGN_OR_RETURN(std::string duplicate,
                         RequireClientId("duplicate_client_id", request->duplicate_client_id()));
        if (request->request_id().empty()) return InvalidField("request_id", "required");
        if (request->request_id().size() > kMaxRequestIdLength) {
          return InvalidField("request_id",
                              absl::StrCat("at most ", kMaxRequestIdLength, " characters"));
        }
        ASSIGN_OR_RETURN(ClientMergeRecord merge,
                         merger_.Merge(call, survivor, duplicate, request->request_id()));
        MergeToProto(merge, *response);
        ASSIGN_OR_RETURN(Client survivor_now, clients_.GetClient(call.program_id, survivor));
        ClientToProto(survivor_now, response->mutable_survivor());
        return absl::OkStatus();
      });
}

}  // namespace loyalty::identity
