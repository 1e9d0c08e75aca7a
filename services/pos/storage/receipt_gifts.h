#pragma once

// The rows of `receipt_gifts` (migration 0011): the gifts of a receipt's
// current calculation, read and written inside PosStore's transactions.

#include <pqxx/pqxx>

#include "libs/pg/pool.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

// Replaces the receipt's gifts with `receipt.gifts`.
void SaveReceiptGifts(pg::Tx& tx, const Receipt& receipt);

// Selects the gifts of the receipt $1, in the order given, for
// ReadReceiptGifts (PosStore reads them in one batch with the rest of the
// receipt).
extern const char kSelectReceiptGifts[];

// Fills `receipt.gifts` from the rows of kSelectReceiptGifts.
void ReadReceiptGifts(const pqxx::result& rows, Receipt& receipt);

}  // namespace loyalty::pos
