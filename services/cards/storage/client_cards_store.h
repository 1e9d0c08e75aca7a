#pragma once

// A client's cards as a whole (identity's client merge and client view):
// moving every card of one client to another, and the points operations
// of all of a client's cards.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/clock.h"
#include "services/cards/storage/points_reader.h"

namespace loyalty::cards {

// What ReassignClientCards moved, each list in number order.
struct CardReassignment {
  std::vector<std::string> owned_card_numbers;  // the owner changed
  std::vector<std::string> held_card_numbers;   // a co-holder row changed
};

// One operation of one of a client's cards (no balance after it).
struct ClientOperation {
  std::string card_number;
  CardOperation operation;
};

struct ClientOperationsPage {
  std::vector<ClientOperation> operations;  // newest first
  std::string next_page_token;
};

class ClientCardsStore final {
 public:
  ClientCardsStore(pg::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

  // In one transaction: cards `from_client_id` owns get `to_client_id` as
  // owner (who stops being their co-holder), cards it shares get
  // `to_client_id` as co-holder instead (unless it holds or owns them
  // already); CardHoldersChanged per changed card and one
  // ClientCardsReassigned. Ids are normalised UUIDs. The same `request_id`
  // again returns the first result and changes nothing; with other
  // clients, ALREADY_EXISTS naming `request_id`.
  absl::StatusOr<CardReassignment> Reassign(absl::string_view program_id,
                                            const std::string& from_client_id,
                                            const std::string& to_client_id,
                                            const std::string& request_id);

  // Operations on the accounts of the cards the client owns or shares
  // (a shared master account shows its other members' operations too),
  // newest first, within the query's period; `card_number` is the card
  // each operation was made with.
  absl::StatusOr<ClientOperationsPage> ListOperations(absl::string_view program_id,
                                                      const std::string& client_id,
                                                      const OperationsQuery& query);

 private:
  pg::Pool& pool_;
  const Clock& clock_;
};

}  // namespace loyalty::cards
