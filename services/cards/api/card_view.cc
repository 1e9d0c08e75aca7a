#include "services/cards/api/card_view.h"

#include <map>
#include <string>

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

absl::Status DescribeCards(CardLevelStore* levels, absl::string_view program_id,
                           const std::vector<Card>& cards,
                           google::protobuf::RepeatedPtrField<v1::Card>& out) {
  std::map<std::string, CardLevelView> views;
  if (levels != nullptr) {
    std::vector<std::string> numbers;
    for (const Card& card : cards) numbers.push_back(card.number);
    ASSIGN_OR_RETURN(views, levels->DescribeAll(program_id, numbers));
  }
  for (const Card& card : cards) {
    v1::Card& described = *out.Add();
    ToProto(card, described);
    if (levels != nullptr) AddLevelView(views[card.number], described);
  }
  return absl::OkStatus();
}

}  // namespace loyalty::cards
