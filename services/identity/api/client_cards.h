#pragma once

// A client's cards as `cards` keeps them: moving them on a merge (CLI-7)
// and reading them for the client view (CLI-10). Behind an interface so
// that tests of the merge need no cards service.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/rpc/call_context.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/cards/v1/client_cards_service.pb.h"

namespace loyalty::identity {

// What ReassignClientCards moved.
struct CardsMoved {
  std::vector<std::string> owned_card_numbers;
  std::vector<std::string> held_card_numbers;
};

class ClientCards {
 public:
  virtual ~ClientCards() = default;

  // Moves every card of `from_client_id` to `to_client_id` in the call's
  // program; idempotent by `request_id`. UNAVAILABLE when cards cannot be
  // reached.
  virtual absl::StatusOr<CardsMoved> Reassign(const rpc::CallContext& call,
                                              const std::string& from_client_id,
                                              const std::string& to_client_id,
                                              const std::string& request_id) = 0;

  // The cards the client owns or shares (one page of at most 500), with
  // balances and levels.
  virtual absl::StatusOr<cards::v1::ListCardsResponse> ListCards(
      const rpc::CallContext& call, const std::string& client_id) = 0;

  // A page of the points operations of the client's cards.
  virtual absl::StatusOr<cards::v1::ListClientOperationsResponse> ListOperations(
      const rpc::CallContext& call, const cards::v1::ListClientOperationsRequest& request) = 0;
};

}  // namespace loyalty::identity
