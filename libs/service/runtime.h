#pragma once

// What every backend service's main() sets up, in one place: configuration,
// logging, the database pool with migrations applied, Redis, metrics, the
// gRPC host with readiness checks, and the outbox relay.

#include "absl/strings/string_view.h"
#include <memory>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "libs/common/config.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"
#include "libs/redis/client.h"
#include "libs/rpc/server.h"

namespace prometheus {
class Registry;
}

namespace loyalty::outbox {
class Relay;
}

namespace loyalty::service {

class Runtime final {
 public:
  // Reads the common configuration from `env` (the caller may read more
  // from it afterwards and must call env.Finish() itself), initialises
  // logging, connects to PostgreSQL (waiting up to LOYALTY_DB_STARTUP_TIMEOUT,
  // default 60s, for it to come up), applies `migrations` plus the outbox
  // table to the schema named after the service, and prepares the gRPC host.
  static absl::StatusOr<std::unique_ptr<Runtime>> Create(
      EnvReader& env, absl::string_view default_name,
      std::span<const pg::Migration> migrations);

  ~Runtime();

  const ServiceConfig& config() const { return config_; }
  pg::Pool& pool() { return *pool_; }
  redis::Client& redis() { return *redis_; }
  prometheus::Registry& registry() { return *registry_; }
  rpc::ServiceHost& host() { return *host_; }
  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }

  // Starts the outbox relay with the host (services that emit events).
  void EnableOutboxRelay();

  // Serves until SIGTERM/SIGINT; returns the process exit code.
  int Run();

 private:
  Runtime() = default;

  ServiceConfig config_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<redis::Client> redis_;
  std::unique_ptr<redis::Client> relay_redis_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<outbox::Relay> relay_;
  std::unique_ptr<rpc::ServiceHost> host_;
};

// Logs `status` as a fatal start-up error and returns exit code 2.
int StartupFailure(const absl::Status& status);

}  // namespace loyalty::service
