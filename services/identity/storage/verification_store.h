#pragma once

// PostgreSQL storage of contact verifications (table contact_verifications).
// Times are passed in by the caller, so that tests control the clock.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/audit.h"
#include "services/identity/domain/verification.h"

namespace loyalty::identity {

// What StartVerification needs to know before a code is sent.
struct VerificationTarget {
  // The client's current phone or e-mail; empty when it has none.
  std::string contact;
  // The verification an earlier call with the same request id created.
  std::optional<Verification> existing;
  // Creation times of the client's codes on the channel in the last hour.
  std::vector<absl::Time> recent_sends;
};

class VerificationStore final {
 public:
  explicit VerificationStore(pg::Pool& pool) : pool_(pool) {}

  // NOT_FOUND for another program's client.
  absl::StatusOr<VerificationTarget> PrepareStart(const std::string& program_id,
                                                  const std::string& client_id,
                                                  VerificationChannel channel,
                                                  const std::string& request_id,
                                                  absl::Time now);

  // Stores a verification before its code is sent. Under a lock of the
  // client's row, the client's codes on the channel in the last hour are
  // read again and CheckResendAllowed applied (RESOURCE_EXHAUSTED), so
  // that concurrent starts cannot all pass the limits PrepareStart saw.
  // When a call with the same request id stored one first, returns that
  // one instead (check `verification_id`: nothing to send then). A new one
  // is audited as verification.start by `actor` (channel and contact only).
  absl::StatusOr<Verification> Insert(const std::string& program_id,
                                      const Verification& verification,
                                      const std::string& request_id,
                                      const VerificationLimits& limits,
                                      const AuditActor& actor = {});

  // Deletes a verification whose code could not be sent, so that it counts
  // against no limit; audited as verification.abandon.
  absl::Status Abandon(const std::string& program_id, const Verification& verification,
                       const AuditActor& actor = {});

  // Applies the rules of EvaluateConfirmation under a row lock: counts a
  // wrong code, or marks the verification verified. Returns the
  // verification as it is afterwards and the answer for the caller in
  // `answer`. NOT_FOUND for an unknown id or another client's. The call
  // that verifies writes a verification.confirm audit entry by `actor`
  // (with the client's flag when it was set); wrong codes and repeated
  // confirmations write none.
  absl::StatusOr<Verification> Confirm(const std::string& program_id, const std::string& client_id,
                                       const std::string& verification_id, absl::string_view code,
                                       absl::string_view code_key, absl::Time now,
                                       absl::Status& answer, const AuditActor& actor = {});

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::identity
