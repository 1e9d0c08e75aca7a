#pragma once

// Writes audit log entries (CLI-13) inside the transaction of the change
// they describe, so that a change and its entry commit or roll back
// together. Every identity mutation calls it once per change it makes,
// after its checks passed and only when something changed:
//
//   AuditChange change{.action = "client.update", .object_type = "client",
//                      .object_id = client_id, .client_id = client_id};
//   AddClientFieldsToAudit(stored.profile, changed, change.before);
//   AddClientFieldsToAudit(profile, changed, change.after);
//   WriteAudit(tx, program_id, actor, change);
//
// Put only the changed fields into before/after, and never a secret.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/audit.h"

namespace loyalty::identity {

void WriteAudit(pg::Tx& tx, absl::string_view program_id, const AuditActor& actor,
                const AuditChange& change);

// The same change for each of `client_ids` (one entry each; `client_id` of
// `change` is ignored), in one statement: a tag assigned to thousands of
// clients.
void WriteAuditForClients(pg::Tx& tx, absl::string_view program_id, const AuditActor& actor,
                          const AuditChange& change, const std::vector<std::string>& client_ids);

// Several changes by one actor, in one statement and in order: the clients
// an import registers.
void WriteAudits(pg::Tx& tx, absl::string_view program_id, const AuditActor& actor,
                 const std::vector<AuditChange>& changes);

}  // namespace loyalty::identity
