#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "loyalty/cards/v1/cards_service.grpc.pb.h"
#include "services/identity/api/card_owners.h"

namespace loyalty::identity {

// A failed call to `cards` as a status of ours: a transport failure or
// timeout is UNAVAILABLE (try again later), anything else keeps its code
// and field.
absl::Status FromCardsStatus(const grpc::Status& status);

// Asks cards' GetCard, forwarding the caller's context (program, role,
// trace) so that cards scopes the lookup to the caller's program. Asking
// at the moment of identification, rather than keeping a copy of card
// ownership from cards' events, never answers with an owner that changed
// (a bind, a merge) a moment ago.
class CardsCardOwners final : public CardOwners {
 public:
  static constexpr absl::Duration kDefaultTimeout = absl::Seconds(3);

  explicit CardsCardOwners(std::unique_ptr<cards::v1::CardsService::StubInterface> stub,
                           absl::Duration timeout = kDefaultTimeout)
      : stub_(std::move(stub)), timeout_(timeout) {}

  // Dials `address` (host:port) lazily: the first call connects.
  static std::unique_ptr<CardsCardOwners> Dial(const std::string& address);

  absl::StatusOr<std::string> OwnerOf(const rpc::CallContext& call,
                                      absl::string_view card_number) override;

 private:
  std::unique_ptr<cards::v1::CardsService::StubInterface> stub_;
  absl::Duration timeout_;
};

}  // namespace loyalty::identity
