#pragma once

// Cards in PostgreSQL: issue (with the card's member account and the
// CardIssued event, in one transaction) and lookup with balance.

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/card.h"
#include "services/cards/domain/clock.h"

namespace loyalty::cards {

// Work another part of the service does inside a card's issuing
// transaction (e.g. attaching the card's template and first level), so
// that the card exists with it or not at all.
class CardIssueExtension {
 public:
  virtual ~CardIssueExtension() = default;
  // Runs after the card row is written; an error rolls the issue back.
  virtual absl::Status OnIssue(pg::Tx& tx, absl::string_view program_id,
                               const IssueCardInput& input, const Card& card) = 0;
};

class CardStore final {
 public:
  // Generated numbers that are taken are redrawn this many times in all.
  static constexpr int kMaxNumberAttempts = 8;

  CardStore(pg::Pool& pool, const Clock& clock, CardNumberGenerator& numbers)
      : pool_(pool), clock_(clock), numbers_(numbers) {}

  // The card issued earlier for `input.request_id` (with its balance), if
  // any. ALREADY_EXISTS naming `request_id` when that call asked for another
  // client or number. Lets a retry skip the checks a first issue needs.
  absl::StatusOr<std::optional<Card>> FindIssued(absl::string_view program_id,
                                                 const IssueCardInput& input);

  // Issues a card for a normalised request, with its own member account.
  // Idempotent by request_id, as FindIssued. Without a number, draws one;
  // with a number that the program already uses, ALREADY_EXISTS naming
  // `number`.
  absl::StatusOr<Card> Issue(absl::string_view program_id, const IssueCardInput& input);

  // The program's card with this number (or barcode), with its balance.
  // NOT_FOUND naming `number` otherwise, also for another program's card.
  absl::StatusOr<Card> Get(absl::string_view program_id, absl::string_view number);

  // Optional; must outlive the store.
  void SetIssueExtension(CardIssueExtension* extension) { extension_ = extension; }

 private:
  pg::Pool& pool_;
  const Clock& clock_;
  CardNumberGenerator& numbers_;
  CardIssueExtension* extension_ = nullptr;
};

}  // namespace loyalty::cards
