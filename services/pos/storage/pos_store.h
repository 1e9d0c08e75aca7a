#pragma once

// PostgreSQL storage of `pos` (schema `pos`): stores, settings, receipts,
// refunds.

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"
#include "services/pos/domain/receipt_engine.h"
#include "services/pos/domain/references.h"

namespace loyalty::generated {
std::span<const loyalty::pg::Migration> PosMigrations();
}

namespace loyalty::pos {

struct StorePage {
  std::vector<Store> stores;
  std::string next_page_token;
};

// Settings a program has before anyone changes them: no accrual, no
// redemption, a point worth one major unit.
PosSettings DefaultSettings();

class PosStore final : public ReceiptRepository {
 public:
  explicit PosStore(pg::Pool& pool) : pool_(pool) {}

  // Stores a new store (`store.store_id` is ignored) after checking that
  // the reference entries it names exist and are not archived
  // (INVALID_ARGUMENT naming `store.<field>`); emits StoreChanged. The same
  // `request_id` returns the first result.
  absl::StatusOr<Store> CreateStore(const std::string& program_id, const Store& store,
                                    const std::string& request_id);
  absl::StatusOr<Store> GetStore(const std::string& program_id, const std::string& store_id);
  // Reads the store, applies `change` and writes it back in one
  // transaction, with the checks of CreateStore for references that
  // changed; partner_id may not change. Emits StoreChanged.
  absl::StatusOr<Store> UpdateStore(const std::string& program_id, const std::string& store_id,
                                    const std::function<absl::Status(Store&)>& change);
  absl::StatusOr<StorePage> ListStores(const std::string& program_id, int page_size,
                                       const std::string& page_token, bool show_archived = false);
  // Reads, changes (with `change`) and writes the program's settings in one
  // transaction, so concurrent partial updates do not undo each other.
  absl::StatusOr<PosSettings> UpdateSettings(
      const std::string& program_id, const std::function<absl::Status(PosSettings&)>& change);
  absl::StatusOr<absl::Time> SettingsUpdateTime(const std::string& program_id);

  // ReceiptRepository
  absl::StatusOr<PosSettings> GetSettings(const std::string& program_id) override;
  absl::Status CheckStore(const std::string& program_id, const std::string& store_id) override;
  absl::StatusOr<std::optional<Receipt>> FindByNumber(const std::string& program_id,
                                                      const std::string& store_id,
                                                      const std::string& receipt_number) override;
  absl::StatusOr<Receipt> Get(const std::string& program_id,
                              const std::string& receipt_id) override;
  absl::Status BeginRecalculation(const std::string& program_id, const std::string& receipt_id,
                                  int32_t calculation) override;
  absl::Status SaveCalculation(const Receipt& receipt) override;
  absl::StatusOr<Receipt> BeginConfirm(const std::string& program_id,
                                       const std::string& bound_store_id,
                                       const std::string& receipt_id,
                                       const std::string& request_id) override;
  absl::Status RevertConfirm(const std::string& program_id, const std::string& receipt_id) override;
  absl::StatusOr<std::vector<ReceiptCertificate>> SendBack(const std::string& program_id,
                                                           const std::string& receipt_id,
                                                           int32_t calculation) override;
  absl::StatusOr<std::vector<ReceiptCertificate>> PendingReleases(
      const std::string& program_id, const std::string& receipt_id) override;
  absl::Status ForgetReleases(const std::string& program_id, const std::string& receipt_id,
                              const std::vector<ReceiptCertificate>& released) override;
  absl::StatusOr<Receipt> FinishConfirm(const std::string& program_id,
                                        const std::string& receipt_id,
                                        const Balance& balance) override;
  absl::StatusOr<Cancellation> Cancel(const std::string& program_id,
                                      const std::string& bound_store_id,
                                      const std::string& receipt_id) override;
  absl::StatusOr<Refund> BeginRefund(const std::string& program_id,
                                     const std::string& bound_store_id,
                                     const std::string& receipt_id, const std::string& request_id,
                                     const std::vector<RefundRequestLine>& lines) override;
  absl::StatusOr<Refund> GetRefund(const std::string& program_id,
                                   const std::string& refund_id) override;
  absl::StatusOr<Refund> FinishRefund(const std::string& program_id, const std::string& refund_id,
                                      int64_t points_reversed, int64_t points_into_negative,
                                      const Balance& balance) override;
  absl::StatusOr<std::vector<StalledWork>> ListStalled(absl::Duration age, int limit) override;

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::pos
