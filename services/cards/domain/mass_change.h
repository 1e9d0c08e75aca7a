#pragma once

// CRD-4 mass change of cards: one change applied to a list of cards as a
// background operation (libs/operations). The request checks; the per-card
// work reuses the single-card paths (SetStatus, SetTemplate, SetManual
// level, ledger corrections) or, for tags, identity's TagsService on the
// card's holders.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/cards/domain/card.h"

namespace loyalty::cards {

inline constexpr char kMassChangeKind[] = "cards.mass_change";
inline constexpr size_t kMaxMassChangeCards = 100'000;

struct MassChange {
  enum class Kind { kStatus, kTemplate, kLevel, kPoints, kTags };
  Kind kind = Kind::kStatus;
  // kStatus
  CardStatus status = CardStatus::kActive;
  // kStatus and kPoints: required.
  std::string reason;
  // kTemplate
  std::string template_id;
  // kLevel
  std::string level_id;
  std::string comment;
  std::optional<absl::Time> expire_time;
  bool grant_bonus = false;
  // kPoints: signed, not 0.
  int64_t amount = 0;
  // kTags: the tag (identity's), put on the holders or, with
  // `remove_tag`, taken off.
  std::string tag_id;
  bool remove_tag = false;
};

// Who gets a card's tag change: the owner, then the co-holders, each once.
// Empty for an unowned card.
std::vector<std::string> CardHolders(const Card& card);

// 1..kMaxMassChangeCards numbers, each 6..19 digits, none twice.
// INVALID_ARGUMENT naming `card_numbers` or `card_numbers[i]`.
absl::Status ValidateMassChangeCards(const std::vector<std::string>& numbers);

// Checks the change with the rules of the single-card calls, naming the
// field under `change.` (e.g. `change.set_status.reason`); lower-cases ids.
absl::Status NormalizeMassChange(MassChange& change);

// The idempotency key of one card's change (the ledger transfer id or the
// level change's request id): the same for every run of the same item, so
// a chunk redone after a crash applies nothing twice.
std::string MassChangeItemKey(absl::string_view operation_id, int64_t sequence);

}  // namespace loyalty::cards
