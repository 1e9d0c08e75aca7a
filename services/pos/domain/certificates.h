#pragma once

// Gift certificates paying part of a receipt (POS-2, CRD-8): the port to
// `cards`' CertificatesService and the pure steps the receipt engine takes
// with it. Calculate holds what each certificate pays, after discounts and
// points; confirm posts the holds (before the points, so a lapsed hold
// sends the receipt back to be calculated with no point moved); cancel and
// a recalculation void them; a refund gives the certificates their share of
// the returned value back.
//
// Every call to `cards` is idempotent by an id derived from stored ids: a
// hold id `<receipt_id>:<calculation>:<random>:c<position>` made once and
// kept with the receipt (the random part keeps concurrent attempts at one
// calculation apart, as with points holds), the posting `<hold_id>:post`,
// its compensation `<hold_id>:undo`, and each refund's
// `<refund_id>:c<position>`.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

inline constexpr size_t kMaxCertificatesPerReceipt = 5;

// What pos needs from `cards`' CertificatesService, for one program.
class Certificates {
 public:
  virtual ~Certificates() = default;

  struct Info {
    enum class Status { kActive, kBlocked, kExpired, kRedeemed };
    Status status = Status::kActive;
    int64_t available = 0;  // spendable now (0 unless active)
    std::string status_reason;
  };
  // NOT_FOUND when the program has no such certificate.
  virtual absl::StatusOr<Info> Get(const std::string& program_id, const std::string& number) = 0;
  // FAILED_PRECONDITION (naming `number` or `amount`) when the certificate
  // cannot pay that much now.
  virtual absl::Status Hold(const std::string& program_id, const std::string& number,
                            const std::string& hold_id, int64_t amount,
                            const std::string& reference) = 0;
  // Spends the hold; idempotent by `request_id`. FAILED_PRECONDITION when
  // the hold lapsed or was voided, or the certificate was blocked.
  virtual absl::Status Post(const std::string& program_id, const std::string& number,
                            const std::string& hold_id, int64_t amount,
                            const std::string& request_id) = 0;
  // Idempotent.
  virtual absl::Status Void(const std::string& program_id, const std::string& number,
                            const std::string& hold_id) = 0;
  // Gives back part of a posting; idempotent by `request_id`. NOT_FOUND
  // when there is no such posting.
  virtual absl::Status Refund(const std::string& program_id, const std::string& number,
                              const std::string& redemption_id, int64_t amount,
                              const std::string& request_id) = 0;
};

struct CertificateInput {
  std::string number;
  int64_t amount = 0;  // 0: as much as possible
};

// At most kMaxCertificatesPerReceipt distinct numbers of 6..19 digits and
// non-negative amounts; errors name `certificates[i].number` / `.amount`.
absl::Status ValidateCertificates(const std::vector<CertificateInput>& certificates);

struct CertificateHoldInput {
  std::string program_id;
  std::string receipt_id;
  int32_t calculation = 1;
  int64_t amount_to_pay = 0;  // after discounts and points
  std::vector<CertificateInput> certificates;
};

// Checks each certificate in order and holds what it pays of what is still
// to pay. A certificate that cannot pay is an outcome with a reason (also
// added to `messages` for the cashier), not an error; `cards` unavailable
// (or no port) leaves the rest UNCHECKED.
std::vector<ReceiptCertificate> HoldCertificates(Certificates* port,
                                                 const CertificateHoldInput& input,
                                                 absl::FunctionRef<std::string()> random_suffix,
                                                 std::vector<std::string>& messages);

// What the receipt's certificates pay.
int64_t CertificatesAmount(const Receipt& receipt);

// Voids the holds of the receipt's applied certificates (cancel, a
// recalculation replacing them); repeating the call is safe.
absl::Status VoidCertificateHolds(Certificates* port, const Receipt& receipt);

// Best effort, for holds nothing will refer to (a calculation not saved):
// one left behind lapses by its time limit.
void VoidCertificateHoldsQuietly(Certificates* port, const std::string& program_id,
                                 const std::vector<ReceiptCertificate>& certificates);

// The operation id of a certificate's posting (refunds give back from it).
std::string CertificateRedemptionId(const ReceiptCertificate& certificate);

// Posts every applied certificate's hold (confirm). FAILED_PRECONDITION
// when one can no longer be posted: calculate again (undo what was posted
// them first). Other errors leave the outcome unknown; repeating is safe.
absl::Status PostCertificates(Certificates* port, const Receipt& receipt);

// Releases the holds a confirmation that cannot complete (a lapsed hold,
// the ledger refusing the points) left behind, so that the receipt can be
// calculated again: a hold never posted is voided first, which also stops
// a late retry of the confirmation from posting it; a posted one has its
// posting given back in full. Repeating the call is safe.
absl::Status ReleaseCertificateHolds(Certificates* port, const std::string& program_id,
                                     const std::vector<ReceiptCertificate>& holds);

// The certificates' share of a refund, after PlanRefund updated the lines'
// refunded quantities: each certificate gets back what it paid times the
// share of the receipt's paid value returned so far (rounded down; all of
// it once every line is back), less what earlier refunds gave it. Updates
// their `refunded`.
std::vector<RefundedCertificate> PlanCertificateRefund(
    const std::vector<PricedLine>& lines, int64_t point_value,
    std::vector<ReceiptCertificate>& certificates);

// Gives the refund's certificate shares back; repeating the call is safe.
absl::Status RefundCertificates(Certificates* port, const std::string& program_id,
                                const Refund& refund);

}  // namespace loyalty::pos
