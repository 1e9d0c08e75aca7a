#include "services/cards/api/client_cards_api.h"

#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/cards/api/convert.h"
#include "services/cards/domain/card.h"
#include "services/cards/domain/definition.h"

namespace loyalty::cards {

grpc::Status ClientCardsApi::ReassignClientCards(grpc::ServerContext* context,
                                                 const v1::ReassignClientCardsRequest* request,
                                                 v1::ReassignClientCardsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ReassignClientCards", [&](const rpc::CallContext& call) -> absl::Status {
        std::string from = request->from_client_id();
        std::string to = request->to_client_id();
        RETURN_IF_ERROR(NormalizeClientId("from_client_id", from));
        RETURN_IF_ERROR(NormalizeClientId("to_client_id", to));
        if (request->request_id().empty()) return InvalidField("request_id", "required");
        RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
        ASSIGN_OR_RETURN(CardReassignment moved,
                         store_.Reassign(call.program_id, from, to, request->request_id()));
        for (const std::string& number : moved.owned_card_numbers) {
          response->add_owned_card_numbers(number);
        }
        for (const std::string& number : moved.held_card_numbers) {
          response->add_held_card_numbers(number);
        }
        return absl::OkStatus();
      });
}

grpc::Status ClientCardsApi::ListClientOperations(grpc::ServerContext* context,
                                                  const v1::ListClientOperationsRequest* request,
                                                  v1::ListClientOperationsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListClientOperations", [&](const rpc::CallContext& call) -> absl::Status {
        std::string client_id = request->client_id();
        RETURN_IF_ERROR(NormalizeClientId("client_id", client_id));
        OperationsQuery query{.page_token = request->page_token()};
        ASSIGN_OR_RETURN(query.page_size, rpc::ResolvePageSize(request->page_size()));
        if (request->has_start_time()) {
          ASSIGN_OR_RETURN(query.start_time,
                           rpc::TimeFromProto(request->start_time(), "start_time"));
        }
        if (request->has_end_time()) {
          ASSIGN_OR_RETURN(query.end_time, rpc::TimeFromProto(request->end_time(), "end_time"));
        }
        ASSIGN_OR_RETURN(ClientOperationsPage page,
                         store_.ListOperations(call.program_id, client_id, query));
        for (const ClientOperation& operation : page.operations) {
          v1::ClientOperation& out = *response->add_operations();
          out.set_card_number(operation.card_number);
          ToProto(operation.operation, *out.mutable_operation());
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::cards
