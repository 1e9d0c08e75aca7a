#pragma once

// CRD-4 mass change as an operation of libs/operations: the request ->
// operation mapping StartMassChange uses, and the handler the runner calls
// for each card, through the same store calls as the single-card RPCs.

#include "absl/status/statusor.h"
#include "libs/operations/operation.h"
#include "libs/operations/runner.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "services/cards/api/client_tags.h"
#include "services/cards/api/metrics.h"
#include "services/cards/domain/mass_change.h"
#include "services/cards/storage/card_level_store.h"
#include "services/cards/storage/card_store.h"
#include "services/cards/storage/ledger_store.h"
#include "services/cards/storage/level_bonus.h"

namespace loyalty::cards {

// The change a request asks for, checked (naming `change...` fields).
absl::StatusOr<MassChange> MassChangeFromProto(const v1::MassChange& change);
v1::MassChange ToProto(const MassChange& change);

// The operation a checked request starts: kind kMassChangeKind, the
// normalised change as its parameters, one item per card number.
absl::StatusOr<operations::NewOperation> MassChangeOperation(
    const v1::StartMassChangeRequest& request, absl::string_view principal_id);

class MassChangeHandler final : public operations::OperationHandler {
 public:
  struct Deps {
    CardStore& cards;
    CardLevelStore& card_levels;
    LevelBonuses& bonuses;
    LedgerStore& ledger;
    LedgerMetrics& metrics;
    ClientTags& tags;
  };
  explicit MassChangeHandler(Deps deps) : deps_(deps) {}

  // One card: its result is what the single-card call would have answered.
  // Idempotent per item: points go through a transfer id and levels through
  // a request id derived from the operation id and sequence; statuses and
  // templates set again change nothing; a tag put on (taken off) again
  // changes nothing either.
  operations::ItemOutcome Apply(const operations::OperationRun& run,
                                const operations::PendingItem& item) override;

 private:
  // The tag on (or off) the card's holders. A tag deleted meanwhile fails
  // the operation: every card after it would fail the same way.
  operations::ItemOutcome ApplyTags(const operations::OperationRun& run,
                                    const operations::PendingItem& item, const MassChange& change);
  absl::Status ApplyChange(const operations::OperationRun& run, const operations::PendingItem& item,
                           const MassChange& change);

  Deps deps_;
};

}  // namespace loyalty::cards
