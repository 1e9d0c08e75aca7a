#pragma once

// The receipt workflow: calculate (price, hold) -> confirm (post) | cancel
// (void), and refunds. Sequences the repository and the ledger so that any
// step can be retried after a fault with exactly one effect: ledger calls
// carry ids derived from the receipt or refund, and the repository records
// intent (CONFIRMING, PENDING) before the ledger is called.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

class ReceiptRepository {
 public:
  virtual ~ReceiptRepository() = default;

  virtual absl::StatusOr<PosSettings> GetSettings(const std::string& program_id) = 0;
  // NOT_FOUND when the store is not one of the program's.
  virtual absl::Status CheckStore(const std::string& program_id,
                                  const std::string& store_id) = 0;
  virtual absl::StatusOr<std::optional<Receipt>> FindByNumber(
      const std::string& program_id, const std::string& store_id,
      const std::string& receipt_number) = 0;
  virtual absl::StatusOr<Receipt> Get(const std::string& program_id,
                                      const std::string& receipt_id) = 0;
  // Stores a new calculation (calculation == 1) or replaces the one before
  // it (calculation - 1) of a receipt still CALCULATED; ABORTED when the
  // receipt changed meanwhile.
  virtual absl::Status SaveCalculation(const Receipt& receipt) = 0;
  // CALCULATED -> CONFIRMING under `request_id`; returns the receipt as
  // stored, possibly already CONFIRMING or CONFIRMED by an earlier attempt.
  virtual absl::StatusOr<Receipt> BeginConfirm(const std::string& program_id,
                                               const std::string& receipt_id,
                                               const std::string& request_id) = 0;
  // CONFIRMING -> CONFIRMED with the balance after, emitting the event.
  virtual absl::StatusOr<Receipt> FinishConfirm(const std::string& program_id,
                                                const std::string& receipt_id,
                                                const Balance& balance) = 0;
  // CALCULATED -> CANCELLED (idempotent).
  virtual absl::StatusOr<Receipt> Cancel(const std::string& program_id,
                                         const std::string& receipt_id) = 0;
  // Plans and records a refund under `request_id` (or returns the one
  // already recorded under it).
  virtual absl::StatusOr<Refund> BeginRefund(const std::string& program_id,
                                             const std::string& receipt_id,
                                             const std::string& request_id,
                                             const std::vector<RefundRequestLine>& lines) = 0;
  virtual absl::StatusOr<Refund> FinishRefund(const std::string& program_id,
                                              const std::string& refund_id,
                                              int64_t points_reversed,
                                              const Balance& balance) = 0;
};

struct CalculateInput {
  std::string store_id;        // from the request
  std::string bound_store_id;  // from the credentials, if bound
  std::string receipt_number;
  std::string card_number;
  std::vector<LineInput> lines;
  int64_t points_to_spend = 0;
};

class ReceiptEngine final {
 public:
  using Clock = std::function<absl::Time()>;

  ReceiptEngine(ReceiptRepository& repository, Clock clock)
      : repository_(repository), clock_(std::move(clock)) {}

  absl::StatusOr<Receipt> Calculate(const std::string& program_id,
                                    const CalculateInput& input, Ledger& ledger);
  absl::StatusOr<Receipt> Confirm(const std::string& program_id,
                                  const std::string& request_id,
                                  const std::string& receipt_id, Ledger& ledger);
  absl::StatusOr<Receipt> Cancel(const std::string& program_id,
                                 const std::string& receipt_id, Ledger& ledger);
  absl::StatusOr<Refund> RefundReceipt(const std::string& program_id,
                                const std::string& request_id,
                                const std::string& receipt_id,
                                const std::vector<RefundRequestLine>& lines, Ledger& ledger);

 private:
  ReceiptRepository& repository_;
  Clock clock_;
};

}  // namespace loyalty::pos
