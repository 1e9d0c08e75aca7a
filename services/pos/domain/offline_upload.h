#pragma once

// POS-6: the rules of an offline upload that need no repository or ledger:
// the batch limits, how old a receipt may be, and what makes a stored
// receipt "the same sale" as an uploaded one. The upload itself is
// ReceiptEngine::UploadOffline (offline_upload.cc).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/pos/domain/receipt.h"
#include "services/pos/domain/receipt_engine.h"

namespace loyalty::pos {

// Receipts per upload: an offline day of a busy till fits in a few batches,
// and one call stays well inside the gateway's body limit and deadline.
inline constexpr int kMaxOfflineReceipts = 500;
// How far a till's clock may run ahead of ours.
inline constexpr absl::Duration kOfflineClockSkew = absl::Minutes(5);
// Older receipts are refused: campaigns and settings of that time are long
// gone from the snapshot, and refunds of them will already have happened.
inline constexpr absl::Duration kOfflineMaxAge = absl::Hours(24 * 30);

// Whole-request checks: 1..kMaxOfflineReceipts receipts, and store-bound
// credentials upload for their own store only (PERMISSION_DENIED naming
// `receipts[i].store_id`).
absl::Status CheckOfflineBatch(const std::vector<CalculateInput>& receipts,
                               const std::string& bound_store_id);

// `taken_time` present, not after `now` plus the skew, not older than the
// maximum age. Errors name `taken_time`.
absl::Status CheckTakenTime(const std::optional<absl::Time>& taken_time, absl::Time now);

// Whether `stored` records the sale of `card_number` and `lines` (as
// priced by PriceLines): same card, same lines (number, sku, quantity,
// price, amount). Points, promo codes and times may differ: they are what
// the server decided, not what the till sold.
bool SameSale(const Receipt& stored, const std::string& card_number,
              const std::vector<PricedLine>& lines);

// `status` with the field it names put under `receipts[index].`
// (`receipts[3].lines[1].quantity`); a status naming no field names
// `receipts[index]`.
absl::Status UnderReceipt(int index, const absl::Status& status);

}  // namespace loyalty::pos
