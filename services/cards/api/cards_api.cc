#include "services/cards/api/cards_api.h"

#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/operations/operations_api.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/cards/api/card_view.h"
#include "services/cards/api/convert.h"
#include "services/cards/api/mass_change.h"
#include "services/cards/domain/definition.h"

namespace loyalty::cards {
namespace {

// A store-bound key issues cards at its own store only.
absl::Status ApplyCallerStore(const rpc::CallContext& call, std::string& store_id) {
  if (call.store_id.empty()) return absl::OkStatus();
  if (store_id.empty()) {
    store_id = call.store_id;
    return absl::OkStatus();
  }
  if (store_id != call.store_id) {
    return FieldError(absl::StatusCode::kPermissionDenied, "store_id",
                      "this key issues cards at its own store only");
  }
  return absl::OkStatus();
}

}  // namespace

grpc::Status CardsApi::IssueCard(grpc::ServerContext* context, const v1::IssueCardRequest* request,
                                 v1::Card* response) {
  return rpc::HandleProgramCall(
      context, "IssueCard", [&](const rpc::CallContext& call) -> absl::Status {
        IssueCardInput input = FromProto(*request);
        RETURN_IF_ERROR(NormalizeIssueCard(input));
        RETURN_IF_ERROR(ApplyCallerStore(call, input.store_id));
        RETURN_IF_ERROR(NormalizeUuid("template_id", input.template_id, /*optional=*/true));
        // A retry returns the first card without asking identity again: the
        // client may have been checked (and changed) since.
        ASSIGN_OR_RETURN(std::optional<Card> issued, cards_.FindIssued(call.program_id, input));
        if (!issued) {
          RETURN_IF_ERROR(clients_.CheckClient(call, input.client_id));
          ASSIGN_OR_RETURN(issued, cards_.Issue(call.program_id, input));
        }
        return DescribeCard(views_, call.program_id, *issued, *response, &input.template_id);
      });
}

grpc::Status CardsApi::GetCard(grpc::ServerContext* context, const v1::GetCardRequest* request,
                               v1::Card* response) {
  return rpc::HandleProgramCall(
      context, "GetCard", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Card card, cards_.Get(call.program_id, request->number()));
        return DescribeCard(views_, call.program_id, card, *response);
      });
}

grpc::Status CardsApi::ListCards(grpc::ServerContext* context, const v1::ListCardsRequest* request,
                                 v1::ListCardsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListCards", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        CardFilter filter{.client_id = request->client_id(),
                          .status = FromProto(request->status()),
                          .batch_id = request->batch_id()};
        if (!filter.client_id.empty()) {
          RETURN_IF_ERROR(NormalizeClientId("client_id", filter.client_id));
        }
        RETURN_IF_ERROR(ValidateNoControlCharacters("batch_id", filter.batch_id));
        ASSIGN_OR_RETURN(CardPage page,
                         cards_.List(call.program_id, filter, page_size, request->page_token()));
        RETURN_IF_ERROR(
            DescribeCards(views_, call.program_id, page.cards, *response->mutable_cards()));
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status CardsApi::IssueCardBatch(grpc::ServerContext* context,
                                      const v1::IssueCardBatchRequest* request,
                                      v1::IssueCardBatchResponse* response) {
  return rpc::HandleProgramCall(
      context, "IssueCardBatch", [&](const rpc::CallContext& call) -> absl::Status {
        CardBatchInput input = FromProto(*request);
        RETURN_IF_ERROR(NormalizeCardBatch(input));
        RETURN_IF_ERROR(ApplyCallerStore(call, input.store_id));
        ASSIGN_OR_RETURN(CardBatch batch, cards_.IssueBatch(call.program_id, input));
        response->set_batch_id(batch.batch_id);
        for (const std::string& number : batch.numbers) response->add_numbers(number);
        return absl::OkStatus();
      });
}

