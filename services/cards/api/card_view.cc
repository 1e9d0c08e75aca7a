#include "services/cards/api/card_view.h"

#include <map>
#include <string>

#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "services/cards/api/convert.h"
#include "services/cards/api/level_convert.h"
#include "services/cards/storage/card_level_store.h"
#include "services/cards/storage/master_account_store.h"

namespace loyalty::cards {
namespace {

void AddMembership(const CardMembership& membership, v1::Card& out) {
  v1::CardMasterAccount& master = *out.mutable_master_account();
  master.set_master_account_id(membership.master_account_id);
  *master.mutable_join_time() = ToProto(membership.join_time);
  master.set_contribution(membership.contribution);
  master.set_share_bp(membership.share_bp);
  master.set_member_count(membership.member_count);
}

absl::StatusOr<std::map<std::string, CardMembership>> MembershipsOf(
    const CardViewSources& sources, absl::string_view program_id, const std::vector<Card>& cards) {
  if (sources.masters == nullptr) return std::map<std::string, CardMembership>();
  std::vector<std::string> numbers;
  for (const Card& card : cards) numbers.push_back(card.number);
  return sources.masters->MembershipsOf(program_id, numbers);
}

}  // namespace

absl::Status DescribeCard(const CardViewSources& sources, absl::string_view program_id,
                          const Card& card, v1::Card& out, const std::string* expected_template) {
  ToProto(card, out);
  if (sources.levels != nullptr) {
    ASSIGN_OR_RETURN(CardLevelView view, sources.levels->Describe(program_id, card.number));
    if (expected_template != nullptr && *expected_template != view.template_id) {
      return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                        "already used to issue a card with another template");
    }
    AddLevelView(view, out);
  }
  ASSIGN_OR_RETURN(auto memberships, MembershipsOf(sources, program_id, {card}));
  if (auto it = memberships.find(card.number); it != memberships.end()) {
    AddMembership(it->second, out);
  }
  return absl::OkStatus();
}

absl::Status DescribeCards(const CardViewSources& sources, absl::string_view program_id,
                           const std::vector<Card>& cards,
                           google::protobuf::RepeatedPtrField<v1::Card>& out) {
  std::map<std::string, CardLevelView> views;
  if (sources.levels != nullptr) {
    std::vector<std::string> numbers;
    for (const Card& card : cards) numbers.push_back(card.number);
    ASSIGN_OR_RETURN(views, sources.levels->DescribeAll(program_id, numbers));
  }
  ASSIGN_OR_RETURN(auto memberships, MembershipsOf(sources, program_id, cards));
  for (const Card& card : cards) {
    v1::Card& described = *out.Add();
    ToProto(card, described);
    if (sources.levels != nullptr) AddLevelView(views[card.number], described);
    if (auto it = memberships.find(card.number); it != memberships.end()) {
      AddMembership(it->second, described);
    }
  }
  return absl::OkStatus();
}

}  // namespace loyalty::cards
