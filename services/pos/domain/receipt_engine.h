#pragma once

// The receipt workflow: calculate (price, hold) -> confirm (post) | cancel
// (void), and refunds. Sequences the repository and the ledger so that any
// step can be retried after a fault with exactly one effect: the repository
// records intent (a recalculation, CONFIRMING, a PENDING refund) before the
// ledger is called, and ledger calls carry ids derived from stored ids.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/pos/domain/campaign_budgets.h"
#include "services/pos/domain/campaign_pricing.h"
#include "services/pos/domain/certificates.h"
#include "services/pos/domain/promo_codes.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

// Work a crash or an impatient till left half done.
struct StalledWork {
  // kCertificateRelease: a refused confirmation's certificate holds (see
  // ReceiptRepository::SendBack) not all released yet.
  enum class Kind { kConfirm, kRefund, kCertificateRelease };
  Kind kind = Kind::kConfirm;
  std::string program_id;
  std::string id;  // receipt id (kConfirm, kCertificateRelease) or refund id
};

class ReceiptRepository {
 public:
  virtual ~ReceiptRepository() = default;

  virtual absl::StatusOr<PosSettings> GetSettings(const std::string& program_id) = 0;
  // NOT_FOUND when the store is not one of the program's.
  virtual absl::Status CheckStore(const std::string& program_id, const std::string& store_id) = 0;
  virtual absl::StatusOr<std::optional<Receipt>> FindByNumber(
      const std::string& program_id, const std::string& store_id,
      const std::string& receipt_number) = 0;
  virtual absl::StatusOr<Receipt> Get(const std::string& program_id,
                                      const std::string& receipt_id) = 0;
  // Claims the next calculation of a receipt still CALCULATED at
  // `calculation` and clears its hold id and its certificates' hold ids, so
  // that no confirm can post the holds about to be replaced. ABORTED when the receipt changed meanwhile.
  virtual absl::Status BeginRecalculation(const std::string& program_id,
                                          const std::string& receipt_id, int32_t calculation) = 0;
  // Stores a new receipt (calculation == 1; ABORTED when another
  // calculation of the same number won) or the claimed calculation of an
  // existing one (ABORTED when it is no longer the current claim).
  virtual absl::Status SaveCalculation(const Receipt& receipt) = 0;
  // CALCULATED -> CONFIRMING under `request_id`; returns the receipt as
  // stored, possibly already CONFIRMING or CONFIRMED by an earlier attempt.
  // A non-empty `bound_store_id` hides other stores' receipts.
  virtual absl::StatusOr<Receipt> BeginConfirm(const std::string& program_id,
                                               const std::string& bound_store_id,
                                               const std::string& receipt_id,
                                               const std::string& request_id) = 0;
  // CONFIRMING -> CALCULATED, after the ledger refused the confirmation
  // outright (nothing was posted).
  virtual absl::Status RevertConfirm(const std::string& program_id,
                                     const std::string& receipt_id) = 0;
  // A confirmation refused after the receipt's certificates may have been
  // posted: in one transaction, CONFIRMING (at `calculation`) -> CALCULATED
  // with the next calculation claimed as by BeginRecalculation (the hold ids
  // cleared, so no confirm can post those holds again) and the
  // certificates' holds recorded as to be released. Returns every hold of
  // the receipt still to release; ABORTED when the receipt is no longer
  // CONFIRMING at `calculation` (another attempt finished it either way).
  virtual absl::StatusOr<std::vector<ReceiptCertificate>> SendBack(
      const std::string& program_id, const std::string& receipt_id, int32_t calculation) = 0;
  // The receipt's certificate holds still to release.
  virtual absl::StatusOr<std::vector<ReceiptCertificate>> PendingReleases(
      const std::string& program_id, const std::string& receipt_id) = 0;
  // Forgets the holds `released`, once ReleaseCertificateHolds is done.
  virtual absl::Status ForgetReleases(const std::string& program_id, const std::string& receipt_id,
                                      const std::vector<ReceiptCertificate>& released) = 0;
  // CONFIRMING -> CONFIRMED with the balance after, emitting the event.
  virtual absl::StatusOr<Receipt> FinishConfirm(const std::string& program_id,
                                                const std::string& receipt_id,
                                                const Balance& balance) = 0;
  // CALCULATED -> CANCELLED (idempotent). A CONFIRMED receipt instead gets
  // its cancel refund recorded PENDING (or the one already recorded
  // returned): a refund of everything earlier refunds left, with the
  // program's shortfall policy of that moment; the receipt stays CONFIRMED
  // until FinishRefund completes it. A cancelled receipt comes back with
  // its cancel refund, if it had one. FAILED_PRECONDITION naming
  // `receipt_id` when every line was already refunded, or while the
  // receipt is being confirmed.
  virtual absl::StatusOr<Cancellation> Cancel(const std::string& program_id,
                                              const std::string& bound_store_id,
                                              const std::string& receipt_id) = 0;
  // Plans and records a refund under `request_id` (or returns the one
  // already recorded under it), with the program's refund shortfall policy
  // of that moment.
  virtual absl::StatusOr<Refund> BeginRefund(const std::string& program_id,
                                             const std::string& bound_store_id,
                                             const std::string& receipt_id,
                                             const std::string& request_id,
                                             const std::vector<RefundRequestLine>& lines) = 0;
  virtual absl::StatusOr<Refund> GetRefund(const std::string& program_id,
                                           const std::string& refund_id) = 0;
  // PENDING -> DONE with what the ledger took back (points_into_negative
  // of it below zero) and the balance after, emitting the event; a cancel
  // refund also makes its receipt CANCELLED in the same transaction.
  virtual absl::StatusOr<Refund> FinishRefund(const std::string& program_id,
                                              const std::string& refund_id, int64_t points_reversed,
                                              int64_t points_into_negative,
                                              const Balance& balance) = 0;
  // Confirmations, refunds and certificate releases begun more than `age`
  // ago and not finished.
  virtual absl::StatusOr<std::vector<StalledWork>> ListStalled(absl::Duration age, int limit) = 0;
};

