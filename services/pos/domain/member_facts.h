#pragma once

// The member facts campaigns read (level, tags, attributes, birthday,
// first purchase), put together from the card (`cards`), the client's
// profile (`identity`) and pos's own receipts. Pure; the ports are
// implemented in api/ and storage/.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "libs/promotions/engine.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

// What identity knows about a client that campaigns may read.
struct MemberProfile {
  // Both the name and the id of each tag: campaigns may name either.
  std::vector<std::string> tags;
  // Key and value as text; a list attribute gives one pair per value.
  std::vector<std::pair<std::string, std::string>> attributes;
  std::optional<absl::CivilDay> birthday;
};

// The client's profile (`identity`). UNAVAILABLE (or another error) when
// identity cannot answer; the receipt is then priced without member facts.
class MemberDirectory {
 public:
  virtual ~MemberDirectory() = default;
  virtual absl::StatusOr<MemberProfile> GetProfile(const std::string& program_id,
                                                   const std::string& client_id) = 0;
};

// The receipts pos has confirmed.
class PurchaseHistory {
 public:
  virtual ~PurchaseHistory() = default;
  virtual absl::StatusOr<bool> HasConfirmedReceipt(const std::string& program_id,
                                                   const std::string& card_number) = 0;
};

// The engine's MemberFacts: the level is the card's level id, the rest the
// client's profile; `first_purchase` when the card has no confirmed
// receipt yet. Segment ids stay empty: segmentation is not wired in yet.
promotions::MemberFacts MemberFactsOf(const CardInfo& card, const MemberProfile& profile,
                                      bool has_confirmed_receipt);

// Looks up what MemberFactsOf needs. A card without a client has only its
// level and purchase history; an error of either port is returned (the
// caller prices without member facts and tells the cashier).
absl::StatusOr<promotions::MemberFacts> LookUpMemberFacts(const std::string& program_id,
                                                          const CardInfo& card,
                                                          MemberDirectory& directory,
                                                          PurchaseHistory& history);

}  // namespace loyalty::pos
