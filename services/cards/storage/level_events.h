#pragma once

// The LevelChanged event of `cards`, appended to the outbox inside the
// transaction that changes the card's level (see events.proto).

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/card_template.h"
#include "services/cards/domain/level_evaluation.h"

namespace loyalty::cards {

namespace v1 {
class CardBenefits;
}

// The one mapping of benefits to their message, for events and the API.
void BenefitsToProto(const CardBenefits& benefits, v1::CardBenefits& out);

struct LevelChangedFact {
  std::string change_id;
  std::string card_number;
  std::string client_id;
  std::string level_type_id;
  std::string previous_level_id;
  std::string previous_level_name;
  std::string level_id;
  std::string level_name;
  LevelChangeReason reason = LevelChangeReason::kUnspecified;
  int64_t qualifying_value = 0;
  absl::Time start_time;
  std::optional<absl::Time> expire_time;
  int64_t bonus_points = 0;
  std::string bonus_transfer_id;
  std::string principal_id;
  CardBenefits benefits;
};

void AppendLevelChanged(pg::Tx& tx, absl::string_view program_id, const LevelChangedFact& fact);

}  // namespace loyalty::cards
