#include "services/pos/domain/certificates.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/common/decimal.h"
#include "libs/common/errors.h"

namespace loyalty::pos {
namespace {

bool IsCertificateNumber(const std::string& number) {
  return number.size() >= 6 && number.size() <= 19 &&
         std::all_of(number.begin(), number.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

std::string Field(size_t index, absl::string_view name) {
  return absl::StrCat("certificates[", index, "].", name);
}

// A refusal of HoldCertificate, told apart by the field `cards` names.
ReceiptCertificate Refused(ReceiptCertificate certificate, const absl::Status& status) {
  std::optional<std::string> field = ViolatedField(status);
  if (field == "amount") {
    certificate.outcome = CertificateOutcome::kInsufficient;
  } else if (absl::StrContains(status.message(), "expired")) {
    certificate.outcome = CertificateOutcome::kExpired;
  } else {
    certificate.outcome = CertificateOutcome::kBlocked;
  }
  absl::string_view reason = status.message();
  if (field) absl::ConsumePrefix(&reason, absl::StrCat(*field, ": "));
  certificate.reason = std::string(reason);
  return certificate;
}

// Errors after which the call may have succeeded unseen or may succeed on
// a retry.
bool Transient(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         absl::IsAborted(status) || absl::IsInternal(status) || absl::IsUnknown(status) ||
         absl::IsCancelled(status) || absl::IsResourceExhausted(status);
}

std::string UndoId(const ReceiptCertificate& certificate) {
  return certificate.hold_id + ":undo";
}

}  // namespace

absl::Status ValidateCertificates(const std::vector<CertificateInput>& certificates) {
  if (certificates.size() > kMaxCertificatesPerReceipt) {
    return InvalidField("certificates",
                        absl::StrCat("at most ", kMaxCertificatesPerReceipt, " per receipt"));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < certificates.size(); ++i) {
    if (!IsCertificateNumber(certificates[i].number)) {
      return InvalidField(Field(i, "number"), "must be 6 to 19 digits");
    }
    if (!seen.insert(certificates[i].number).second) {
      return InvalidField(Field(i, "number"), "the same certificate is given twice");
    }
    if (certificates[i].amount < 0) {
      return InvalidField(Field(i, "amount"), "must not be negative (0 pays as much as it can)");
    }
  }
  return absl::OkStatus();
}

std::vector<ReceiptCertificate> HoldCertificates(Certificates* port,
                                                 const CertificateHoldInput& input,
                                                 absl::FunctionRef<std::string()> random_suffix,
                                                 std::vector<std::string>& messages) {
  std::vector<ReceiptCertificate> result;
  int64_t to_pay = input.amount_to_pay;
  bool reachable = port != nullptr;
  const std::string attempt =
      absl::StrCat(input.receipt_id, ":", input.calculation, ":", random_suffix());
  for (size_t position = 0; position < input.certificates.size(); ++position) {
    const CertificateInput& offered = input.certificates[position];
    ReceiptCertificate certificate{.number = offered.number, .requested = offered.amount};
    auto decide = [&]() -> ReceiptCertificate {
      if (!reachable) {
        certificate.reason = "certificates cannot be checked now";
        return certificate;
      }
      if (to_pay <= 0) {
        certificate.outcome = CertificateOutcome::kNotNeeded;
        certificate.reason = "the receipt is already paid";
        return certificate;
      }
      absl::StatusOr<Certificates::Info> info = port->Get(input.program_id, offered.number);
      if (absl::IsNotFound(info.status())) {
        certificate.outcome = CertificateOutcome::kUnknown;
        certificate.reason = "not a certificate of this program";
        return certificate;
      }
      if (!info.ok()) {
        reachable = false;
        certificate.reason = "certificates cannot be checked now";
        return certificate;
      }
      switch (info->status) {
        case Certificates::Info::Status::kBlocked:
          certificate.outcome = CertificateOutcome::kBlocked;
          certificate.reason = info->status_reason.empty()
                                   ? "the certificate is blocked"
                                   : absl::StrCat("the certificate is blocked: ",
                                                  info->status_reason);
          return certificate;
        case Certificates::Info::Status::kExpired:
          certificate.outcome = CertificateOutcome::kExpired;
          certificate.reason = "the certificate has expired";
          return certificate;
        default:
          break;
      }
      if (info->available <= 0 || offered.amount > info->available) {
        certificate.outcome = CertificateOutcome::kInsufficient;
        certificate.reason = absl::StrCat("only ", std::max<int64_t>(0, info->available),
                                          " is available on it");
        return certificate;
      }
      // Never more than the receipt still needs, whatever was asked.
      const int64_t amount = std::min(offered.amount > 0 ? offered.amount : info->available, to_pay);
      const std::string hold_id = absl::StrCat(attempt, ":c", position);
      absl::Status held = port->Hold(input.program_id, offered.number, hold_id, amount,
                                    input.receipt_id);
      if (absl::IsFailedPrecondition(held)) return Refused(certificate, held);
      if (!held.ok()) {
        // The hold may exist unseen; it reserves nothing after its TTL.
        reachable = false;
        certificate.reason = "certificates cannot be checked now";
        return certificate;
      }
      certificate.outcome = CertificateOutcome::kApplied;
      certificate.amount = amount;
      certificate.hold_id = hold_id;
      to_pay -= amount;
      return certificate;
    };
    result.push_back(decide());
    const ReceiptCertificate& decided = result.back();
    if (decided.outcome != CertificateOutcome::kApplied) {
      messages.push_back(absl::StrCat("Certificate ", decided.number, ": ", decided.reason));
    }
  }
  return result;
}

int64_t CertificatesAmount(const Receipt& receipt) {
  int64_t total = 0;
  for (const ReceiptCertificate& certificate : receipt.certificates) total += certificate.amount;
  return total;
}

absl::Status VoidCertificateHolds(Certificates* port, const Receipt& receipt) {
  if (port == nullptr) return absl::OkStatus();
  for (const ReceiptCertificate& certificate : receipt.certificates) {
    if (certificate.hold_id.empty()) continue;
    absl::Status status = port->Void(receipt.program_id, certificate.number, certificate.hold_id);
    // A hold `cards` never recorded (the hold call failed unseen) has
    // nothing to release.
    if (!status.ok() && !absl::IsNotFound(status)) return status;
  }
  return absl::OkStatus();
}

void VoidCertificateHoldsQuietly(Certificates* port, const std::string& program_id,
                                 const std::vector<ReceiptCertificate>& certificates) {
  if (port == nullptr) return;
  for (const ReceiptCertificate& certificate : certificates) {
    if (certificate.hold_id.empty()) continue;
    port->Void(program_id, certificate.number, certificate.hold_id).IgnoreError();
  }
}

std::string CertificateRedemptionId(const ReceiptCertificate& certificate) {
  return certificate.hold_id + ":post";
}

absl::Status PostCertificates(Certificates* port, const Receipt& receipt) {
  for (const ReceiptCertificate& certificate : receipt.certificates) {
    if (certificate.hold_id.empty() || certificate.amount <= 0) continue;
    if (port == nullptr) return absl::UnavailableError("certificates cannot be posted now");
    absl::Status status = port->Post(receipt.program_id, certificate.number, certificate.hold_id,
                                     certificate.amount, CertificateRedemptionId(certificate));
    if (absl::IsFailedPrecondition(status) || absl::IsNotFound(status)) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "certificates",
                        absl::StrCat("certificate ", certificate.number, " cannot be spent (",
                                     status.message(), "); calculate the receipt again"));
    }
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status ReleaseCertificateHolds(Certificates* port, const std::string& program_id,
                                     const std::vector<ReceiptCertificate>& holds) {
  for (const ReceiptCertificate& certificate : holds) {
    if (certificate.hold_id.empty()) continue;
    if (port == nullptr) return absl::UnavailableError("certificates cannot be released now");
    // Voided before anything is given back: once void, no retry of the
    // confirmation can post it, so nothing can be spent after the check.
    absl::Status voided = port->Void(program_id, certificate.number, certificate.hold_id);
    // NOT_FOUND: `cards` never recorded the hold, so nothing is held.
    if (voided.ok() || absl::IsNotFound(voided)) continue;
    if (!absl::IsFailedPrecondition(voided)) return voided;
    // Posted: give the posting back in full.
    absl::Status status =
        port->Refund(program_id, certificate.number, CertificateRedemptionId(certificate),
                     certificate.amount, UndoId(certificate));
    if (!status.ok()) {
      return Transient(status) ? status
                               : absl::InternalError(absl::StrCat(
                                     "certificate ", certificate.number,
                                     ": the posting cannot be given back: ", status.message()));
    }
  }
  return absl::OkStatus();
}

std::vector<RefundedCertificate> PlanCertificateRefund(
    const std::vector<PricedLine>& lines, int64_t point_value,
    std::vector<ReceiptCertificate>& certificates) {
  // The receipt's paid value (what the certificates shared with cash) and
  // the part of it returned so far, line by line as PlanRefund counts it.
  int64_t paid = 0;
  int64_t returned = 0;
  bool everything_back = true;
  for (const PricedLine& line : lines) {
    const int64_t net = line.amount - line.discount - line.points_spent * point_value;
    paid += net;
    returned += MulDivFloor(net, line.refunded_quantity_milli, line.quantity_milli);
    if (line.refunded_quantity_milli < line.quantity_milli) everything_back = false;
  }
  std::vector<RefundedCertificate> shares;
  for (size_t position = 0; position < certificates.size(); ++position) {
    ReceiptCertificate& certificate = certificates[position];
    if (certificate.amount <= 0 || certificate.hold_id.empty()) continue;
    const int64_t due = everything_back || paid <= 0
                            ? certificate.amount
                            : MulDivFloor(certificate.amount, returned, paid);
    const int64_t share = std::min(due, certificate.amount) - certificate.refunded;
    if (share <= 0) continue;
    certificate.refunded += share;
    shares.push_back(RefundedCertificate{.position = static_cast<int32_t>(position),
                                         .number = certificate.number,
                                         .amount = share,
                                         .redemption_id = CertificateRedemptionId(certificate)});
  }
  return shares;
}

absl::Status RefundCertificates(Certificates* port, const std::string& program_id,
                                const Refund& refund) {
  for (const RefundedCertificate& share : refund.certificates) {
    if (port == nullptr) return absl::UnavailableError("certificates cannot be refunded now");
    if (absl::Status status =
            port->Refund(program_id, share.number, share.redemption_id, share.amount,
                         absl::StrCat(refund.refund_id, ":c", share.position));
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace loyalty::pos
