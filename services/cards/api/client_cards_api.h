#pragma once

#include "loyalty/cards/v1/client_cards_service.grpc.pb.h"
#include "services/cards/storage/client_cards_store.h"

namespace loyalty::cards {

// loyalty.cards.v1.ClientCardsService: internal, for identity's client
// merge and client view.
class ClientCardsApi final : public v1::ClientCardsService::Service {
 public:
  explicit ClientCardsApi(ClientCardsStore& store) : store_(store) {}

  grpc::Status ReassignClientCards(grpc::ServerContext* context,
                                   const v1::ReassignClientCardsRequest* request,
                                   v1::ReassignClientCardsResponse* response) override;
  grpc::Status ListClientOperations(grpc::ServerContext* context,
                                    const v1::ListClientOperationsRequest* request,
                                    v1::ListClientOperationsResponse* response) override;

 private:
  ClientCardsStore& store_;
};

}  // namespace loyalty::cards
