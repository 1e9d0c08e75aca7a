#pragma once

// The rows of `receipt_gifts` (migration 0011): the gifts of a receipt's
// current calculation, read and written inside PosStore's transactions.

#include "libs/pg/pool.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

// Replaces the receipt's gifts with `receipt.gifts`.
void SaveReceiptGifts(pg::Tx& tx, const Receipt& receipt);

// Fills `receipt.gifts`, in the order given.
void LoadReceiptGifts(pg::Tx& tx, Receipt& receipt);

}  // namespace loyalty::pos
