#include "services/pos/storage/receipt_promo_codes.h"

#include <pqxx/pqxx>

namespace loyalty::pos {

void SaveReceiptPromoCodes(pg::Tx& tx, const Receipt& receipt) {
  // A first calculation has no codes to replace.
  if (receipt.calculation > 1) {
    tx.exec_params("DELETE FROM receipt_promo_codes WHERE receipt_id = $1", receipt.receipt_id);
  }
  for (size_t position = 0; position < receipt.promo_codes.size(); ++position) {
    const ReceiptPromoCode& code = receipt.promo_codes[position];
    tx.exec_params(
        "INSERT INTO receipt_promo_codes (receipt_id, position, code, outcome, campaign_id,"
        " reason, reservation_id, pool_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        receipt.receipt_id, static_cast<int>(position), code.code, static_cast<int>(code.outcome),
        code.campaign_id, code.reason, code.reservation_id, code.pool_id);
  }
}

const char kSelectReceiptPromoCodes[] =
    "SELECT code, outcome, campaign_id, reason, reservation_id, pool_id"
    " FROM receipt_promo_codes WHERE receipt_id = $1 ORDER BY position";

void ReadReceiptPromoCodes(const pqxx::result& rows, Receipt& receipt) {
  receipt.promo_codes.clear();
  for (const auto& row : rows) {
    receipt.promo_codes.push_back(
        ReceiptPromoCode{.code = row[0].as<std::string>(),
                         .outcome = static_cast<PromoCodeOutcome>(row[1].as<int>()),
                         .campaign_id = row[2].as<std::string>(),
                         .reason = row[3].as<std::string>(),
                         .reservation_id = row[4].as<std::string>(),
                         .pool_id = row[5].as<std::string>()});
  }
}

}  // namespace loyalty::pos
