#pragma once

// The card as the API shows it: the stored card with its balance, plus the
// template, level and benefits CardLevelStore keeps for it.

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "services/cards/domain/card.h"
#include "services/cards/storage/card_level_store.h"

namespace loyalty::cards {

// Fills `out` with `card` and, when `levels` is set, its template, level and
// benefits. With `expected_template` set, ALREADY_EXISTS naming
// `request_id` when the card has another template (a retried IssueCard
// that changed its template).
absl::Status DescribeCard(CardLevelStore* levels, absl::string_view program_id, const Card& card,
                          v1::Card& out, const std::string* expected_template = nullptr);

// DescribeCard for a page of cards, with one read of their levels.
absl::Status DescribeCards(CardLevelStore* levels, absl::string_view program_id,
                           const std::vector<Card>& cards,
                           google::protobuf::RepeatedPtrField<v1::Card>& out);

}  // namespace loyalty::cards
