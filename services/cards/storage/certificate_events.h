#pragma once

// Gift certificate events (proto/loyalty/cards/v1/certificate_events.proto),
// appended to the outbox inside the transaction of the operation.

#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/certificate.h"

namespace loyalty::cards {

void AppendCertificateIssued(pg::Tx& tx, absl::string_view program_id,
                             const Certificate& certificate, absl::string_view actor);

// A REDEMPTION (CertificateRedeemed) or a REFUND (CertificateRefunded).
void AppendCertificateOperation(pg::Tx& tx, absl::string_view program_id,
                                const CertificateOperation& operation);

}  // namespace loyalty::cards
