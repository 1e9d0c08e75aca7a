#include "services/pos/storage/receipt_certificates.h"

#include <pqxx/pqxx>

namespace loyalty::pos {

void SaveReceiptCertificates(pg::Tx& tx, const Receipt& receipt) {
  // A first calculation has nothing to replace.
  if (receipt.calculation > 1) {
    tx.exec_params("DELETE FROM receipt_certificates WHERE receipt_id = $1", receipt.receipt_id);
  }
  for (size_t position = 0; position < receipt.certificates.size(); ++position) {
    const ReceiptCertificate& certificate = receipt.certificates[position];
    tx.exec_params(
        "INSERT INTO receipt_certificates (receipt_id, position, number, requested, outcome,"
        " amount, refunded, reason, hold_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        receipt.receipt_id, static_cast<int>(position), certificate.number, certificate.requested,
        static_cast<int>(certificate.outcome), certificate.amount, certificate.refunded,
        certificate.reason, certificate.hold_id);
  }
}

const char kSelectReceiptCertificates[] =
    "SELECT number, requested, outcome, amount, refunded, reason, hold_id"
    " FROM receipt_certificates WHERE receipt_id = $1 ORDER BY position";

void ReadReceiptCertificates(const pqxx::result& rows, Receipt& receipt) {
  receipt.certificates.clear();
  for (const auto& row : rows) {
    receipt.certificates.push_back(
        ReceiptCertificate{.number = row[0].as<std::string>(),
                           .requested = row[1].as<int64_t>(),
                           .outcome = static_cast<CertificateOutcome>(row[2].as<int>()),
                           .amount = row[3].as<int64_t>(),
                           .refunded = row[4].as<int64_t>(),
                           .reason = row[5].as<std::string>(),
                           .hold_id = row[6].as<std::string>()});
  }
}

void ClearReceiptCertificateHolds(pg::Tx& tx, const std::string& receipt_id) {
  tx.exec_params("UPDATE receipt_certificates SET hold_id = '' WHERE receipt_id = $1",
                 receipt_id);
}

void RecordCertificateReleases(pg::Tx& tx, const std::string& program_id,
                               const std::string& receipt_id) {
  tx.exec_params(
      "INSERT INTO certificate_releases (receipt_id, hold_id, program_id, number, amount)"
      " SELECT receipt_id, hold_id, $1, number, amount FROM receipt_certificates"
      " WHERE receipt_id = $2 AND hold_id <> '' ON CONFLICT DO NOTHING",
      program_id, receipt_id);
  ClearReceiptCertificateHolds(tx, receipt_id);
}

std::vector<ReceiptCertificate> LoadCertificateReleases(pg::Tx& tx, const std::string& program_id,
                                                        const std::string& receipt_id) {
  std::vector<ReceiptCertificate> releases;
  for (const auto& row : tx.exec_params(
           "SELECT number, hold_id, amount FROM certificate_releases"
           " WHERE program_id = $1 AND receipt_id = $2 ORDER BY created_at, hold_id",
           program_id, receipt_id)) {
    releases.push_back(ReceiptCertificate{.number = row[0].as<std::string>(),
                                          .outcome = CertificateOutcome::kApplied,
                                          .amount = row[2].as<int64_t>(),
                                          .hold_id = row[1].as<std::string>()});
  }
  return releases;
}

void SaveRefundCertificates(pg::Tx& tx, const Refund& refund) {
  for (const RefundedCertificate& share : refund.certificates) {
    tx.exec_params(
        "INSERT INTO refund_certificates (refund_id, position, number, amount, redemption_id)"
        " VALUES ($1, $2, $3, $4, $5)",
        refund.refund_id, share.position, share.number, share.amount, share.redemption_id);
    tx.exec_params(
        "UPDATE receipt_certificates SET refunded = refunded + $3"
        " WHERE receipt_id = $1 AND position = $2",
        refund.receipt_id, share.position, share.amount);
  }
}

void LoadRefundCertificates(pg::Tx& tx, Refund& refund) {
  refund.certificates.clear();
  for (const auto& row :
       tx.exec_params("SELECT position, number, amount, redemption_id FROM refund_certificates"
                      " WHERE refund_id = $1 ORDER BY position",
                      refund.refund_id)) {
    refund.certificates.push_back(RefundedCertificate{.position = row[0].as<int32_t>(),
                                                      .number = row[1].as<std::string>(),
                                                      .amount = row[2].as<int64_t>(),
                                                      .redemption_id = row[3].as<std::string>()});
  }
}

}  // namespace loyalty::pos
