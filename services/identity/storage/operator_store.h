#pragma once

// PostgreSQL storage of operator accounts and of failed logins.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/audit.h"
#include "services/identity/domain/operator.h"

namespace loyalty::identity {

struct OperatorPage {
  std::vector<Operator> operators;
  std::string next_page_token;
};

// An operator with the hash of their password, for logins.
struct OperatorCredentials {
  Operator account;
  std::string password_hash;
  // Bumped by every SetPasswordHash: tokens carry the version they were
  // issued at (TokenClaims::credentials_version).
  int64_t credentials_version = 0;
};

// Create, Update and SetPasswordHash write their audit entries
// (storage/audit_writer.h) in their transaction, naming `actor`.
class OperatorStore final {
 public:
  explicit OperatorStore(pg::Pool& pool) : pool_(pool) {}

  // Inserts a validated operator. A login another operator of the program
  // has is ALREADY_EXISTS naming `operator.login`; a retry with the same
  // request id returns the first operator (ALREADY_EXISTS naming
  // `request_id` when login or spec differ). An unknown program is
  // NOT_FOUND.
  absl::StatusOr<Operator> Create(absl::string_view program_id, absl::string_view login,
                                  const OperatorSpec& spec, absl::string_view password_hash,
                                  absl::string_view request_id, const AuditActor& actor = {});
  // NOT_FOUND naming `field` for no such operator in the program.
  absl::StatusOr<Operator> Get(absl::string_view program_id, absl::string_view operator_id,
                               absl::string_view field = "operator_id");
  // By login, in login order.
  absl::StatusOr<OperatorPage> List(absl::string_view program_id, int page_size,
                                    absl::string_view page_token);
  // Applies `change` to the stored spec under a row lock and saves it. An
  // actual change is audited as operator.update, or operator.disable /
  // operator.enable when the disabled flag flips.
  absl::StatusOr<Operator> Update(absl::string_view program_id, absl::string_view operator_id,
                                  absl::FunctionRef<absl::Status(OperatorSpec&)> change,
                                  const AuditActor& actor = {});

  // The operator and their password hash; NOT_FOUND when absent.
  absl::StatusOr<OperatorCredentials> FindByLogin(absl::string_view program_id,
                                                  absl::string_view login);
  absl::StatusOr<OperatorCredentials> FindById(absl::string_view program_id,
                                               absl::string_view operator_id);
  // Audited as operator.set_password, without the hash.
  absl::Status SetPasswordHash(absl::string_view program_id, absl::string_view operator_id,
                               absl::string_view password_hash, const AuditActor& actor = {});

  // Starts a login attempt: returns the login's failures within
  // kFailedLoginWindow before it and, when they are fewer than
  // `max_failures`, records the attempt as one more failure (ClearFailedLogins
  // on success takes it back). Attempts on one login are counted one after
  // the other, under a lock, so parallel guesses cannot all see a count
  // under the limit. Forgets the login's failures older than the window.
  absl::StatusOr<int64_t> BeginLoginAttempt(absl::string_view program_id, absl::string_view login,
                                            int64_t max_failures);
  absl::Status ClearFailedLogins(absl::string_view program_id, absl::string_view login);

 private:
  // By a unique column: "login" or "operator_id" (never caller text).
  absl::StatusOr<OperatorCredentials> FindOne(absl::string_view program_id,
                                              absl::string_view column, absl::string_view value);

  pg::Pool& pool_;
};

}  // namespace loyalty::identity
