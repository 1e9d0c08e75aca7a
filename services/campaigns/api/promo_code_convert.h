#pragma once

// Promo-code domain values <-> loyalty.campaigns.v1 messages. Shared by the
// API and by the PromoCodePoolCreated event, which carries the pool exactly
// as the API returns it.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/campaigns/v1/promo_codes_service.pb.h"
#include "services/campaigns/domain/promo_code.h"
#include "services/campaigns/storage/promo_code_store.h"

namespace loyalty::campaigns {

// The client-settable fields of `message`; output-only fields are ignored.
// InvalidField for a missing kind, a campaign id that is not a UUID or a bad
// timestamp, prefixed with `field_prefix`.
absl::StatusOr<PromoCodePool> PoolFromProto(const v1::PromoCodePool& message,
                                            absl::string_view field_prefix);

void PoolToProto(const PromoCodePool& pool, v1::PromoCodePool* out);
void CodeToProto(const PromoCodeUsage& usage, v1::PromoCode* out);
void ReservationToProto(const Reservation& reservation, v1::PromoCodeReservation* out);
void IssuedCodeToProto(const IssuedCode& issued, v1::IssuedPromoCode* out);

}  // namespace loyalty::campaigns
