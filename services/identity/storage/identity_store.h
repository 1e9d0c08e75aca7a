#pragma once

// PostgreSQL storage of programs, API keys and clients (schema `identity`).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/attribute.h"
#include "services/identity/domain/audit.h"
#include "services/identity/domain/client.h"
#include "services/identity/domain/client_fields.h"
#include "services/identity/domain/consent.h"

namespace loyalty::generated {
std::span<const loyalty::pg::Migration> IdentityMigrations();
}

namespace loyalty::identity {

struct Program {
  std::string program_id;
  std::string name;
  std::string time_zone;
  std::string default_country_code;
  absl::Time create_time;
};

struct ApiKey {
  std::string api_key_id;
  std::string program_id;
  std::string display_name;
  std::string role;  // loyalty.api.v1.Role value name
  std::string store_id;
  std::string partner_id;
};

struct ClientPage {
  std::vector<Client> clients;
  std::string next_page_token;
};

class IdentityStore final {
 public:
  explicit IdentityStore(pg::Pool& pool) : pool_(pool) {}

  // Every mutation below writes its audit entries (storage/audit_writer.h)
  // in its transaction, naming `actor`; the default is the system.
  absl::StatusOr<Program> CreateProgram(const Program& program, const AuditActor& actor = {});
  absl::StatusOr<Program> GetProgram(const std::string& program_id);

  // Stores a key under the hash of its secret.
  absl::StatusOr<ApiKey> CreateApiKey(const ApiKey& key, const std::string& secret_hash,
                                      const AuditActor& actor = {});
  // NOT_FOUND for unknown or revoked keys.
  absl::StatusOr<ApiKey> FindApiKey(const std::string& secret_hash);

  // Inserts a validated client and its ClientRegistered event. A retry with
  // the same request id returns the first client; another client's phone
  // is ALREADY_EXISTS naming `client.phone`. A marketing consent is also
  // written to the consent history (source REGISTRATION, by `actor`).
  // Custom attribute values are validated against the program's
  // attributes and written in the same transaction (see
  // WriteRegistrationAttributes); a bad or missing required value stores
  // nothing.
  absl::StatusOr<Client> RegisterClient(const std::string& program_id,
                                        const ClientProfile& profile,
                                        const std::string& request_id,
                                        const AuditActor& actor = {},
                                        const AttributeValuesInput& attributes = {});
  absl::StatusOr<Client> GetClient(const std::string& program_id,
                                   const std::string& client_id);
  // Changes a client under a row lock (implemented in client_updates.cc):
  // `change` edits a copy of the stored profile and validates it. When
  // `expected_version` is not zero and the stored version differs, nothing
  // changes (ABORTED naming `client.etag`). A phone, external id or
  // referral code another client has is ALREADY_EXISTS naming
  // `client.<field>`, also when two updates race; an unknown referrer is
  // INVALID_ARGUMENT. A change that changes nothing keeps the version and
  // publishes nothing; otherwise the version goes up, a changed phone or
  // e-mail becomes unverified, and a ClientUpdated event names the changed
  // fields.
  absl::StatusOr<Client> UpdateClient(const std::string& program_id, const std::string& client_id,
                                      int64_t expected_version,
                                      absl::FunctionRef<absl::Status(ClientProfile&)> change,
                                      const AuditActor& actor = {});
  // The client of the program with this phone, e-mail or external id
  // (normalised as stored); NOT_FOUND when none. Card numbers are not
  // identity's to resolve.
  absl::StatusOr<Client> FindClient(const std::string& program_id, IdentifyKind kind,
                                    const std::string& value);
  absl::StatusOr<ClientPage> ListClients(const std::string& program_id, int page_size,
                                         const std::string& page_token);

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::identity
