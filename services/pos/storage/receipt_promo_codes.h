#pragma once

// The rows of `receipt_promo_codes` (migration 0007): the promo codes of a
// receipt's current calculation, read and written inside PosStore's
// transactions.

#include "libs/pg/pool.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

// Replaces the receipt's codes with `receipt.promo_codes`.
void SaveReceiptPromoCodes(pg::Tx& tx, const Receipt& receipt);

// Fills `receipt.promo_codes`, in the order entered.
void LoadReceiptPromoCodes(pg::Tx& tx, Receipt& receipt);

}  // namespace loyalty::pos
