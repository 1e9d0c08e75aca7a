#pragma once

// The audit log (CLI-13): who changed what, when, with the changed fields
// before and after. Pure logic, no I/O; storage/audit_writer.h writes
// entries, storage/audit_store.h reads them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/identity/domain/consent.h"

namespace loyalty::identity {

// What kind of credentials made a change.
enum class ActorKind { kSystem, kOperator, kApiKey, kClient };

// The stored name of a kind ("operator", "api_key", "client", "system"),
// and back (nullopt for anything else).
absl::string_view ActorKindName(ActorKind kind);
std::optional<ActorKind> ActorKindFromName(absl::string_view name);

// Who makes a change, and in which request: the call's metadata as the
// gateway set it. Default: the system (no credentials, e.g. platform
// tooling on the internal API).
struct AuditActor {
  ActorKind kind = ActorKind::kSystem;
  std::string principal_id;  // operator or API key id
  std::string role;          // loyalty.api.v1.Role value name
  std::string request_id;
  std::string trace_id;

  // As consent records keep their author.
  Principal principal() const { return Principal{principal_id, role}; }
};

// A JSON object of changed fields, for an entry's `before` or `after`.
// Secrets (password hashes, API key secrets or hashes, one-time codes) are
// never added.
class AuditFields final {
 public:
  AuditFields& Text(absl::string_view name, absl::string_view value);
  AuditFields& Bool(absl::string_view name, bool value);
  AuditFields& Int(absl::string_view name, int64_t value);
  AuditFields& TextList(absl::string_view name, const std::vector<std::string>& values);
  // `json` must be a JSON value.
  AuditFields& Json(absl::string_view name, absl::string_view json);

  bool empty() const { return members_.empty(); }
  // The object; "" when empty (stored as NULL).
  std::string ToJson() const;

 private:
  std::string members_;  // `"name":value` pairs joined by commas
};

// One change, as the audit log records it.
struct AuditChange {
  std::string action;       // e.g. "client.update"
  std::string object_type;  // e.g. "client", "tag", "operator", "api_key"
  std::string object_id;
  std::string client_id;  // the client concerned, when there is one
  AuditFields before;
  AuditFields after;
};

// A stored entry.
struct AuditEntry {
  int64_t entry_id = 0;
  absl::Time record_time;
  AuditActor actor;
  std::string action;
  std::string object_type;
  std::string object_id;
  std::string client_id;
  std::string before_json;  // "" for none
  std::string after_json;
};

// Filters of a query; empty members filter nothing.
struct AuditFilter {
  std::string client_id;
  std::string actor_id;
  std::string action;
  std::string object_type;
  std::optional<absl::Time> start_time;  // inclusive
  std::optional<absl::Time> end_time;    // exclusive
};

struct AuditPage {
  std::vector<AuditEntry> entries;
  std::string next_page_token;
};

// Position after which a newest-first page continues.
struct AuditPosition {
  absl::Time record_time;
  int64_t entry_id = 0;
};

std::string EncodeAuditPosition(const AuditPosition& position);
// InvalidField("page_token") for anything EncodeAuditPosition did not make.
absl::StatusOr<AuditPosition> DecodeAuditPosition(absl::string_view token);

}  // namespace loyalty::identity
