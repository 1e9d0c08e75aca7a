#pragma once

// The events pos publishes about receipts (POS-7): what analytics,
// segmentation and levels read of a confirmed receipt or a refund. Built
// from the domain objects in the transaction that changes their state.

#include "loyalty/pos/v1/events.pb.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

// A receipt just CONFIRMED (its confirm_time set): lines with their
// discounts and points, the campaign rules that priced it, its gifts and
// the certificates that paid and the campaign actions that became due
// with it.
v1::ReceiptConfirmed ReceiptConfirmedEvent(const Receipt& receipt);

// What a post-confirm action does and which rule gave it, into the
// receipt's ReceiptAction (pos_api) or the event's CampaignActionFact: the
// two carry the same fields under the same names.
template <typename ActionMessage>
void SetActionParameters(const ReceiptAction& action, ActionMessage& out) {
  switch (action.kind) {
    case ActionKind::kIssuePromoCode:
      out.set_pool_id(action.target);
      break;
    case ActionKind::kSetAttribute:
      out.set_attribute_key(action.target);
      out.set_attribute_value(action.value);
      break;
    case ActionKind::kAddTag:
      out.set_tag(action.target);
      break;
  }
  out.set_campaign_id(action.campaign_id);
  out.set_campaign_version(action.campaign_version);
  out.set_rule_id(action.rule_id);
}

// A refund just DONE, with the earned points actually taken back and the
// certificates paid back; a cancel refund says the receipt is CANCELLED.
v1::ReceiptRefunded ReceiptRefundedEvent(const Refund& refund, absl::Time refund_time);

}  // namespace loyalty::pos
