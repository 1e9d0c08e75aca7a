#pragma once

#include "loyalty/identity/v1/client_view_service.grpc.pb.h"
#include "services/identity/api/client_cards.h"
#include "services/identity/storage/attribute_store.h"
#include "services/identity/storage/consent_store.h"
#include "services/identity/storage/identity_store.h"
#include "services/identity/storage/tag_store.h"

namespace loyalty::identity {

// loyalty.identity.v1.ClientViewService (CLI-10): identity's parts of a
// client and its cards' parts from `cards`, in one answer.
class ClientViewApi final : public v1::ClientViewService::Service {
 public:
  ClientViewApi(IdentityStore& clients, ConsentStore& consents, TagStore& tags,
                AttributeStore& attributes, ClientCards& cards)
      : clients_(clients), consents_(consents), tags_(tags), attributes_(attributes),
        cards_(cards) {}

  grpc::Status GetClientView(grpc::ServerContext* context,
                             const v1::GetClientViewRequest* request,
                             v1::ClientView* response) override;

 private:
  IdentityStore& clients_;
  ConsentStore& consents_;
  TagStore& tags_;
  AttributeStore& attributes_;
  ClientCards& cards_;
};

}  // namespace loyalty::identity
