#include "services/identity/api/cards_card_owners.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "libs/common/errors.h"
#include "libs/rpc/channel.h"
#include "libs/rpc/status.h"

namespace loyalty::identity {

std::unique_ptr<CardsCardOwners> CardsCardOwners::Dial(const std::string& address) {
  return std::make_unique<CardsCardOwners>(
      cards::v1::CardsService::NewStub(rpc::DialService(address)));
}

absl::StatusOr<std::string> CardsCardOwners::OwnerOf(const rpc::CallContext& call,
                                                     absl::string_view card_number) {
  grpc::ClientContext context;
  rpc::WriteCallContext(call, context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  cards::v1::GetCardRequest request;
  request.set_number(std::string(card_number));
  cards::v1::Card card;
  grpc::Status status = stub_->GetCard(&context, request, &card);
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      if (card.client_id().empty()) {
        return absl::NotFoundError("the card has no owner yet");
      }
      return card.client_id();
    case grpc::StatusCode::NOT_FOUND:
      return absl::NotFoundError("no card of this program has this number or barcode");
    case grpc::StatusCode::INVALID_ARGUMENT:
      // Cards' answer is about the number we passed on: the caller's field.
      return InvalidField("card_number", status.error_message());
    default:
      return FromCardsStatus(status);
  }
}

absl::Status FromCardsStatus(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::UnavailableError(
          absl::StrCat("cards service unavailable: ", status.error_message()));
    default:
      return rpc::FromGrpcStatus(status);
  }
}

}  // namespace loyalty::identity
