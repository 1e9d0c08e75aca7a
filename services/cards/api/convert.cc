#include "services/cards/api/convert.h"

#include <limits>

#include "google/protobuf/util/time_util.h"

namespace loyalty::cards {

using ::google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToProto(absl::Time time) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}

std::optional<absl::Time> FromProto(bool present, const google::protobuf::Timestamp& time) {
  if (!present) return std::nullopt;
  return absl::FromUnixSeconds(time.seconds()) + absl::Nanoseconds(time.nanos());
}

v1::CardStatus ToProto(CardStatus status) {
  switch (status) {
    case CardStatus::kActive:
      return v1::CARD_STATUS_ACTIVE;
    case CardStatus::kBlocked:
      return v1::CARD_STATUS_BLOCKED;
    case CardStatus::kLost:
      return v1::CARD_STATUS_LOST;
    case CardStatus::kDeleted:
      return v1::CARD_STATUS_DELETED;
  }
  return v1::CARD_STATUS_UNSPECIFIED;
}

void ToProto(const Balance& balance, v1::Balance& out) {
  out.set_available(balance.available);
  out.set_active(balance.active);
  out.set_pending(balance.pending);
  out.set_held(balance.held);
}

void ToProto(const Card& card, v1::Card& out) {
  out.set_number(card.number);
  out.set_barcode(card.barcode);
  out.set_client_id(card.client_id);
  out.set_status(ToProto(card.status));
  out.set_account_id(card.account_id);
  ToProto(card.balance, *out.mutable_balance());
  *out.mutable_create_time() = ToProto(card.create_time);
}

IssueCardInput FromProto(const v1::IssueCardRequest& request) {
  return IssueCardInput{.client_id = request.client_id(),
                        .number = request.number(),
                        .request_id = request.request_id(),
                        .template_id = request.template_id()};
}

TransferKind FromProto(v1::TransferKind kind) {
  switch (kind) {
    case v1::TRANSFER_KIND_ACCRUAL:
      return TransferKind::kAccrual;
    case v1::TRANSFER_KIND_REDEMPTION:
      return TransferKind::kRedemption;
    case v1::TRANSFER_KIND_ACCRUAL_REVERSAL:
      return TransferKind::kAccrualReversal;
    case v1::TRANSFER_KIND_REDEMPTION_REVERSAL:
      return TransferKind::kRedemptionReversal;
    default:
      return TransferKind::kUnspecified;
  }
}

TransferSpec FromProto(const v1::TransferSpec& spec) {
  return TransferSpec{.transfer_id = spec.transfer_id(),
                      .kind = FromProto(spec.kind()),
                      .card_number = spec.card_number(),
                      .amount = spec.amount(),
                      .hold_id = spec.hold_id(),
                      .activate_time = FromProto(spec.has_activate_time(), spec.activate_time()),
                      .expire_time = FromProto(spec.has_expire_time(), spec.expire_time()),
                      .reference = spec.reference()};
}

void ToProto(const TransferResult& result, v1::TransferResult& out) {
  out.set_transfer_id(result.transfer_id);
  out.set_amount(result.amount);
  *out.mutable_create_time() = ToProto(result.create_time);
}

v1::HoldState ToProto(HoldState state) {
  switch (state) {
    case HoldState::kHeld:
      return v1::HOLD_STATE_HELD;
    case HoldState::kPosted:
      return v1::HOLD_STATE_POSTED;
    case HoldState::kVoided:
      return v1::HOLD_STATE_VOIDED;
    case HoldState::kExpired:
      return v1::HOLD_STATE_EXPIRED;
  }
  return v1::HOLD_STATE_UNSPECIFIED;
}

void ToProto(const Hold& hold, v1::Hold& out) {
  out.set_hold_id(hold.hold_id);
  out.set_card_number(hold.card_number);
  out.set_amount(hold.amount);
  out.set_state(ToProto(hold.state));
  *out.mutable_expire_time() = ToProto(hold.expire_time);
}

HoldRequest FromProto(const v1::HoldPointsRequest& request) {
  // Seconds beyond what absl::Duration holds would overflow; anything that
  // large is refused by validation anyway, so clamp.
  int64_t ttl = request.ttl_seconds();
  constexpr int64_t kClamp = std::numeric_limits<int32_t>::max();
  if (ttl > kClamp) ttl = kClamp;
  if (ttl < -kClamp) ttl = -kClamp;
  return HoldRequest{.hold_id = request.hold_id(),
                     .card_number = request.card_number(),
                     .amount = request.amount(),
                     .ttl = absl::Seconds(ttl)};
}

}  // namespace loyalty::cards
