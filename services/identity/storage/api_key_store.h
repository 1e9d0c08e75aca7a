#pragma once

// PostgreSQL storage of a program's API keys as its admins see them:
// listing and revocation (creation and lookup by secret are IdentityStore's).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "services/identity/storage/identity_store.h"

namespace loyalty::identity {

struct ApiKeyRecord {
  ApiKey key;
  absl::Time create_time;
  std::optional<absl::Time> revoke_time;
};

struct ApiKeyPage {
  std::vector<ApiKeyRecord> keys;
  std::string next_page_token;
};

struct CreatedApiKey {
  ApiKeyRecord record;
  // A retry with the same request id: nothing was created, and the secret
  // of the first call is not known.
  bool replayed = false;
};

// The audit entry of a new key: its settings, never its secret or hash.
AuditChange ApiKeyCreated(const ApiKey& key);

class ApiKeyStore final {
 public:
  explicit ApiKeyStore(pg::Pool& pool) : pool_(pool) {}

  // Stores a validated key of `key.program_id` under the hash of its secret.
  // A retry with the same request id and content returns the first key
  // (replayed); other content is ALREADY_EXISTS naming `request_id`.
  absl::StatusOr<CreatedApiKey> Create(const ApiKey& key, absl::string_view secret_hash,
                                       absl::string_view request_id, const AuditActor& actor = {});

  // NOT_FOUND naming `api_key_id` for no such key in the program.
  absl::StatusOr<ApiKeyRecord> Get(absl::string_view program_id, absl::string_view api_key_id);
  // Newest first.
  absl::StatusOr<ApiKeyPage> List(absl::string_view program_id, int page_size,
                                  absl::string_view page_token);
  // Sets the revocation time once; a revoked key is returned unchanged.
  absl::StatusOr<ApiKeyRecord> Revoke(absl::string_view program_id, absl::string_view api_key_id,
                                      const AuditActor& actor = {});

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::identity
