#pragma once

// The rows of `receipt_promo_codes` (migration 0007): the promo codes of a
// receipt's current calculation, read and written inside PosStore's
// transactions.

#include <pqxx/pqxx>

#include "libs/pg/pool.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

// Replaces the receipt's codes with `receipt.promo_codes`.
void SaveReceiptPromoCodes(pg::Tx& tx, const Receipt& receipt);

// Selects the codes of the receipt $1, in the order entered, for
// ReadReceiptPromoCodes (PosStore reads them in one batch with the rest of
// the receipt).
extern const char kSelectReceiptPromoCodes[];

// Fills `receipt.promo_codes` from the rows of kSelectReceiptPromoCodes.
void ReadReceiptPromoCodes(const pqxx::result& rows, Receipt& receipt);

}  // namespace loyalty::pos
