#pragma once

// The card as the API shows it: the stored card with its balance, plus the
// template, level and benefits CardLevelStore keeps for it and the master
// account it is a member of.

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "services/cards/domain/card.h"

namespace loyalty::cards {

class CardLevelStore;
class MasterAccountStore;

// Where the parts of a card view beyond the stored card come from; a part
// whose source is null is left out.
struct CardViewSources {
  CardLevelStore* levels = nullptr;
  MasterAccountStore* masters = nullptr;
};

// Fills `out` with `card` and what `sources` know of it. With
// `expected_template` set, ALREADY_EXISTS naming `request_id` when the card
// has another template (a retried IssueCard that changed its template).
absl::Status DescribeCard(const CardViewSources& sources, absl::string_view program_id,
                          const Card& card, v1::Card& out,
                          const std::string* expected_template = nullptr);

// DescribeCard for a page of cards, with one read of their levels and one
// of their memberships.
absl::Status DescribeCards(const CardViewSources& sources, absl::string_view program_id,
                           const std::vector<Card>& cards,
                           google::protobuf::RepeatedPtrField<v1::Card>& out);

}  // namespace loyalty::cards
