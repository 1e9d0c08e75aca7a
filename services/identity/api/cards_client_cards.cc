#include "services/identity/api/cards_client_cards.h"

#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "libs/rpc/channel.h"
#include "services/identity/api/cards_card_owners.h"

namespace loyalty::identity {

std::unique_ptr<CardsClientCards> CardsClientCards::Dial(const std::string& address) {
  auto channel = rpc::DialService(address);
  return std::make_unique<CardsClientCards>(cards::v1::CardsService::NewStub(channel),
                                            cards::v1::ClientCardsService::NewStub(channel));
}

absl::StatusOr<CardsMoved> CardsClientCards::Reassign(const rpc::CallContext& call,
                                                      const std::string& from_client_id,
                                                      const std::string& to_client_id,
                                                      const std::string& request_id) {
  grpc::ClientContext context;
  rpc::WriteCallContext(call, context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  cards::v1::ReassignClientCardsRequest request;
  request.set_from_client_id(from_client_id);
  request.set_to_client_id(to_client_id);
  request.set_request_id(request_id);
  cards::v1::ReassignClientCardsResponse response;
  grpc::Status status = client_cards_->ReassignClientCards(&context, request, &response);
  if (!status.ok()) return FromCardsStatus(status);
  return CardsMoved{
      .owned_card_numbers = {response.owned_card_numbers().begin(),
                             response.owned_card_numbers().end()},
      .held_card_numbers = {response.held_card_numbers().begin(),
                            response.held_card_numbers().end()}};
}

absl::StatusOr<cards::v1::ListCardsResponse> CardsClientCards::ListCards(
    const rpc::CallContext& call, const std::string& client_id) {
  grpc::ClientContext context;
  rpc::WriteCallContext(call, context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  cards::v1::ListCardsRequest request;
  request.set_client_id(client_id);
  request.set_page_size(500);
  cards::v1::ListCardsResponse response;
  grpc::Status status = cards_->ListCards(&context, request, &response);
  if (!status.ok()) return FromCardsStatus(status);
  return response;
}

absl::StatusOr<cards::v1::ListClientOperationsResponse> CardsClientCards::ListOperations(
    const rpc::CallContext& call, const cards::v1::ListClientOperationsRequest& request) {
  grpc::ClientContext context;
  rpc::WriteCallContext(call, context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  cards::v1::ListClientOperationsResponse response;
  grpc::Status status = client_cards_->ListClientOperations(&context, request, &response);
  if (!status.ok()) return FromCardsStatus(status);
  return response;
}

}  // namespace loyalty::identity
