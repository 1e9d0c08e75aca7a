#include "services/cards/domain/certificate.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "services/cards/domain/definition.h"
#include "services/cards/domain/fingerprint.h"

namespace loyalty::cards {
namespace {

absl::Status ValidateId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return InvalidField(field, "required");
  if (id.size() > kMaxIdLength) {
    return InvalidField(field, absl::StrCat("at most ", kMaxIdLength, " characters"));
  }
  return ValidateNoControlCharacters(field, id);
}

absl::Status ValidateAmount(absl::string_view field, int64_t amount) {
  if (amount <= 0) return InvalidField(field, "must be positive (minor units)");
  if (amount > kMaxCertificateAmount) {
    return InvalidField(field, absl::StrCat("at most ", kMaxCertificateAmount));
  }
  return absl::OkStatus();
}

absl::Status ValidateText(absl::string_view field, absl::string_view text, size_t max) {
  if (text.size() > max) return InvalidField(field, absl::StrCat("at most ", max, " characters"));
  return ValidateNoControlCharacters(field, text);
}

absl::Status ValidateExpiry(absl::Time expire_time, absl::Time now) {
  if (expire_time == absl::Time()) return InvalidField("expire_time", "required");
  if (expire_time <= now) return InvalidField("expire_time", "must be in the future");
  if (expire_time - now > kMaxCertificateValidity) {
    return InvalidField("expire_time", "at most 10 years ahead");
  }
  return absl::OkStatus();
}

int64_t Micros(absl::Time time) { return absl::ToUnixMicros(time); }

}  // namespace

absl::string_view CertificateStatusName(CertificateStatus status) {
  switch (status) {
    case CertificateStatus::kUnspecified:
      return "UNSPECIFIED";
    case CertificateStatus::kActive:
      return "ACTIVE";
    case CertificateStatus::kBlocked:
      return "BLOCKED";
    case CertificateStatus::kExpired:
      return "EXPIRED";
    case CertificateStatus::kRedeemed:
      return "REDEEMED";
  }
  return "UNSPECIFIED";
}

std::optional<CertificateStatus> ParseCertificateStatus(absl::string_view name) {
  return EnumByName(name,
                    {CertificateStatus::kActive, CertificateStatus::kBlocked,
                     CertificateStatus::kExpired, CertificateStatus::kRedeemed},
                    &CertificateStatusName);
}

absl::string_view CertificateOperationKindName(CertificateOperationKind kind) {
  switch (kind) {
    case CertificateOperationKind::kUnspecified:
      return "UNSPECIFIED";
    case CertificateOperationKind::kIssue:
      return "ISSUE";
    case CertificateOperationKind::kRedemption:
      return "REDEMPTION";
    case CertificateOperationKind::kRefund:
      return "REFUND";
  }
  return "UNSPECIFIED";
}

std::optional<CertificateOperationKind> ParseCertificateOperationKind(absl::string_view name) {
  return EnumByName(name,
                    {CertificateOperationKind::kIssue, CertificateOperationKind::kRedemption,
                     CertificateOperationKind::kRefund},
                    &CertificateOperationKindName);
}

CertificateStatus EffectiveCertificateStatus(const Certificate& certificate, absl::Time now) {
  if (certificate.stored_status == CertificateStatus::kBlocked) return CertificateStatus::kBlocked;
  if (certificate.expire_time <= now) return CertificateStatus::kExpired;
  if (certificate.balance == 0 && certificate.held == 0) return CertificateStatus::kRedeemed;
  return CertificateStatus::kActive;
}

int64_t AvailableAmount(const Certificate& certificate, absl::Time now) {
  if (EffectiveCertificateStatus(certificate, now) != CertificateStatus::kActive) return 0;
  return std::max<int64_t>(0, certificate.balance - certificate.held);
}

absl::Status CheckSpendable(const Certificate& certificate, absl::Time now, int64_t amount) {
  const CertificateStatus status = EffectiveCertificateStatus(certificate, now);
  switch (status) {
    case CertificateStatus::kBlocked:
      return FieldError(
          absl::StatusCode::kFailedPrecondition, "number",
          absl::StrCat("the certificate is blocked", certificate.status_reason.empty() ? "" : ": ",
                       certificate.status_reason));
    case CertificateStatus::kExpired:
      return FieldError(absl::StatusCode::kFailedPrecondition, "number",
                        absl::StrCat("the certificate expired at ",
                                     absl::FormatTime(absl::RFC3339_sec, certificate.expire_time,
                                                      absl::UTCTimeZone())));
    default:
      break;
  }
  const int64_t available = AvailableAmount(certificate, now);
  if (amount > available) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "amount",
                      absl::StrCat("exceeds the available amount ", available));
  }
  return absl::OkStatus();
}

absl::Status NormalizeIssueCertificate(IssueCertificateInput& input, absl::Time now) {
  if (!input.number.empty()) {
    if (absl::Status status = ValidateCardNumber(input.number); !status.ok()) return status;
  }
  if (absl::Status status = ValidateAmount("nominal", input.nominal); !status.ok()) return status;
  if (absl::Status status = ValidateExpiry(input.expire_time, now); !status.ok()) return status;
  if (absl::Status status = NormalizeUuid("store_id", input.store_id, /*optional=*/true);
      !status.ok()) {
    return status;
  }
  return ValidateRequestId(input.request_id);
}

std::string IssueCertificateFingerprint(const IssueCertificateInput& input) {
  return Fingerprint("certificate-issue.v1")
      .Add(input.number)
      .Add(input.nominal)
      .Add(Micros(input.expire_time))
      .Add(input.store_id)
      .Digest();
}

