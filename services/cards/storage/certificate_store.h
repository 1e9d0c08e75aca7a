#pragma once

// Gift certificates in PostgreSQL (tables of migrations/0006). Every public
// call is one database transaction; the rules in domain/certificate.h
// decide, this class reads their inputs and writes their outcome.
//
// Concurrency: every call that moves money or places a hold first locks
// the certificate's row (FOR NO KEY UPDATE), so calls on one certificate
// run one after the other and each sees the others' operations and holds.
// A certificate's stored balance is kept equal to the sum of its
// operations (append-only rows) under that lock; CHECKs keep it within
// 0..nominal whatever the code does.
//
// Idempotency: money operations carry the caller's `request_id`, which
// becomes the operation id. The same id with the same content returns the
// first operation (replayed) and changes nothing; with other content
// ALREADY_EXISTS naming `request_id`. Holds are idempotent by `hold_id`
// the same way, issues by `request_id`, batches by their `request_id`.
//
// Another program's certificate, hold or operation is NOT_FOUND, named by
// the request field (`number`, `hold_id`, `redemption_id`).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/certificate.h"
#include "services/cards/domain/clock.h"

namespace loyalty::cards {

struct CertificateBatch {
  std::string batch_id;
  std::vector<std::string> numbers;  // number order
  bool replayed = false;
};

// A money operation and the certificate right after it (for a replay: as
// it is now).
struct CertificateOperationResult {
  CertificateOperation operation;
  Certificate certificate;
  std::string fingerprint;  // of the request, while it is being applied
};

struct CertificateOperationsPage {
  std::vector<CertificateOperation> operations;  // newest first
  std::string next_page_token;
};

class CertificateStore final {
 public:
  // Generated numbers that are taken are redrawn this many times in all.
  static constexpr int kMaxNumberAttempts = 8;

  CertificateStore(pg::Pool& pool, const Clock& clock, CardNumberGenerator& numbers)
      : pool_(pool), clock_(clock), numbers_(numbers) {}

  // Issues one certificate (its ISSUE operation of the nominal, a
  // CertificateIssued event). A given number the program already uses:
  // ALREADY_EXISTS naming `number`; without one, draws one.
  absl::StatusOr<Certificate> Issue(absl::string_view program_id, IssueCertificateInput input,
                                    absl::string_view actor);

  // Issues `count` certificates in one transaction (all or none), from a
  // number range (overlapping existing numbers: ALREADY_EXISTS naming
  // `number_range.first_number`, nothing issued) or generated.
  absl::StatusOr<CertificateBatch> IssueBatch(absl::string_view program_id,
                                              CertificateBatchInput input, absl::string_view actor);

  absl::StatusOr<Certificate> Get(absl::string_view program_id, absl::string_view number);

  // Blocks (or unblocks: ACTIVE) a certificate with a reason. Blocked
  // certificates take no holds, redemptions or postings; refunds still
  // reach them. The same status again changes nothing.
  absl::StatusOr<Certificate> SetStatus(absl::string_view program_id, absl::string_view number,
                                        CertificateStatus status, absl::string_view reason,
                                        absl::string_view actor);

  // Reserves an amount for a receipt being calculated. Refused when the
  // certificate is blocked or expired (naming `number`) or the amount
  // exceeds what is available (naming `amount`, saying how much is).
  absl::StatusOr<CertificateHold> Hold(absl::string_view program_id,
                                       const CertificateHoldRequest& request);

  // Spends (part of) a HELD hold as a REDEMPTION; the rest is released.
  // A hold posted, voided or expired: FAILED_PRECONDITION naming `hold_id`.
  absl::StatusOr<CertificateOperationResult> PostHold(absl::string_view program_id,
                                                      const PostCertificateHoldRequest& request,
                                                      absl::string_view actor);

  // Releases a HELD hold (VOIDED; EXPIRED if its time was up). Idempotent;
  // a POSTED hold: FAILED_PRECONDITION naming `hold_id`.
  absl::StatusOr<CertificateHold> VoidHold(absl::string_view program_id, absl::string_view number,
                                           absl::string_view hold_id);

  // A one-step redemption, refused as Hold is.
  absl::StatusOr<CertificateOperationResult> Redeem(absl::string_view program_id,
                                                    const RedeemCertificateRequest& request,
                                                    absl::string_view actor);

  // Gives back up to what a redemption of this certificate took, less its
  // earlier refunds (more: FAILED_PRECONDITION naming `amount`).
  absl::StatusOr<CertificateOperationResult> Refund(absl::string_view program_id,
                                                    const RefundCertificateRequest& request,
                                                    absl::string_view actor);

  // A certificate's operations, newest first.
  absl::StatusOr<CertificateOperationsPage> ListOperations(absl::string_view program_id,
                                                           absl::string_view number, int page_size,
                                                           absl::string_view page_token);

 private:
  // One money operation in one transaction: locks certificate `number`,
  // answers a replay of `request_id` (or ALREADY_EXISTS for other content),
  // else runs `apply` under the lock; then reads the certificate afresh.
  absl::StatusOr<CertificateOperationResult> RunOperation(
      absl::string_view program_id, absl::string_view number, absl::string_view request_id,
      const std::string& fingerprint,
      absl::FunctionRef<absl::Status(pg::Tx&, CertificateOperationResult&, absl::Time)> apply);

  pg::Pool& pool_;
  const Clock& clock_;
  CardNumberGenerator& numbers_;
};

}  // namespace loyalty::cards
