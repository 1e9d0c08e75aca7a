#pragma once

// The rows of `receipt_certificates` and `refund_certificates` (migration
// 0014): the gift certificates of a receipt's current calculation and what
// each refund gives back to them, read and written inside PosStore's
// transactions.

#include <pqxx/pqxx>

#include "libs/pg/pool.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

// Replaces the receipt's certificates with `receipt.certificates`.
void SaveReceiptCertificates(pg::Tx& tx, const Receipt& receipt);

// Selects the certificates of the receipt $1, in the order given, for
// ReadReceiptCertificates (PosStore reads them in one batch with the rest
// of the receipt).
extern const char kSelectReceiptCertificates[];

// Fills `receipt.certificates` from the rows of kSelectReceiptCertificates.
void ReadReceiptCertificates(const pqxx::result& rows, Receipt& receipt);

// Forgets the hold ids of the receipt's certificates: the calculation that
// made them is being replaced, so no confirm may post them.
void ClearReceiptCertificateHolds(pg::Tx& tx, const std::string& receipt_id);

// Moves the holds of the receipt's certificates to `certificate_releases`
// (migration 0017) and clears them, as ClearReceiptCertificateHolds.
void RecordCertificateReleases(pg::Tx& tx, const std::string& program_id,
                               const std::string& receipt_id);

// The receipt's certificate holds in `certificate_releases`.
std::vector<ReceiptCertificate> LoadCertificateReleases(pg::Tx& tx, const std::string& program_id,
                                                        const std::string& receipt_id);

// Records a new refund's certificate shares and adds them to the receipt's
// certificates' `refunded`.
void SaveRefundCertificates(pg::Tx& tx, const Refund& refund);

// Fills `refund.certificates`.
void LoadRefundCertificates(pg::Tx& tx, Refund& refund);

}  // namespace loyalty::pos
