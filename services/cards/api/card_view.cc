#include "services/cards/api/card_view.h"

#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "services/cards/api/convert.h"
#include "services/cards/api/level_convert.h"

namespace loyalty::cards {

absl::Status DescribeCard(CardLevelStore* levels, absl::string_view program_id, const Card& card,
                          v1::Card& out, const std::string* expected_template) {
  ToProto(card, out);
  if (levels == nullptr) return absl::OkStatus();
  ASSIGN_OR_RETURN(CardLevelView view, levels->Describe(program_id, card.number));
  if (expected_template != nullptr && *expected_template != view.template_id) {
    return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                      "already used to issue a card with another template");
  }
  AddLevelView(view, out);
  return absl::OkStatus();
}

}  // namespace loyalty::cards
