#include "services/pos/domain/member_facts.h"

namespace loyalty::pos {

promotions::MemberFacts MemberFactsOf(const CardInfo& card, const MemberProfile& profile,
                                      bool has_confirmed_receipt) {
  return promotions::MemberFacts{.level = card.level_id,
                                 .tags = profile.tags,
                                 .attributes = profile.attributes,
                                 .birthday = profile.birthday,
                                 .first_purchase = !has_confirmed_receipt};
}

absl::StatusOr<promotions::MemberFacts> LookUpMemberFacts(const std::string& program_id,
                                                          const CardInfo& card,
                                                          MemberDirectory& directory,
                                                          PurchaseHistory& history) {
  MemberProfile profile;
  if (!card.client_id.empty()) {
    absl::StatusOr<MemberProfile> found = directory.GetProfile(program_id, card.client_id);
    if (!found.ok()) return found.status();
    profile = *std::move(found);
  }
  absl::StatusOr<bool> bought = history.HasConfirmedReceipt(program_id, card.number);
  if (!bought.ok()) return bought.status();
  return MemberFactsOf(card, profile, *bought);
}

}  // namespace loyalty::pos
