#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "loyalty/cards/v1/cards_service.grpc.pb.h"
#include "loyalty/cards/v1/client_cards_service.grpc.pb.h"
#include "services/identity/api/client_cards.h"

namespace loyalty::identity {

// ClientCards over gRPC: cards' CardsService.ListCards and the internal
// ClientCardsService, with the caller's context (program, role, trace)
// forwarded.
class CardsClientCards final : public ClientCards {
 public:
  static constexpr absl::Duration kDefaultTimeout = absl::Seconds(5);

  CardsClientCards(std::unique_ptr<cards::v1::CardsService::StubInterface> cards,
                   std::unique_ptr<cards::v1::ClientCardsService::StubInterface> client_cards,
                   absl::Duration timeout = kDefaultTimeout)
      : cards_(std::move(cards)), client_cards_(std::move(client_cards)), timeout_(timeout) {}

  // Dials `address` (host:port) lazily: the first call connects.
  static std::unique_ptr<CardsClientCards> Dial(const std::string& address);

  absl::StatusOr<CardsMoved> Reassign(const rpc::CallContext& call,
                                      const std::string& from_client_id,
                                      const std::string& to_client_id,
                                      const std::string& request_id) override;
  absl::StatusOr<cards::v1::ListCardsResponse> ListCards(const rpc::CallContext& call,
                                                         const std::string& client_id) override;
  absl::StatusOr<cards::v1::ListClientOperationsResponse> ListOperations(
      const rpc::CallContext& call,
      const cards::v1::ListClientOperationsRequest& request) override;

 private:
  std::unique_ptr<cards::v1::CardsService::StubInterface> cards_;
  std::unique_ptr<cards::v1::ClientCardsService::StubInterface> client_cards_;
  absl::Duration timeout_;
};

}  // namespace loyalty::identity
