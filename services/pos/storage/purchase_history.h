#pragma once

// What the member bought before, as far as campaigns ask: whether a card
// has a confirmed receipt yet (the first-purchase condition).

#include <string>

#include "absl/status/statusor.h"
#include "libs/pg/pool.h"
#include "services/pos/domain/member_facts.h"

namespace loyalty::pos {

class PgPurchaseHistory final : public PurchaseHistory {
 public:
  explicit PgPurchaseHistory(pg::Pool& pool) : pool_(pool) {}

  absl::StatusOr<bool> HasConfirmedReceipt(const std::string& program_id,
                                           const std::string& card_number) override;

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::pos
