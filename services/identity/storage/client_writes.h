#pragma once

// IdentityStore's registration and profile update in the caller's
// transaction, for writers that change many clients in one (the client
// import, CLI-8). Storage-internal: pqxx in the interface. The rules are
// IdentityStore::RegisterClient's and UpdateClient's.

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/client.h"
#include "services/identity/domain/consent.h"

namespace loyalty::identity {

// Inserts a validated client with its ClientRegistered event, or finds the
// one `request_id` registered before.
absl::Status RegisterClientInTx(pg::Tx& tx, const std::string& program_id,
                                const ClientProfile& profile, const std::string& request_id,
                                const Principal& registered_by, Client& client);

// Changes a client under a row lock; `changed_any` (when given) says
// whether anything changed (and a ClientUpdated event was written).
absl::Status UpdateClientInTx(pg::Tx& tx, const std::string& program_id,
                              const std::string& client_id, int64_t expected_version,
                              absl::FunctionRef<absl::Status(ClientProfile&)> change,
                              Client& updated, bool* changed_any = nullptr);

}  // namespace loyalty::identity
