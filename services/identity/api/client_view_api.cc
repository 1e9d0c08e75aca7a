#include "services/identity/api/client_view_api.h"

#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/identity/api/client_convert.h"
#include "services/identity/storage/attribute_proto.h"
#include "services/identity/api/consents_api.h"
#include "services/identity/api/tags_api.h"

namespace loyalty::identity {
namespace {

void SetSectionStatus(const absl::Status& status, google::rpc::Status& out) {
  out.set_code(static_cast<int>(status.code()));
  out.set_message(std::string(status.message()));
}

// The view's names of the fields cards' ListClientOperations may refuse.
absl::Status AsViewField(absl::Status status) {
  status = RenameViolatedField(status, "page_token", "history_page_token");
  status = RenameViolatedField(status, "start_time", "history_start_time");
  return RenameViolatedField(status, "end_time", "history_end_time");
}

}  // namespace

grpc::Status ClientViewApi::GetClientView(grpc::ServerContext* context,
                                          const v1::GetClientViewRequest* request,
                                          v1::ClientView* response) {
  return rpc::HandleProgramCall(
      context, "GetClientView", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string client_id,
                         RequireClientId("client_id", request->client_id()));
        cards::v1::ListClientOperationsRequest history;
        history.set_client_id(client_id);
        absl::StatusOr<int> page_size = rpc::ResolvePageSize(request->history_page_size());
        if (!page_size.ok()) {
          return RenameViolatedField(page_size.status(), "page_size", "history_page_size");
        }
        history.set_page_size(*page_size);
        history.set_page_token(request->history_page_token());
        if (request->has_history_start_time()) {
          ASSIGN_OR_RETURN(absl::Time start, rpc::TimeFromProto(request->history_start_time(),
                                                                "history_start_time"));
          rpc::SetTimestamp(start, history.mutable_start_time());
        }
        if (request->has_history_end_time()) {
          ASSIGN_OR_RETURN(absl::Time end, rpc::TimeFromProto(request->history_end_time(),
                                                              "history_end_time"));
          rpc::SetTimestamp(end, history.mutable_end_time());
        }

        ASSIGN_OR_RETURN(Client client, clients_.GetClient(call.program_id, client_id));
        ClientToProto(client, response->mutable_client());
        ASSIGN_OR_RETURN(ClientConsents consents,
                         consents_.GetConsents(call.program_id, client_id, 1, ""));
        for (const auto& [kind, record] : consents.current) {
          RecordToProto(record, response->add_consents());
        }
        ASSIGN_OR_RETURN(std::vector<Tag> tags, tags_.ListOfClient(call.program_id, client_id));
        for (const Tag& tag : tags) ToProto(tag, *response->add_tags());
        ASSIGN_OR_RETURN(std::vector<AttributeValue> attributes,
                         attributes_.GetValues(call.program_id, client_id));
        for (const AttributeValue& value : attributes) {
          AttributeValueToProto(value, *response->add_attributes());
        }

        // The card sections fail alone: the console still shows the rest.
        absl::StatusOr<cards::v1::ListCardsResponse> cards = cards_.ListCards(call, client_id);
        if (cards.ok()) {
          *response->mutable_cards() = std::move(*cards->mutable_cards());
        }
        SetSectionStatus(cards.status(), *response->mutable_cards_status());
        absl::StatusOr<cards::v1::ListClientOperationsResponse> operations =
            cards_.ListOperations(call, history);
        if (operations.status().code() == absl::StatusCode::kInvalidArgument) {
          // The caller's history parameters, not an outage.
          return AsViewField(operations.status());
        }
        if (operations.ok()) {
          *response->mutable_operations() = std::move(*operations->mutable_operations());
          response->set_next_history_page_token(operations->next_page_token());
        }
        SetSectionStatus(operations.status(), *response->mutable_operations_status());
        return absl::OkStatus();
      });
}

}  // namespace loyalty::identity
