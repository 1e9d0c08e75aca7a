#include "services/campaigns/api/promo_code_convert.h"

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "services/campaigns/api/convert.h"

namespace loyalty::campaigns {
namespace {

v1::PromoCodeReservationState StateToProto(ReservationState state) {
  switch (state) {
    case ReservationState::kReserved:
      return v1::PROMO_CODE_RESERVATION_STATE_RESERVED;
    case ReservationState::kConsumed:
      return v1::PROMO_CODE_RESERVATION_STATE_CONSUMED;
    case ReservationState::kReleased:
      return v1::PROMO_CODE_RESERVATION_STATE_RELEASED;
  }
  return v1::PROMO_CODE_RESERVATION_STATE_UNSPECIFIED;
}

v1::PromoCodeStatus CodeStatus(const PromoCodeUsage& usage) {
  if (usage.archived) return v1::PROMO_CODE_STATUS_ARCHIVED;
  if (usage.max_uses > 0 && usage.consumed_uses + usage.reserved_uses >= usage.max_uses) {
    return v1::PROMO_CODE_STATUS_EXHAUSTED;
  }
  return v1::PROMO_CODE_STATUS_AVAILABLE;
}

}  // namespace

absl::StatusOr<PromoCodePool> PoolFromProto(const v1::PromoCodePool& message,
                                            absl::string_view field_prefix) {
  PromoCodePool pool;
  switch (message.kind()) {
    case v1::PROMO_CODE_POOL_KIND_SHARED:
      pool.kind = PoolKind::kShared;
      break;
    case v1::PROMO_CODE_POOL_KIND_UNIQUE:
      pool.kind = PoolKind::kUnique;
      break;
    default:
      return InvalidField(absl::StrCat(field_prefix, "kind"), "must be SHARED or UNIQUE");
  }
  pool.name = message.name();
  pool.code = message.code();
  pool.max_uses_per_code = message.max_uses_per_code();
  pool.per_client_limit = message.per_client_limit();
  absl::Status times = OptionalTimeFromProto(message.has_start_time(), message.start_time(),
                                             absl::StrCat(field_prefix, "start_time"),
                                             pool.start_time);
  if (times.ok()) {
    times = OptionalTimeFromProto(message.has_end_time(), message.end_time(),
                                  absl::StrCat(field_prefix, "end_time"), pool.end_time);
  }
  if (!times.ok()) return times;
  if (!message.campaign_id().empty() && !IsUuid(message.campaign_id())) {
    return InvalidField(absl::StrCat(field_prefix, "campaign_id"), "not a UUID");
  }
  pool.campaign_id = message.campaign_id();
  return pool;
}

void PoolToProto(const PromoCodePool& pool, v1::PromoCodePool* out) {
  out->set_pool_id(pool.pool_id);
  out->set_name(pool.name);
  out->set_kind(pool.kind == PoolKind::kShared ? v1::PROMO_CODE_POOL_KIND_SHARED
                                               : v1::PROMO_CODE_POOL_KIND_UNIQUE);
  out->set_code(pool.code);
  out->set_max_uses_per_code(pool.max_uses_per_code);
  out->set_per_client_limit(pool.per_client_limit);
  if (pool.start_time) TimeToProto(*pool.start_time, out->mutable_start_time());
  if (pool.end_time) TimeToProto(*pool.end_time, out->mutable_end_time());
  out->set_campaign_id(pool.campaign_id);
  out->set_archived(pool.archived);
  out->set_code_count(pool.code_count);
  TimeToProto(pool.create_time, out->mutable_create_time());
}

void CodeToProto(const PromoCodeUsage& usage, v1::PromoCode* out) {
  out->set_code(usage.code);
  out->set_pool_id(usage.pool_id);
  out->set_status(CodeStatus(usage));
  out->set_consumed_uses(usage.consumed_uses);
  out->set_reserved_uses(usage.reserved_uses);
  out->set_max_uses(usage.max_uses);
}

void ReservationToProto(const Reservation& reservation, v1::PromoCodeReservation* out) {
  out->set_reservation_id(reservation.reservation_id);
  out->set_code(reservation.code);
  out->set_pool_id(reservation.pool_id);
  out->set_client_id(reservation.client_id);
  out->set_receipt_reference(reservation.receipt_reference);
  out->set_state(StateToProto(reservation.state));
  TimeToProto(reservation.expire_time, out->mutable_expire_time());
  out->set_campaign_id(reservation.campaign_id);
}

void IssuedCodeToProto(const IssuedCode& issued, v1::IssuedPromoCode* out) {
  out->set_issue_id(issued.issue_id);
  out->set_pool_id(issued.pool_id);
  out->set_code(issued.code);
  out->set_client_id(issued.client_id);
  out->set_campaign_id(issued.campaign_id);
  TimeToProto(issued.issue_time, out->mutable_issue_time());
}

}  // namespace loyalty::campaigns
