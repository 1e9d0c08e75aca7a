#pragma once

// The events pos publishes about receipts (POS-7): what analytics,
// segmentation and levels read of a confirmed receipt or a refund. Built
// from the domain objects in the transaction that changes their state.

#include "loyalty/pos/v1/events.pb.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

// A receipt just CONFIRMED (its confirm_time set): lines with their
// discounts and points, the campaign rules that priced it, its gifts and
// the certificates that paid.
v1::ReceiptConfirmed ReceiptConfirmedEvent(const Receipt& receipt);

// A refund just DONE, with the earned points actually taken back and the
// certificates paid back; a cancel refund says the receipt is CANCELLED.
v1::ReceiptRefunded ReceiptRefundedEvent(const Refund& refund, absl::Time refund_time);

}  // namespace loyalty::pos
