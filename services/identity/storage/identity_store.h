#pragma once

// PostgreSQL storage of programs, API keys and clients (schema `identity`).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/client.h"
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

  absl::StatusOr<Program> CreateProgram(const Program& program);
  absl::StatusOr<Program> GetProgram(const std::string& program_id);

  // Stores a key under the hash of its secret.
  absl::StatusOr<ApiKey> CreateApiKey(const ApiKey& key, const std::string& secret_hash);
  // NOT_FOUND for unknown or revoked keys.
  absl::StatusOr<ApiKey> FindApiKey(const std::string& secret_hash);

  // Inserts a validated client and its ClientRegistered event. A retry with
  // the same request id returns the first client; another client's phone
  // is ALREADY_EXISTS naming `client.phone`. A marketing consent is also
  // written to the consent history (source REGISTRATION, by
  // `registered_by`).
  absl::StatusOr<Client> RegisterClient(const std::string& program_id,
                                        const ClientProfile& profile,
                                        const std::string& request_id,
                                        const Principal& registered_by = {});
  absl::StatusOr<Client> GetClient(const std::string& program_id,
                                   const std::string& client_id);
  absl::StatusOr<ClientPage> ListClients(const std::string& program_id, int page_size,
                                         const std::string& page_token);

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::identity
