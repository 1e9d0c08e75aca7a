#include "services/cards/domain/mass_change.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "services/cards/domain/definition.h"
#include "services/cards/domain/ledger.h"
#include "services/cards/domain/level.h"

namespace loyalty::cards {

absl::Status ValidateMassChangeCards(const std::vector<std::string>& numbers) {
  if (numbers.empty()) return InvalidField("card_numbers", "at least one card is required");
  if (numbers.size() > kMaxMassChangeCards) {
    return InvalidField("card_numbers", absl::StrCat("at most ", kMaxMassChangeCards, " cards"));
  }
  absl::flat_hash_map<absl::string_view, size_t> seen;
  seen.reserve(numbers.size());
  for (size_t i = 0; i < numbers.size(); ++i) {
    const std::string field = absl::StrCat("card_numbers[", i, "]");
    if (absl::Status valid = ValidateCardNumber(numbers[i]); !valid.ok()) {
      return InvalidField(field, absl::StrCat("must be ", kMinCardNumberLength, "..",
                                              kMaxCardNumberLength, " digits"));
    }
    auto [at, fresh] = seen.emplace(numbers[i], i);
    if (!fresh) {
      return InvalidField(field, absl::StrCat("repeats card_numbers[", at->second, "]"));
    }
  }
  return absl::OkStatus();
}

absl::Status NormalizeMassChange(MassChange& change) {
  switch (change.kind) {
    case MassChange::Kind::kStatus:
      return ValidateReason("change.set_status.reason", change.reason);
    case MassChange::Kind::kTemplate:
      return NormalizeUuid("change.set_template.template_id", change.template_id);
    case MassChange::Kind::kLevel:
      RETURN_IF_ERROR(NormalizeUuid("change.set_level.level_id", change.level_id));
      RETURN_IF_ERROR(
          NormalizeText("change.set_level.comment", change.comment, kMaxLevelCommentLength));
      if (change.comment.empty()) return InvalidField("change.set_level.comment", "required");
      return absl::OkStatus();
    case MassChange::Kind::kPoints:
      if (change.amount == 0) return InvalidField("change.adjust_points.amount", "must not be 0");
      if (change.amount < -kMaxAmount || change.amount > kMaxAmount) {
        return InvalidField("change.adjust_points.amount",
                            absl::StrCat("at most ", kMaxAmount, " either way"));
      }
      return ValidateReason("change.adjust_points.reason", change.reason);
    case MassChange::Kind::kTags:
      return NormalizeUuid("change.change_tags.tag_id", change.tag_id);
  }
  return InvalidField("change", "unknown change");
}

std::vector<std::string> CardHolders(const Card& card) {
  std::vector<std::string> holders;
  if (!card.client_id.empty()) holders.push_back(card.client_id);
  for (const std::string& holder : card.holder_client_ids) {
    if (std::find(holders.begin(), holders.end(), holder) == holders.end()) {
      holders.push_back(holder);
    }
  }
  return holders;
}

std::string MassChangeItemKey(absl::string_view operation_id, int64_t sequence) {
  return absl::StrCat(operation_id, ":", sequence);
}

}  // namespace loyalty::cards