absl::Status NormalizeCertificateBatch(CertificateBatchInput& input, absl::Time now) {
  // The numbering follows the card batch rules, field for field.
  CardBatchInput numbering{.request_id = input.request_id,
                           .count = input.count,
                           .range = input.range,
                           .store_id = input.store_id};
  if (absl::Status status = NormalizeCardBatch(numbering); !status.ok()) return status;
  input.store_id = numbering.store_id;
  if (absl::Status status = ValidateAmount("nominal", input.nominal); !status.ok()) return status;
  return ValidateExpiry(input.expire_time, now);
}

std::string CertificateBatchFingerprint(const CertificateBatchInput& input) {
  return Fingerprint("certificate-batch.v1")
      .Add(input.count)
      .Add(input.range ? input.range->first_number : "")
      .Add(input.range && input.range->append_ean13_check_digit ? 1 : 0)
      .Add(input.nominal)
      .Add(Micros(input.expire_time))
      .Add(input.store_id)
      .Digest();
}

absl::Status ValidateCertificateHold(const CertificateHoldRequest& request) {
  if (absl::Status status = ValidateId("hold_id", request.hold_id); !status.ok()) return status;
  if (absl::Status status = ValidateId("number", request.number); !status.ok()) return status;
  if (absl::Status status = ValidateAmount("amount", request.amount); !status.ok()) return status;
  if (request.ttl < absl::ZeroDuration() || request.ttl > kMaxHoldTtl) {
    return InvalidField("ttl_seconds",
                        absl::StrCat("must be 0..", absl::ToInt64Seconds(kMaxHoldTtl)));
  }
  return ValidateText("reference", request.reference, kMaxReferenceLength);
}

std::string CertificateHoldFingerprint(const CertificateHoldRequest& request) {
  const absl::Duration ttl = request.ttl == absl::ZeroDuration() ? kDefaultHoldTtl : request.ttl;
  return Fingerprint("certificate-hold.v1")
      .Add(request.number)
      .Add(request.amount)
      .Add(absl::ToInt64Microseconds(ttl))
      .Add(request.reference)
      .Digest();
}

absl::Time CertificateHoldExpiry(const CertificateHoldRequest& request, absl::Time now,
                                 absl::Time certificate_expiry) {
  const absl::Duration ttl = request.ttl == absl::ZeroDuration() ? kDefaultHoldTtl : request.ttl;
  return std::min(now + ttl, certificate_expiry);
}

absl::Status ValidatePostCertificateHold(const PostCertificateHoldRequest& request) {
  if (absl::Status status = ValidateId("request_id", request.request_id); !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateId("number", request.number); !status.ok()) return status;
  if (absl::Status status = ValidateId("hold_id", request.hold_id); !status.ok()) return status;
  // 0 posts the whole hold.
  if (request.amount != 0) return ValidateAmount("amount", request.amount);
  return absl::OkStatus();
}

std::string PostCertificateHoldFingerprint(const PostCertificateHoldRequest& request) {
  return Fingerprint("certificate-post.v1")
      .Add(request.number)
      .Add(request.hold_id)
      .Add(request.amount)
      .Digest();
}

absl::StatusOr<int64_t> PostedAmount(const PostCertificateHoldRequest& request, int64_t held) {
  if (request.amount == 0) return held;
  if (request.amount > held) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "amount",
                      absl::StrCat("exceeds the held amount ", held));
  }
  return request.amount;
}

absl::Status ValidateRedeemCertificate(const RedeemCertificateRequest& request) {
  if (absl::Status status = ValidateId("request_id", request.request_id); !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateId("number", request.number); !status.ok()) return status;
  if (absl::Status status = ValidateAmount("amount", request.amount); !status.ok()) return status;
  return ValidateText("reference", request.reference, kMaxReferenceLength);
}

std::string RedeemCertificateFingerprint(const RedeemCertificateRequest& request) {
  return Fingerprint("certificate-redeem.v1")
      .Add(request.number)
      .Add(request.amount)
      .Add(request.reference)
      .Digest();
}

absl::Status ValidateRefundCertificate(const RefundCertificateRequest& request) {
  if (absl::Status status = ValidateId("request_id", request.request_id); !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateId("number", request.number); !status.ok()) return status;
  if (absl::Status status = ValidateId("redemption_id", request.redemption_id); !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateAmount("amount", request.amount); !status.ok()) return status;
  return ValidateText("reason", request.reason, kMaxReasonLength);
}

std::string RefundCertificateFingerprint(const RefundCertificateRequest& request) {
  return Fingerprint("certificate-refund.v1")
      .Add(request.number)
      .Add(request.redemption_id)
      .Add(request.amount)
      .Add(request.reason)
      .Digest();
}

absl::Status CheckRefundable(int64_t redeemed, int64_t refunded, int64_t amount) {
  if (amount > redeemed - refunded) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "amount",
                      absl::StrCat("exceeds what the redemption has left to refund: ",
                                   redeemed - refunded, " of ", redeemed));
  }
  return absl::OkStatus();
}

absl::Status ValidateCertificateStatusChange(CertificateStatus to, absl::string_view reason) {
  if (to != CertificateStatus::kActive && to != CertificateStatus::kBlocked) {
    return InvalidField("status", "ACTIVE or BLOCKED; EXPIRED and REDEEMED follow from the data");
  }
  return ValidateReason("reason", reason);
}

}  // namespace loyalty::cards
