#pragma once

#include "loyalty/cards/v1/cards_service.grpc.pb.h"
#include "services/cards/api/client_directory.h"
#include "services/cards/storage/card_level_store.h"
#include "services/cards/storage/card_store.h"

namespace loyalty::cards {

// loyalty.cards.v1.CardsService: the external card API.
class CardsApi final : public v1::CardsService::Service {
 public:
  // Without `levels`, cards are shown without template, level or benefits.
  CardsApi(CardStore& cards, ClientDirectory& clients, CardLevelStore* levels = nullptr)
      : cards_(cards), clients_(clients), levels_(levels) {}

  grpc::Status IssueCard(grpc::ServerContext* context, const v1::IssueCardRequest* request,
                         v1::Card* response) override;
  grpc::Status GetCard(grpc::ServerContext* context, const v1::GetCardRequest* request,
                       v1::Card* response) override;
  grpc::Status ListCards(grpc::ServerContext* context, const v1::ListCardsRequest* request,
                         v1::ListCardsResponse* response) override;
  grpc::Status IssueCardBatch(grpc::ServerContext* context,
                              const v1::IssueCardBatchRequest* request,
                              v1::IssueCardBatchResponse* response) override;
  grpc::Status BindCard(grpc::ServerContext* context, const v1::BindCardRequest* request,
                        v1::Card* response) override;
  grpc::Status AddCardHolder(grpc::ServerContext* context,
                             const v1::AddCardHolderRequest* request,
                             v1::Card* response) override;
  grpc::Status RemoveCardHolder(grpc::ServerContext* context,
                                const v1::RemoveCardHolderRequest* request,
                                v1::Card* response) override;
  grpc::Status SetCardStatus(grpc::ServerContext* context,
                             const v1::SetCardStatusRequest* request,
                             v1::Card* response) override;
  grpc::Status ListCardStatusChanges(grpc::ServerContext* context,
                                     const v1::ListCardStatusChangesRequest* request,
                                     v1::ListCardStatusChangesResponse* response) override;

 private:
  CardStore& cards_;
  ClientDirectory& clients_;
  CardLevelStore* levels_;
};

}  // namespace loyalty::cards
