#include "services/cards/storage/level_events.h"

#include "libs/outbox/outbox.h"
#include "libs/rpc/proto_convert.h"
#include "loyalty/cards/v1/events.pb.h"

namespace loyalty::cards {
namespace {

// The domain enums mirror the proto ones value for value.
static_assert(static_cast<int>(LevelChangeReason::kManual) == v1::LEVEL_CHANGE_REASON_MANUAL);
static_assert(static_cast<int>(CardKind::kDiscount) == v1::CARD_KIND_DISCOUNT);

}  // namespace

void BenefitsToProto(const CardBenefits& benefits, v1::CardBenefits& out) {
  out.set_kind(static_cast<v1::CardKind>(benefits.kind));
  out.set_discount_bp(benefits.discount_bp);
  out.set_accrual_bp(benefits.accrual_bp);
}

void AppendLevelChanged(pg::Tx& tx, absl::string_view program_id, const LevelChangedFact& fact) {
  v1::LevelChanged event;
  event.set_change_id(fact.change_id);
  event.set_card_number(fact.card_number);
  event.set_client_id(fact.client_id);
  event.set_level_type_id(fact.level_type_id);
  event.set_previous_level_id(fact.previous_level_id);
  event.set_previous_level_name(fact.previous_level_name);
  event.set_level_id(fact.level_id);
  event.set_level_name(fact.level_name);
  event.set_reason(static_cast<v1::LevelChangeReason>(fact.reason));
  event.set_qualifying_value(fact.qualifying_value);
  rpc::SetTimestamp(fact.start_time, event.mutable_start_time());
  if (fact.expire_time) rpc::SetTimestamp(*fact.expire_time, event.mutable_expire_time());
  event.set_bonus_points(fact.bonus_points);
  event.set_bonus_transfer_id(fact.bonus_transfer_id);
  event.set_principal_id(fact.principal_id);
  BenefitsToProto(fact.benefits, *event.mutable_benefits());
  outbox::Append(tx, outbox::StreamFor("cards"), program_id, event);
}

}  // namespace loyalty::cards
