#pragma once

// Feeds the level activity model from two streams, read with consumer group
// `cards-levels`:
// - `loyalty.pos.events`: ReceiptConfirmed (purchase amount and a visit for
//   the receipt's card), ReceiptRefunded (taken back from that receipt);
// - `loyalty.cards.events` (this service's own): PointsTransferred accruals
//   and accrual reversals, level bonuses excepted.
// Each event may move its card up at once (LevelActivityStore); a bonus that
// brings is then accrued through the ledger. The consumer hands over what
// one read returns, and those events are applied in one transaction: one
// commit per read instead of one per event.

#include <optional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "libs/outbox/outbox.h"
#include "services/cards/api/level_metrics.h"
#include "services/cards/storage/level_activity_store.h"
#include "services/cards/storage/level_bonus.h"

namespace loyalty::cards {

inline constexpr char kLevelEventsGroup[] = "cards-levels";

class LevelEventHandler final {
 public:
  LevelEventHandler(LevelActivityStore& activity, LevelBonuses& bonuses, LevelMetrics& metrics)
      : activity_(activity), bonuses_(bonuses), metrics_(metrics) {}

  // Entries of `loyalty.pos.events` / `loyalty.cards.events` as a stream
  // consumer reads them (up to 100), applied in one transaction; one status
  // per entry. Entries that can never be applied (undecodable, no event or
  // program id) are logged, counted and acknowledged; storage failures are
  // returned, so the entry is redelivered (the event id makes that
  // harmless); the entries after a failed one are left unanswered (the
  // consumer keeps them pending), so a refund never overtakes its purchase.
  std::vector<absl::Status> HandlePosEvents(std::span<const outbox::StreamEvent> events);
  std::vector<absl::Status> HandleCardsEvents(std::span<const outbox::StreamEvent> events);

  // One entry at a time, as above.
  absl::Status HandlePosEvent(const outbox::StreamEvent& event);
  absl::Status HandleCardsEvent(const outbox::StreamEvent& event);

 private:
  // The fact an entry reports, or none when there is nothing to apply (the
  // entry was counted as ignored or malformed).
  std::optional<ActivityFact> PosFact(const outbox::StreamEvent& event);
  std::optional<ActivityFact> CardsFact(const outbox::StreamEvent& event);
  std::vector<absl::Status> ApplyAll(
      absl::string_view stream, std::span<const outbox::StreamEvent> events,
      std::optional<ActivityFact> (LevelEventHandler::*fact_of)(const outbox::StreamEvent&));
  void Malformed(absl::string_view stream, const outbox::StreamEvent& event, absl::string_view why);
  absl::Status Finish(absl::string_view stream, const absl::StatusOr<ActivityResult>& result,
                      const std::string& program_id);

  LevelActivityStore& activity_;
  LevelBonuses& bonuses_;
  LevelMetrics& metrics_;
};

}  // namespace loyalty::cards
