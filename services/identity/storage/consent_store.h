#pragma once

// PostgreSQL storage of consent histories (table client_consents) and of
// the clients.marketing_consent projection.

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/audit.h"
#include "services/identity/domain/consent.h"

namespace loyalty::identity {

struct ClientConsents {
  std::map<ConsentKind, ConsentRecord> current;
  // GetConsents: a page of the history, newest first; RecordConsents: the
  // records written, in request order.
  std::vector<ConsentRecord> records;
  std::string next_page_token;
};

// Appends validated changes to a client's history inside `tx`, keeps
// clients.marketing_consent equal to the derived marketing state and, when
// the current state of some kind changed, appends ClientConsentChanged to
// the outbox. The caller has checked that the client belongs to the
// program; `request_id` may be empty. Returns the written records.
std::vector<ConsentRecord> AppendConsentRecords(pg::Tx& tx, const std::string& program_id,
                                                const std::string& client_id,
                                                absl::Span<const ConsentChange> changes,
                                                const Principal& recorded_by,
                                                const std::string& request_id);

// The current record of every kind in a client's history.
std::map<ConsentKind, ConsentRecord> LoadCurrentConsents(pg::Tx& tx,
                                                         const std::string& program_id,
                                                         const std::string& client_id);

// After a client's history changed the current state from `before` to
// `after` inside `tx`: when some kind's state changed, keeps
// clients.marketing_consent equal to the marketing state (a new etag when it
// changes) and appends ClientConsentChanged.
void PublishConsentChange(pg::Tx& tx, const std::string& program_id,
                          const std::string& client_id,
                          const std::map<ConsentKind, ConsentRecord>& before,
                          const std::map<ConsentKind, ConsentRecord>& after);

class ConsentStore final {
 public:
  explicit ConsentStore(pg::Pool& pool) : pool_(pool) {}

  // Writes the changes of one call, all or none. A retry with the same
  // request id returns the first call's records; the id reused with other
  // content (`fingerprint` differs) is ALREADY_EXISTS naming `request_id`.
  // Another program's client is NOT_FOUND. Records are written by `actor`,
  // with one consent.record audit entry per call (none for a retry).
  absl::StatusOr<ClientConsents> RecordConsents(const std::string& program_id,
                                                const std::string& client_id,
                                                absl::Span<const ConsentChange> changes,
                                                const AuditActor& actor,
                                                const std::string& request_id,
                                                const std::string& fingerprint);

  // The current state and a page of the history, newest first.
  absl::StatusOr<ClientConsents> GetConsents(const std::string& program_id,
                                             const std::string& client_id, int page_size,
                                             const std::string& page_token);

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::identity
