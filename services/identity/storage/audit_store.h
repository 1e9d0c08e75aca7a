#pragma once

// Reads the audit log (CLI-13; table `audit_log`), newest first. Writing is
// audit_writer.h's, inside each change's transaction; there is no update or
// delete.

#include "absl/status/statusor.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/audit.h"

namespace loyalty::identity {

class AuditStore final {
 public:
  explicit AuditStore(pg::Pool& pool) : pool_(pool) {}

  // Entries of the program matching `filter` (with `filter.client_id`, one
  // client's, through the audit_log_client index), newest first.
  // `page_token` comes from a previous page (InvalidField("page_token")
  // otherwise). A client of another program (or of none) with no entries
  // here is NOT_FOUND naming `client_id`; one with entries stays readable
  // after it is gone.
  absl::StatusOr<AuditPage> List(absl::string_view program_id, const AuditFilter& filter,
                                 int page_size, absl::string_view page_token);

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::identity
