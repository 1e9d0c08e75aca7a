#include "services/pos/storage/receipt_events.h"

#include "libs/rpc/proto_convert.h"
#include "services/pos/domain/campaign_actions.h"

namespace loyalty::pos {

v1::ReceiptConfirmed ReceiptConfirmedEvent(const Receipt& receipt) {
  v1::ReceiptConfirmed event;
  event.set_receipt_id(receipt.receipt_id);
  event.set_store_id(receipt.store_id);
  event.set_partner_id(receipt.partner_id);
  event.set_receipt_number(receipt.receipt_number);
  event.set_card_number(receipt.card_number);
  event.set_total_amount(receipt.total_amount);
  int64_t discount = 0;
  for (const PricedLine& line : receipt.lines) {
    discount += line.discount;
    v1::ReceiptLineFact* fact = event.add_lines();
    fact->set_line_number(line.line_number);
    fact->set_sku(line.sku);
    fact->set_category(line.category);
    fact->set_quantity_milli(line.quantity_milli);
    fact->set_price(line.price);
    fact->set_amount(line.amount);
    fact->set_discount(line.discount);
    fact->set_points_spent(line.points_spent);
    fact->set_points_earned(line.points_earned);
  }
  event.set_total_discount(discount);
  event.set_points_spent(receipt.points_spent);
  event.set_points_earned(receipt.points_earned);
  for (const AppliedRule& rule : receipt.applied_campaigns) {
    v1::AppliedCampaignFact* fact = event.add_applied_campaigns();
    fact->set_campaign_id(rule.campaign_id);
    fact->set_campaign_version(rule.campaign_version);
    fact->set_rule_id(rule.rule_id);
    fact->set_discount(rule.discount);
    fact->set_bonus_points(rule.bonus_points);
    for (const AppliedRule::Line& line : rule.lines) fact->add_line_numbers(line.line_number);
  }
  for (const ReceiptGift& gift : receipt.gifts) {
    v1::GiftFact* fact = event.add_gifts();
    fact->set_sku(gift.sku);
    fact->set_in_catalogue(gift.in_catalogue);
    fact->set_quantity_milli(gift.quantity_milli);
    fact->set_price(gift.price);
    fact->set_campaign_id(gift.campaign_id);
    fact->set_campaign_version(gift.campaign_version);
    fact->set_rule_id(gift.rule_id);
  }
  for (const ReceiptCertificate& certificate : receipt.certificates) {
    // Only an applied certificate paid; the others are outcomes for the
    // cashier, not money.
    if (certificate.outcome != CertificateOutcome::kApplied || certificate.amount == 0) continue;
    v1::CertificateFact* fact = event.add_certificates();
    fact->set_number(certificate.number);
    fact->set_amount(certificate.amount);
  }
  for (const ReceiptAction& action : receipt.actions) {
    if (action.state != ActionState::kDue) continue;
    v1::CampaignActionFact* fact = event.add_actions();
    fact->set_kind(ActionKindName(action.kind));
    SetActionParameters(action, *fact);
    fact->set_client_id(action.client_id);
  }
  if (receipt.confirm_time) rpc::SetTimestamp(*receipt.confirm_time, event.mutable_confirm_time());
  if (receipt.taken_time) {
    event.set_offline(true);
    rpc::SetTimestamp(*receipt.taken_time, event.mutable_taken_time());
  }
  return event;
}

v1::ReceiptRefunded ReceiptRefundedEvent(const Refund& refund, absl::Time refund_time) {
  v1::ReceiptRefunded event;
  event.set_refund_id(refund.refund_id);
  event.set_receipt_id(refund.receipt_id);
  event.set_store_id(refund.store_id);
  event.set_partner_id(refund.partner_id);
  event.set_card_number(refund.card_number);
  event.set_amount(refund.plan.amount);
  event.set_points_reversed(refund.points_reversed);
  event.set_points_returned(refund.plan.points_to_return);
  event.set_points_to_reverse(refund.plan.points_to_reverse);
  event.set_points_into_negative(refund.points_into_negative);
  event.set_points_forgiven(refund.points_forgiven());
  event.set_shortfall_policy(std::string(RefundShortfallPolicyName(refund.shortfall_policy)));
  for (const RefundLineResult& line : refund.plan.lines) {
    v1::RefundedLineFact* fact = event.add_lines();
    fact->set_line_number(line.line_number);
    fact->set_quantity_milli(line.quantity_milli);
    fact->set_amount(line.amount);
    fact->set_points_earned(line.points_earned);
    fact->set_points_spent(line.points_spent);
  }
  for (const RefundedCertificate& share : refund.certificates) {
    v1::CertificateFact* fact = event.add_certificates();
    fact->set_number(share.number);
    fact->set_amount(share.amount);
  }
  event.set_receipt_cancelled(refund.cancels_receipt);
  rpc::SetTimestamp(refund_time, event.mutable_refund_time());
  return event;
}

}  // namespace loyalty::pos
