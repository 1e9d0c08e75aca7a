#pragma once

// Gift certificates (CRD-8): money, in minor units, issued with a nominal
// and an expiry, spent at the till in one or two phases (hold, then post or
// void) and given back by refunds. Pure rules over plain values: request
// checks, fingerprints, the derived status and what may be spent. Storage
// applies them inside one transaction under the certificate's row lock.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/cards/domain/card.h"
#include "services/cards/domain/ledger.h"

namespace loyalty::cards {

// What a certificate's status says to the till. ACTIVE and BLOCKED are
// stored (set by people); EXPIRED and REDEEMED are derived when read, so
// they need no job to write them and a refund can make a REDEEMED
// certificate ACTIVE again. Mirrors loyalty.cards.v1.CertificateStatus.
enum class CertificateStatus {
  kUnspecified = 0,
  kActive = 1,
  kBlocked = 2,
  kExpired = 3,
  kRedeemed = 4,
};

// Stable names used in storage ("ACTIVE", ...).
absl::string_view CertificateStatusName(CertificateStatus status);
std::optional<CertificateStatus> ParseCertificateStatus(absl::string_view name);

// Movements of a certificate's money. Mirrors
// loyalty.cards.v1.CertificateOperationKind.
enum class CertificateOperationKind {
  kUnspecified = 0,
  kIssue = 1,       // +nominal, once, first
  kRedemption = 2,  // -amount: one step, or a posted hold
  kRefund = 3,      // +amount, of one redemption
};

absl::string_view CertificateOperationKindName(CertificateOperationKind kind);
std::optional<CertificateOperationKind> ParseCertificateOperationKind(absl::string_view name);

// A certificate as the till and the console see it.
struct Certificate {
  std::string number;
  int64_t nominal = 0;
  int64_t balance = 0;  // what is left: the sum of its operations
  int64_t held = 0;     // reserved by open (HELD, unexpired) holds
  CertificateStatus stored_status = CertificateStatus::kActive;
  std::string status_reason;
  std::optional<absl::Time> status_change_time;
  absl::Time expire_time;
  absl::Time create_time;
  std::string sold_store_id;
  std::string batch_id;
  std::string request_id;
  // As of when it was read (EffectiveCertificateStatus, AvailableAmount).
  CertificateStatus status = CertificateStatus::kActive;
  int64_t available = 0;
};

// BLOCKED wins; then EXPIRED (expiry reached); then REDEEMED (nothing
// left and nothing held); else ACTIVE.
CertificateStatus EffectiveCertificateStatus(const Certificate& certificate, absl::Time now);

// What can be spent now: the balance less open holds while the certificate
// is ACTIVE, else 0.
int64_t AvailableAmount(const Certificate& certificate, absl::Time now);

// FAILED_PRECONDITION unless `amount` can be spent now: naming `number`
// when the certificate is blocked, expired or redeemed, naming `amount`
// (with the available amount in the message) when it has too little.
absl::Status CheckSpendable(const Certificate& certificate, absl::Time now, int64_t amount);

// --- Requests ---------------------------------------------------------------

// The largest nominal or amount: far from int64 overflow in any sum.
inline constexpr int64_t kMaxCertificateAmount = kMaxAmount;
// Longest allowed validity: a certificate lives at most 10 years.
inline constexpr absl::Duration kMaxCertificateValidity = absl::Hours(24 * 366 * 10);

struct IssueCertificateInput {
  std::string number;      // empty: generate one
  int64_t nominal = 0;     // minor units
  absl::Time expire_time;  // required, in the future
  std::string store_id;    // the store that sold it (UUID) or empty
  std::string request_id;  // empty: not idempotent
};

// Checks every field against `now`, naming the first bad one (`number`,
// `nominal`, `expire_time`, `store_id`, `request_id`); lower-cases the
// store id.
absl::Status NormalizeIssueCertificate(IssueCertificateInput& input, absl::Time now);

// Digest of what an issue asks for (number given or not, nominal, expiry,
// store); a retry with the same request_id must match it.
std::string IssueCertificateFingerprint(const IssueCertificateInput& input);

struct CertificateBatchInput {
  std::string request_id;  // required: the batch id
  int count = 0;
  std::optional<CardNumberRange> range;  // nullopt: generated numbers
  int64_t nominal = 0;
  absl::Time expire_time;
  std::string store_id;
};

// As NormalizeCardBatch for the numbering (`request_id`, `count`,
// `number_range.first_number`, `store_id`), plus `nominal` and
// `expire_time`.
absl::Status NormalizeCertificateBatch(CertificateBatchInput& input, absl::Time now);

std::string CertificateBatchFingerprint(const CertificateBatchInput& input);

// Reserves `amount` of a certificate until `ttl` (0: the default) is up or
// the certificate expires, whichever is first.
struct CertificateHoldRequest {
  std::string hold_id;
  std::string number;
  int64_t amount = 0;
  absl::Duration ttl = absl::ZeroDuration();
  std::string store_id;   // the till's store, from the caller's credentials
  std::string reference;  // e.g. the receipt id
};

absl::Status ValidateCertificateHold(const CertificateHoldRequest& request);
std::string CertificateHoldFingerprint(const CertificateHoldRequest& request);

// When a hold taken at `now` on a certificate expiring at `certificate_expiry` ends.
absl::Time CertificateHoldExpiry(const CertificateHoldRequest& request, absl::Time now,
                                 absl::Time certificate_expiry);

// Posts a hold: spends `amount` of it (0: all of it; less releases the
// rest) as the REDEMPTION `request_id`.
struct PostCertificateHoldRequest {
  std::string request_id;
  std::string number;  // must be the hold's certificate
  std::string hold_id;
  int64_t amount = 0;
};

absl::Status ValidatePostCertificateHold(const PostCertificateHoldRequest& request);
std::string PostCertificateHoldFingerprint(const PostCertificateHoldRequest& request);

// The amount a post spends from a hold of `held`: FAILED_PRECONDITION
// naming `amount` when asked for more than the hold.
absl::StatusOr<int64_t> PostedAmount(const PostCertificateHoldRequest& request, int64_t held);

// A one-step redemption.
struct RedeemCertificateRequest {
  std::string request_id;
  std::string number;
  int64_t amount = 0;
  std::string store_id;
  std::string reference;
};

absl::Status ValidateRedeemCertificate(const RedeemCertificateRequest& request);
std::string RedeemCertificateFingerprint(const RedeemCertificateRequest& request);

// Gives back (part of) the REDEMPTION `redemption_id` to its certificate.
// Allowed whatever the certificate's status: it is the buyer's money
// coming back from a returned purchase.
struct RefundCertificateRequest {
  std::string request_id;
  std::string number;
  std::string redemption_id;
  int64_t amount = 0;
  std::string reason;
  std::string store_id;
};

absl::Status ValidateRefundCertificate(const RefundCertificateRequest& request);
std::string RefundCertificateFingerprint(const RefundCertificateRequest& request);

// FAILED_PRECONDITION naming `amount` when refunding `amount` would give
// back more than the redemption of `redeemed` took, `refunded` being what
// its earlier refunds gave back.
absl::Status CheckRefundable(int64_t redeemed, int64_t refunded, int64_t amount);

// BLOCKED <-> ACTIVE with a reason; the other statuses are derived, not set
// (INVALID_ARGUMENT naming `status`).
absl::Status ValidateCertificateStatusChange(CertificateStatus to, absl::string_view reason);

// What a money operation did.
struct CertificateOperation {
  std::string operation_id;
  CertificateOperationKind kind = CertificateOperationKind::kUnspecified;
  std::string number;
  int64_t amount = 0;  // signed: + into the certificate, - out of it
  int64_t balance_after = 0;
  std::string hold_id;    // REDEMPTION of a hold
  std::string refund_of;  // REFUND: the redemption's id
  std::string store_id;
  std::string reference;
  std::string reason;
  std::string actor;
  absl::Time create_time;
  bool replayed = false;  // an earlier application was returned
};

struct CertificateHold {
  std::string hold_id;
  std::string number;
  int64_t amount = 0;
  HoldState state = HoldState::kHeld;
  absl::Time expire_time;
  std::string posted_operation_id;
};

}  // namespace loyalty::cards
