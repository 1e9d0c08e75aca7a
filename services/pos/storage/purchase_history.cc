#include "services/pos/storage/purchase_history.h"

#include <pqxx/pqxx>

namespace loyalty::pos {

absl::StatusOr<bool> PgPurchaseHistory::HasConfirmedReceipt(const std::string& program_id,
                                                            const std::string& card_number) {
  bool found = false;
  // receipts_card_confirmed (migration 0006) answers from the index alone.
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    found = !tx.exec_params("SELECT 1 FROM receipts WHERE program_id = $1 AND card_number = $2"
                            " AND state = 'CONFIRMED' LIMIT 1",
                            program_id, card_number)
                 .empty();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return found;
}

}  // namespace loyalty::pos
