#pragma once

// IdentityStore's registration and profile update in the caller's
// transaction, for writers that change many clients in one (the client
// import, CLI-8). Storage-internal: pqxx in the interface. The rules are
// IdentityStore::RegisterClient's and UpdateClient's.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/client.h"
#include "services/identity/domain/attribute.h"
#include "services/identity/domain/audit.h"
#include "services/identity/domain/consent.h"

namespace loyalty::identity {

// Inserts a validated client with its ClientRegistered event, attribute
// values, consent and audit entry, or finds the one `request_id` registered
// before. `schema`: as WriteRegistrationAttributes takes it.
absl::Status RegisterClientInTx(pg::Tx& tx, const std::string& program_id,
                                const ClientProfile& profile, const std::string& request_id,
                                const AuditActor& actor, const AttributeValuesInput& attributes,
                                const std::vector<Attribute>* schema, Client& client);

// A new client for RegisterClientsInTx, checked by the caller as
// RegisterClientInTx checks one: the profile is validated, no other client
// (stored or in the same call) holds its unique keys, its referrer exists,
// and its attribute changes are validated, required ones included.
struct ClientToRegister {
  ClientProfile profile;
  std::string request_id;
  AttributeChanges attributes;
};

// Registers `clients` as RegisterClientInTx registers each, with a few
// statements for all of them rather than several per client (the client
// import's hot path): the rows, their ClientRegistered events, consent
// records (source `consent_source`), audit entries; attribute values take
// statements per client that has any. Returns the new ids in order.
std::vector<std::string> RegisterClientsInTx(pg::Tx& tx, const std::string& program_id,
                                             const std::vector<ClientToRegister>& clients,
                                             const AuditActor& actor,
                                             ConsentSource consent_source,
                                             absl::Span<const Attribute> schema);

// Changes a client under a row lock; `changed_any` (when given) says
// whether anything changed (and a ClientUpdated event was written).
absl::Status UpdateClientInTx(pg::Tx& tx, const std::string& program_id,
                              const std::string& client_id, int64_t expected_version,
                              absl::FunctionRef<absl::Status(ClientProfile&)> change,
                              const AuditActor& actor, Client& updated,
                              bool* changed_any = nullptr);

}  // namespace loyalty::identity
