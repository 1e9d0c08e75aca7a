#include "services/cards/api/cards_api.h"

#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "services/cards/api/card_view.h"
#include "services/cards/api/convert.h"
#include "services/cards/domain/definition.h"

namespace loyalty::cards {

grpc::Status CardsApi::IssueCard(grpc::ServerContext* context, const v1::IssueCardRequest* request,
                                 v1::Card* response) {
  return rpc::HandleProgramCall(
      context, "IssueCard", [&](const rpc::CallContext& call) -> absl::Status {
        IssueCardInput input = FromProto(*request);
        RETURN_IF_ERROR(NormalizeIssueCard(input));
        RETURN_IF_ERROR(NormalizeUuid("template_id", input.template_id, /*optional=*/true));
        // A retry returns the first card without asking identity again: the
        // client may have been checked (and changed) since.
        ASSIGN_OR_RETURN(std::optional<Card> issued, cards_.FindIssued(call.program_id, input));
        if (!issued) {
          RETURN_IF_ERROR(clients_.CheckClient(call, input.client_id));
          ASSIGN_OR_RETURN(issued, cards_.Issue(call.program_id, input));
        }
        return DescribeCard(levels_, call.program_id, *issued, *response, &input.template_id);
      });
}

grpc::Status CardsApi::GetCard(grpc::ServerContext* context, const v1::GetCardRequest* request,
                               v1::Card* response) {
  return rpc::HandleProgramCall(
      context, "GetCard", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Card card, cards_.Get(call.program_id, request->number()));
        return DescribeCard(levels_, call.program_id, card, *response);
      });
}

}  // namespace loyalty::cards
