#pragma once

// The sales read model of `analytics`: facts taken from pos's events and the
// period a summary covers. Pure logic, no I/O.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace loyalty::analytics {

// A confirmed receipt (loyalty.pos.v1.ReceiptConfirmed).
struct SaleFact {
  std::string event_id;
  std::string program_id;
  std::string receipt_id;
  std::string store_id;
  absl::Time confirm_time;
  int64_t total_amount = 0;    // line amounts before discounts
  int64_t total_discount = 0;
  int64_t points_earned = 0;
  int64_t points_spent = 0;
};

// A (partial) refund (loyalty.pos.v1.ReceiptRefunded).
struct RefundFact {
  std::string event_id;
  std::string program_id;
  std::string refund_id;
  std::string receipt_id;
  std::string store_id;
  absl::Time refund_time;
  int64_t amount = 0;  // returned value, after discounts
  int64_t points_reversed = 0;
  int64_t points_returned = 0;
  // POS-5: the receipt's cancel refund (ReceiptRefunded.receipt_cancelled):
  // the sale did not happen, so it stops counting altogether.
  bool cancels_sale = false;
};

// What GetSalesSummary adds up: facts with start <= time < end (start
// unset: from the beginning), of one store or (empty store_id) all.
struct SummaryQuery {
  std::optional<absl::Time> start;
  absl::Time end;
  std::string store_id;  // lower-case UUID or empty
};

struct SalesSummary {
  int64_t receipts = 0;
  int64_t revenue = 0;  // sum of (total_amount - total_discount)
  int64_t refunded = 0;
  int64_t points_earned = 0;
  int64_t points_spent = 0;
};

// Builds a query from a request: an unset end means `now`; an explicit end
// before the start is InvalidArgument naming `end_time` (an unset end with
// a start still in the future is an empty period, not an error); a store id
// must be a UUID (`store_id`).
absl::StatusOr<SummaryQuery> MakeSummaryQuery(std::optional<absl::Time> start,
                                              std::optional<absl::Time> end,
                                              const std::string& store_id, absl::Time now);

}  // namespace loyalty::analytics