struct CalculateInput {
  std::string store_id;        // from the request
  std::string bound_store_id;  // from the credentials, if bound
  std::string receipt_number;
  std::string card_number;
  std::vector<LineInput> lines;
  int64_t points_to_spend = 0;
  std::vector<std::string> promo_codes;  // as entered
  std::vector<CertificateInput> certificates;
  // POS-6: a receipt an offline till took at this time. Campaigns and the
  // activation of earned points count from it instead of the clock.
  std::optional<absl::Time> taken_time;
  // The buyer already paid with these points at an offline till, so a spend
  // the card can no longer cover is reduced to what it can (and `messages`
  // says so) instead of refused.
  bool reduce_points_to_payable = false;
};

// What became of one receipt of an offline upload (POS-6).
enum class OfflineOutcome {
  kConfirmed = 1,        // priced as of its taken time and confirmed now
  kAlreadyRecorded = 2,  // the same sale was already confirmed: nothing done
  kFailed = 3,           // refused or not finished; `error` says why
};

struct OfflineResult {
  OfflineOutcome outcome = OfflineOutcome::kFailed;
  std::optional<Receipt> receipt;  // confirmed or already recorded
  // kFailed: the error, its field named under `receipts[i].`.
  absl::Status error;
};

class ReceiptEngine final {
 public:
  using Clock = std::function<absl::Time()>;

  // Without `campaigns` receipts are priced without campaigns; without
  // `budgets` campaign budgets are not enforced; without `promo_codes`
  // entered codes are reported UNCHECKED; without `certificates` offered
  // certificates are reported UNCHECKED and pay nothing.
  ReceiptEngine(ReceiptRepository& repository, Clock clock, ReceiptCampaigns* campaigns = nullptr,
                CampaignBudgets* budgets = nullptr, PromoCodes* promo_codes = nullptr,
                Certificates* certificates = nullptr)
      : repository_(repository),
        clock_(std::move(clock)),
        campaigns_(campaigns),
        budgets_(budgets),
        promo_codes_(promo_codes),
        certificates_(certificates) {}

  absl::StatusOr<Receipt> Calculate(const std::string& program_id, const CalculateInput& input,
                                    Ledger& ledger);
  absl::StatusOr<Receipt> Confirm(const std::string& program_id, const std::string& bound_store_id,
                                  const std::string& request_id, const std::string& receipt_id,
                                  Ledger& ledger);
  // POS-5: a calculated receipt is cancelled and its holds voided; a
  // confirmed one is undone by its cancel refund (see
  // ReceiptRepository::Cancel), finished here like any refund, so a retry
  // or the recovery task completes a cancel that stopped half-way.
  absl::StatusOr<Cancellation> Cancel(const std::string& program_id,
                                      const std::string& bound_store_id,
                                      const std::string& receipt_id, Ledger& ledger);
  absl::StatusOr<Refund> RefundReceipt(const std::string& program_id,
                                       const std::string& bound_store_id,
                                       const std::string& request_id, const std::string& receipt_id,
                                       const std::vector<RefundRequestLine>& lines, Ledger& ledger);
  // Finishes one stalled confirmation or refund, as a retry by the till
  // would.
  absl::Status Resume(const StalledWork& work, Ledger& ledger);

  // POS-6: records receipts an offline till took, each calculated as of its
  // `taken_time` and confirmed, one after the other (offline_upload.cc).
  // Whole-request errors (empty, too many, another store than the bound
  // one) fail the call; otherwise there is one result per receipt, in
  // order, and a receipt that fails never affects the others.
  absl::StatusOr<std::vector<OfflineResult>> UploadOffline(
      const std::string& program_id, const std::string& bound_store_id,
      const std::vector<CalculateInput>& receipts, Ledger& ledger);

 private:
  OfflineResult RecordOffline(const std::string& program_id, const std::string& bound_store_id,
                              CalculateInput input, Ledger& ledger);
  absl::StatusOr<Receipt> FinishConfirming(const Receipt& receipt, Ledger& ledger);
  absl::StatusOr<Refund> FinishRefunding(const std::string& program_id, const Refund& refund,
                                         Ledger& ledger);
  // Releases certificate holds SendBack recorded, then forgets them.
  absl::Status FinishReleases(const std::string& program_id, const std::string& receipt_id,
                              const std::vector<ReceiptCertificate>& releases);

  ReceiptRepository& repository_;
  Clock clock_;
  ReceiptCampaigns* campaigns_;
  CampaignBudgets* budgets_;
  PromoCodes* promo_codes_;
  Certificates* certificates_;
};

}  // namespace loyalty::pos
