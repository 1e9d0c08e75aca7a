#pragma once

// Cards in PostgreSQL: issue (with the card's member account and the
// CardIssued event, in one transaction) and lookup with balance.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/card.h"
#include "services/cards/domain/clock.h"

namespace loyalty::cards {

// ListCards filters; empty/unset fields do not filter.
struct CardFilter {
  std::string client_id;  // owner or co-holder; normalised
  std::optional<CardStatus> status;
  std::string batch_id;
};

struct CardPage {
  std::vector<Card> cards;
  std::string next_page_token;
};

struct CardBatch {
  std::string batch_id;
  std::vector<std::string> numbers;  // in number order
};

struct StatusChange {
  CardStatus from = CardStatus::kActive;
  CardStatus to = CardStatus::kActive;
  std::string reason;
  std::string actor;
  absl::Time change_time;
};

struct StatusChangePage {
  std::vector<StatusChange> changes;
  std::string next_page_token;
};

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

  // Cards in number order, with balances and co-holders.
  absl::StatusOr<CardPage> List(absl::string_view program_id, const CardFilter& filter,
                                int page_size, absl::string_view page_token);

  // Issues a normalised batch of unowned cards in one transaction (all or
  // none), with a CardBatchIssued event. The same request_id again returns
  // the first batch's numbers; with other content ALREADY_EXISTS naming
  // `request_id`. A range overlapping existing numbers: ALREADY_EXISTS
  // naming `number_range.first_number`.
  absl::StatusOr<CardBatch> IssueBatch(absl::string_view program_id, const CardBatchInput& input);

  // Sets the owner of an unowned card. The same owner again is a no-op;
  // another owner: FAILED_PRECONDITION naming `client_id`. Deleted cards
  // cannot be bound (FAILED_PRECONDITION naming `number`).
  absl::StatusOr<Card> Bind(absl::string_view program_id, absl::string_view number,
                            const std::string& client_id);

  // Adds or removes a co-holder (idempotent). The card needs an owner
  // first; the owner is not a co-holder and cannot be removed
  // (FAILED_PRECONDITION naming `client_id`); at most kMaxCardHolders.
  absl::StatusOr<Card> AddHolder(absl::string_view program_id, absl::string_view number,
                                 const std::string& client_id);
  absl::StatusOr<Card> RemoveHolder(absl::string_view program_id, absl::string_view number,
                                    const std::string& client_id);

  // Changes the status (see CheckStatusChange) with a validated reason,
  // recording who did it; the current status again changes nothing.
  // Deleting a card with open holds: FAILED_PRECONDITION naming `status`.
  absl::StatusOr<Card> SetStatus(absl::string_view program_id, absl::string_view number,
                                 CardStatus status, const std::string& reason,
                                 const std::string& actor);

  // A card's status changes, newest first.
  absl::StatusOr<StatusChangePage> ListStatusChanges(absl::string_view program_id,
                                                     absl::string_view number, int page_size,
                                                     absl::string_view page_token);

  // Optional; must outlive the store.
  void SetIssueExtension(CardIssueExtension* extension) { extension_ = extension; }

 private:
  pg::Pool& pool_;
  const Clock& clock_;
  CardNumberGenerator& numbers_;
  CardIssueExtension* extension_ = nullptr;
};

}  // namespace loyalty::cards
