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

std::optional<CardStatus> FromProto(v1::CardStatus status) {
  switch (status) {
    case v1::CARD_STATUS_ACTIVE:
      return CardStatus::kActive;
    case v1::CARD_STATUS_BLOCKED:
      return CardStatus::kBlocked;
    case v1::CARD_STATUS_LOST:
      return CardStatus::kLost;
    case v1::CARD_STATUS_DELETED:
      return CardStatus::kDeleted;
    default:
      return std::nullopt;
  }
}

v1::IssueForm ToProto(IssueForm form) {
  return form == IssueForm::kPlastic ? v1::ISSUE_FORM_PLASTIC : v1::ISSUE_FORM_VIRTUAL;
}

IssueForm FromProto(v1::IssueForm form) {
  return form == v1::ISSUE_FORM_PLASTIC ? IssueForm::kPlastic : IssueForm::kVirtual;
}

void ToProto(const Balance& balance, v1::Balance& out) {
  out.set_available(balance.available);
  out.set_active(balance.active);
  out.set_pending(balance.pending);
  out.set_held(balance.held);
  out.set_expiring_soon(balance.expiring_soon);
  out.set_debt(balance.debt);
  if (balance.next_expire_time)
    *out.mutable_next_expire_time() = ToProto(*balance.next_expire_time);
}

void ToProto(const StatusChange& change, v1::CardStatusChange& out) {
  out.set_from_status(ToProto(change.from));
  out.set_to_status(ToProto(change.to));
  out.set_reason(change.reason);
  out.set_actor(change.actor);
  *out.mutable_change_time() = ToProto(change.change_time);
}

CardBatchInput FromProto(const v1::IssueCardBatchRequest& request) {
  CardBatchInput input{.request_id = request.request_id(),
                       .count = request.count(),
                       .issue_form = FromProto(request.issue_form()),
                       .store_id = request.store_id()};
  if (request.has_number_range()) {
    input.range = CardNumberRange{
        .first_number = request.number_range().first_number(),
        .append_ean13_check_digit = request.number_range().append_ean13_check_digit()};
  }
  return input;
}

void ToProto(const Card& card, v1::Card& out) {
  out.set_number(card.number);
  out.set_barcode(card.barcode);
  out.set_client_id(card.client_id);
  out.set_status(ToProto(card.status));
  out.set_account_id(card.account_id);
  ToProto(card.balance, *out.mutable_balance());
  *out.mutable_create_time() = ToProto(card.create_time);
  out.set_status_reason(card.status_reason);
  for (const std::string& holder : card.holder_client_ids) out.add_holder_client_ids(holder);
  out.set_issue_form(ToProto(card.issue_form));
  out.set_issue_store_id(card.issue_store_id);
  out.set_batch_id(card.batch_id);
  if (card.status_change_time) {
    *out.mutable_status_change_time() = ToProto(*card.status_change_time);
  }
}

IssueCardInput FromProto(const v1::IssueCardRequest& request) {
  return IssueCardInput{.client_id = request.client_id(),
                        .number = request.number(),
                        .request_id = request.request_id(),
                        .issue_form = FromProto(request.issue_form()),
                        .store_id = request.store_id(),
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
    case v1::TRANSFER_KIND_EXPIRATION:
      return TransferKind::kExpiration;
    case v1::TRANSFER_KIND_CORRECTION_CREDIT:
      return TransferKind::kCorrectionCredit;
    case v1::TRANSFER_KIND_CORRECTION_DEBIT:
      return TransferKind::kCorrectionDebit;
    case v1::TRANSFER_KIND_MERGE:
      return TransferKind::kMerge;
    case v1::TRANSFER_KIND_POOL_JOIN:
      return TransferKind::kPoolJoin;
    case v1::TRANSFER_KIND_POOL_LEAVE:
      return TransferKind::kPoolLeave;
    default:
      return TransferKind::kUnspecified;
  }
}

v1::TransferKind ToProto(TransferKind kind) {
  // The domain enum mirrors the proto one value for value.
  return static_cast<v1::TransferKind>(kind);
}

void ToProto(const CardOperation& operation, v1::CardOperation& out) {
  out.set_transfer_id(operation.transfer_id);
  out.set_kind(ToProto(operation.kind));
  out.set_amount(operation.amount);
  out.set_balance_after(operation.balance_after);
  out.set_reference(operation.reference);
  out.set_reason(operation.reason);
  out.set_actor(operation.actor);
  out.set_hold_id(operation.hold_id);
  *out.mutable_create_time() = ToProto(operation.create_time);
}

void ToProto(const ExpiringPoints& points, v1::ExpiringPoints& out) {
  out.set_card_number(points.card_number);
  out.set_client_id(points.client_id);
  out.set_amount(points.amount);
  *out.mutable_first_expire_time() = ToProto(points.first_expire_time);
}

void ToProto(const PartnerSettlement& settlement, v1::PartnerSettlement& out) {
  *out.mutable_start_time() = ToProto(settlement.start_time);
  *out.mutable_end_time() = ToProto(settlement.end_time);
  for (const PartnerActivity& activity : settlement.activity) {
    v1::PartnerActivity& row = *out.add_activity();
    row.set_partner_id(activity.partner_id);
    row.set_accrued(activity.accrued);
    row.set_accrual_reversed(activity.accrual_reversed);
    row.set_redeemed(activity.redeemed);
    row.set_redemption_reversed(activity.redemption_reversed);
  }
  for (const PartnerFlow& flow : settlement.flows) {
    v1::PartnerFlow& row = *out.add_flows();
    row.set_issuer_partner_id(flow.issuer_partner_id);
    row.set_acceptor_partner_id(flow.acceptor_partner_id);
    row.set_redeemed(flow.redeemed);
    row.set_reversed(flow.reversed);
  }
  for (const PartnerNet& net : settlement.net) {
    v1::PartnerNet& row = *out.add_net();
    row.set_debtor_partner_id(net.debtor_partner_id);
    row.set_creditor_partner_id(net.creditor_partner_id);
    row.set_points(net.points);
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
                      .reference = spec.reference(),
                      .reason = spec.reason(),
                      .partner_id = spec.partner_id(),
                      .negative_floor = spec.negative_floor()};
}

void ToProto(const TransferResult& result, v1::TransferResult& out) {
  out.set_transfer_id(result.transfer_id);
  out.set_amount(result.amount);
  *out.mutable_create_time() = ToProto(result.create_time);
  out.set_amount_into_debt(result.into_debt);
  out.set_amount_repaying_debt(result.repaid_debt);
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