grpc::Status CardsApi::BindCard(grpc::ServerContext* context, const v1::BindCardRequest* request,
                                v1::Card* response) {
  return rpc::HandleProgramCall(
      context, "BindCard", [&](const rpc::CallContext& call) -> absl::Status {
        std::string client_id = request->client_id();
        RETURN_IF_ERROR(NormalizeClientId("client_id", client_id));
        RETURN_IF_ERROR(clients_.CheckClient(call, client_id));
        ASSIGN_OR_RETURN(Card card, cards_.Bind(call.program_id, request->number(), client_id));
        return DescribeCard(views_, call.program_id, card, *response);
      });
}

grpc::Status CardsApi::AddCardHolder(grpc::ServerContext* context,
                                     const v1::AddCardHolderRequest* request, v1::Card* response) {
  return rpc::HandleProgramCall(
      context, "AddCardHolder", [&](const rpc::CallContext& call) -> absl::Status {
        std::string client_id = request->client_id();
        RETURN_IF_ERROR(NormalizeClientId("client_id", client_id));
        RETURN_IF_ERROR(clients_.CheckClient(call, client_id));
        ASSIGN_OR_RETURN(Card card,
                         cards_.AddHolder(call.program_id, request->number(), client_id));
        return DescribeCard(views_, call.program_id, card, *response);
      });
}

grpc::Status CardsApi::RemoveCardHolder(grpc::ServerContext* context,
                                        const v1::RemoveCardHolderRequest* request,
                                        v1::Card* response) {
  return rpc::HandleProgramCall(
      context, "RemoveCardHolder", [&](const rpc::CallContext& call) -> absl::Status {
        std::string client_id = request->client_id();
        RETURN_IF_ERROR(NormalizeClientId("client_id", client_id));
        ASSIGN_OR_RETURN(Card card,
                         cards_.RemoveHolder(call.program_id, request->number(), client_id));
        return DescribeCard(views_, call.program_id, card, *response);
      });
}

grpc::Status CardsApi::SetCardStatus(grpc::ServerContext* context,
                                     const v1::SetCardStatusRequest* request, v1::Card* response) {
  return rpc::HandleProgramCall(
      context, "SetCardStatus", [&](const rpc::CallContext& call) -> absl::Status {
        std::optional<CardStatus> status = FromProto(request->status());
        if (!status) return InvalidField("status", "required");
        ASSIGN_OR_RETURN(Card card, cards_.SetStatus(call.program_id, request->number(), *status,
                                                     request->reason(), call.principal_id));
        return DescribeCard(views_, call.program_id, card, *response);
      });
}

grpc::Status CardsApi::ListCardStatusChanges(grpc::ServerContext* context,
                                             const v1::ListCardStatusChangesRequest* request,
                                             v1::ListCardStatusChangesResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListCardStatusChanges", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(StatusChangePage page,
                         cards_.ListStatusChanges(call.program_id, request->number(), page_size,
                                                  request->page_token()));
        for (const StatusChange& change : page.changes) ToProto(change, *response->add_changes());
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

absl::Status CardsApi::CheckMassChangeTag(const rpc::CallContext& call,
                                          absl::string_view tag_id) {
  if (tags_ == nullptr) {
    return absl::FailedPreconditionError("tag changes are not enabled in this process");
  }
  absl::Status found = tags_->CheckTag(call, tag_id);
  if (absl::IsNotFound(found) || absl::IsInvalidArgument(found)) {
    return InvalidField("change.change_tags.tag_id", "no such tag in this program");
  }
  return found;
}

grpc::Status CardsApi::StartMassChange(grpc::ServerContext* context,
                                       const v1::StartMassChangeRequest* request,
                                       operations::v1::Operation* response) {
  return rpc::HandleProgramCall(
      context, "StartMassChange", [&](const rpc::CallContext& call) -> absl::Status {
        if (operations_ == nullptr) {
          return absl::FailedPreconditionError("mass changes are not enabled in this process");
        }
        ASSIGN_OR_RETURN(operations::NewOperation op,
                         MassChangeOperation(*request, call.principal_id));
        if (request->change().has_change_tags()) {
          ASSIGN_OR_RETURN(MassChange change, MassChangeFromProto(request->change()));
          RETURN_IF_ERROR(CheckMassChangeTag(call, change.tag_id));
        }
        ASSIGN_OR_RETURN(operations::Operation started, operations_->Create(call.program_id, op));
        operations::ToProto(started, *response);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::cards
