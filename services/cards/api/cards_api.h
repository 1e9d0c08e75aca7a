#pragma once

#include "libs/operations/operation_store.h"
#include "loyalty/cards/v1/cards_service.grpc.pb.h"
#include "services/cards/api/card_view.h"
#include "services/cards/api/client_directory.h"
#include "services/cards/api/client_tags.h"
#include "services/cards/storage/card_level_store.h"
#include "services/cards/storage/card_store.h"
#include "services/cards/storage/master_account_store.h"

namespace loyalty::cards {

// loyalty.cards.v1.CardsService: the external card API.
class CardsApi final : public v1::CardsService::Service {
 public:
  // Without `levels`, cards are shown without template, level or benefits,
  // without `masters` without their master account; without `operations`,
  // StartMassChange is FAILED_PRECONDITION, and so is a tag change without
  // `tags`.
  CardsApi(CardStore& cards, ClientDirectory& clients, CardLevelStore* levels = nullptr,
           operations::OperationStore* operations = nullptr, ClientTags* tags = nullptr,
           MasterAccountStore* masters = nullptr)
      : cards_(cards),
        clients_(clients),
        views_{.levels = levels, .masters = masters},
        operations_(operations),
        tags_(tags) {}

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
  grpc::Status AddCardHolder(grpc::ServerContext* context, const v1::AddCardHolderRequest* request,
                             v1::Card* response) override;
  grpc::Status RemoveCardHolder(grpc::ServerContext* context,
                                const v1::RemoveCardHolderRequest* request,
                                v1::Card* response) override;
  grpc::Status SetCardStatus(grpc::ServerContext* context, const v1::SetCardStatusRequest* request,
                             v1::Card* response) override;
  grpc::Status ListCardStatusChanges(grpc::ServerContext* context,
                                     const v1::ListCardStatusChangesRequest* request,
                                     v1::ListCardStatusChangesResponse* response) override;
  grpc::Status StartMassChange(grpc::ServerContext* context,
                               const v1::StartMassChangeRequest* request,
                               operations::v1::Operation* response) override;

 private:
  // A tag change names a tag of the caller's program (identity's).
  absl::Status CheckMassChangeTag(const rpc::CallContext& call, absl::string_view tag_id);

  CardStore& cards_;
  ClientDirectory& clients_;
  const CardViewSources views_;
  operations::OperationStore* operations_;
  ClientTags* tags_;
};

}  // namespace loyalty::cards
