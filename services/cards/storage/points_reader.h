#pragma once

// Read-only views of the ledger for people: a card's operations history
// with running balances, and the cards whose points expire soon.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/clock.h"
#include "services/cards/domain/ledger.h"
#include "services/cards/domain/partner_settlement.h"

namespace loyalty::cards {

// One transfer as the card's account saw it.
struct CardOperation {
  std::string transfer_id;
  TransferKind kind = TransferKind::kUnspecified;
  int64_t amount = 0;  // signed: + into the card, - out of it
  int64_t balance_after = 0;
  std::string reference;
  std::string reason;
  std::string actor;
  std::string hold_id;
  absl::Time create_time;
};

struct OperationsQuery {
  std::optional<absl::Time> start_time;  // inclusive
  std::optional<absl::Time> end_time;    // exclusive
  int page_size = 50;
  std::string page_token;
};

struct OperationsPage {
  std::vector<CardOperation> operations;  // newest first
  std::string next_page_token;
};

struct ExpiringPoints {
  std::string card_number;
  std::string client_id;
  int64_t amount = 0;
  absl::Time first_expire_time;
};

struct ExpiringPage {
  std::vector<ExpiringPoints> cards;  // card number order
  std::string next_page_token;
};

class PointsReader final {
 public:
  PointsReader(pg::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

  // Operations that moved points on the card's account within the period.
  // Transfers that moved nothing (a reversal with nothing left to take)
  // left no postings and are not listed. NOT_FOUND naming `card_number`
  // for an unknown card; `start_time` after `end_time`: INVALID_ARGUMENT.
  absl::StatusOr<OperationsPage> ListOperations(absl::string_view program_id,
                                                absl::string_view card_number,
                                                const OperationsQuery& query);

  // Partner settlement for [start_time, end_time) (see
  // domain/partner_settlement.h): activity per partner, gross flows between
  // issuers and acceptors, and the netted positions.
  absl::StatusOr<PartnerSettlement> Settlement(absl::string_view program_id,
                                               const std::optional<absl::Time>& start_time,
                                               const std::optional<absl::Time>& end_time);

  // Cards with active or pending points expiring in (now, now + within].
  absl::StatusOr<ExpiringPage> ListExpiring(absl::string_view program_id, absl::Duration within,
                                            int page_size, absl::string_view page_token);

 private:
  pg::Pool& pool_;
  const Clock& clock_;
};

}  // namespace loyalty::cards
