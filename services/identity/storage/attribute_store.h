#pragma once

// PostgreSQL storage of custom client attributes (tables `attributes`,
// `client_attribute_values`, `client_status_history`,
// `attribute_value_requests` of schema `identity`). Every method is scoped
// to a program: another program's attribute or client is NOT_FOUND.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/attribute.h"
#include "services/identity/domain/audit.h"
#include "services/identity/domain/consent.h"

namespace loyalty::identity {

struct AttributePage {
  std::vector<Attribute> attributes;
  std::string next_page_token;
};

struct StatusChange {
  std::string key;
  std::string old_value;  // "" for none
  std::string new_value;  // "" when cleared
  AttributeChangeSource source = AttributeChangeSource::kUnspecified;
  std::string changed_by;
  absl::Time change_time;
  std::string reason;
};

struct StatusHistoryPage {
  std::vector<StatusChange> changes;
  std::string next_page_token;
};

// Where a change of values comes from, for the history and the event.
struct AttributeChangeOrigin {
  AttributeChangeSource source = AttributeChangeSource::kOperator;
  // Who: the history's changed_by and the audit entry's actor.
  AuditActor actor;
  std::string reason;
};

class AttributeStore final {
 public:
  explicit AttributeStore(pg::Pool& pool) : pool_(pool) {}

  // Inserts a normalised attribute. A retry with the same request id and
  // content returns the first one; other content is ALREADY_EXISTS naming
  // `request_id`. A key taken is ALREADY_EXISTS naming `attribute.key`;
  // past the program's limit FAILED_PRECONDITION.
  // Create, Update and Archive write their audit entries (attribute.create,
  // attribute.update, attribute.archive) naming `actor`; value changes
  // write client.attributes entries with before/after of the changed keys.
  absl::StatusOr<Attribute> Create(absl::string_view program_id, const AttributeSpec& spec,
                                   absl::string_view request_id, const AuditActor& actor = {});
  absl::StatusOr<Attribute> Get(absl::string_view program_id, absl::string_view key);
  absl::StatusOr<AttributePage> List(absl::string_view program_id, int page_size,
                                     absl::string_view page_token);
  // Reads the attribute under a row lock, lets `change` edit its spec (it
  // must leave it normalised), checks the change against the values
  // clients hold (CheckAttributeChange) and stores the result.
  absl::StatusOr<Attribute> Update(absl::string_view program_id, absl::string_view key,
                                   absl::FunctionRef<absl::Status(AttributeSpec&)> change,
                                   const AuditActor& actor = {});
  absl::StatusOr<Attribute> Archive(absl::string_view program_id, absl::string_view key,
                                    const AuditActor& actor = {});
  // All of the program's attributes (kMaxAttributesPerProgram at most), archived
  // ones included, by key.
  absl::StatusOr<std::vector<Attribute>> ListAll(absl::string_view program_id);

  // Sets and clears values of one client, all or none, under the client's
  // row lock: validation as ValidateAttributeChanges (fields `values[i]`,
  // `clear_keys[i]`), a history row per changed status, one
  // ClientAttributesChanged event when anything changed. With a request
  // id, a retry (same `fingerprint`) returns the current values without a
  // second effect; the id used for another client or content is
  // ALREADY_EXISTS naming `request_id`. Returns the client's values.
  absl::StatusOr<std::vector<AttributeValue>> SetValues(
      absl::string_view program_id, absl::string_view client_id,
      const AttributeValuesInput& input, const AttributeChangeOrigin& origin,
      absl::string_view request_id, absl::string_view fingerprint);
  // A client's values by key; NOT_FOUND naming `client_id` for no such
  // client.
  absl::StatusOr<std::vector<AttributeValue>> GetValues(absl::string_view program_id,
                                                        absl::string_view client_id);
  // A client's status changes, newest first; of one status system when
  // `key` is not empty.
  absl::StatusOr<StatusHistoryPage> ListStatusHistory(absl::string_view program_id,
                                                      absl::string_view client_id,
                                                      absl::string_view key, int page_size,
                                                      absl::string_view page_token);

 private:
  pg::Pool& pool_;
};

// For registration, inside its transaction after the client row exists:
// validates `input` (fields `client.attributes[i]`), requires the
// attributes required at registration and writes the values with source
// REGISTRATION. `schema`: the program's attributes as LoadAttributeSchema
// read them in this transaction, or null to read them here.
absl::Status WriteRegistrationAttributes(pg::Tx& tx, absl::string_view program_id,
                                         absl::string_view client_id,
                                         const AttributeValuesInput& input,
                                         const AuditActor& registered_by,
                                         const std::vector<Attribute>* schema = nullptr);

// For writers of many clients in one transaction (the client import): the
// program's attributes, under a share lock that keeps their definitions
// as they are until commit.
std::vector<Attribute> LoadAttributeSchema(pg::Tx& tx, absl::string_view program_id);

// Writes validated changes of a locked client's values: a history row per
// changed status, one ClientAttributesChanged event. False when every
// value was already as given.
bool WriteAttributeChanges(pg::Tx& tx, absl::string_view program_id, absl::string_view client_id,
                           absl::Span<const Attribute> schema, const AttributeChanges& changes,
                           const AttributeChangeOrigin& origin);

}  // namespace loyalty::identity
