#include "libs/service/runtime.h"

#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "libs/common/log.h"
#include "libs/outbox/outbox.h"
#include "prometheus/registry.h"

namespace loyalty::service {

absl::StatusOr<std::unique_ptr<Runtime>> Runtime::Create(
    EnvReader& env, absl::string_view default_name, std::span<const pg::Migration> migrations) {
  std::unique_ptr<Runtime> runtime(new Runtime());
  runtime->config_ = ReadServiceConfig(env, default_name);
  absl::Duration startup_timeout = env.Duration("LOYALTY_DB_STARTUP_TIMEOUT", absl::Seconds(60));
  if (absl::Status status = env.Finish(); !status.ok()) return status;
  const ServiceConfig& config = runtime->config_;
  log::Init(config.service_name, config.log_level);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // gRPC's locks are absl::Mutex, and the distribution's Abseil is built
  // with deadlock detection on: a lock-order graph updated on every
  // acquisition, a few per cent of a busy service's CPU. Sanitizer builds
  // (the test suite's) keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif

  runtime->pool_ = std::make_unique<pg::Pool>(pg::PoolOptions{
      .conninfo = config.database_url, .schema = config.service_name, .size = config.db_pool_size});

  std::vector<pg::Migration> all = outbox::WithOutboxTable(migrations);
  // Orchestrators start the database and the services together; wait for
  // it rather than crash-looping.
  absl::Time deadline = absl::Now() + startup_timeout;
  absl::Status migrated;
  for (;;) {
    migrated = pg::ApplyMigrations(*runtime->pool_, config.service_name, all);
    if (migrated.ok() || migrated.code() != absl::StatusCode::kUnavailable ||
        absl::Now() >= deadline) {
      break;
    }
    log::Warn("waiting for the database", {{"error", migrated.message()}});
    absl::SleepFor(absl::Seconds(1));
  }
  if (!migrated.ok()) return migrated;

  runtime->redis_ =
      std::make_unique<redis::Client>(redis::ClientOptions{.address = config.redis_address});
  runtime->registry_ = std::make_shared<prometheus::Registry>();
  runtime->host_ = std::make_unique<rpc::ServiceHost>(
      rpc::ServiceHostOptions{.service_name = config.service_name,
                              .grpc_address = config.grpc_address,
                              .metrics_address = config.metrics_address,
                              .shutdown_grace = config.shutdown_grace,
                              .shutdown_drain = config.shutdown_drain,
                              .health_interval = config.health_interval},
      runtime->registry_);
  pg::Pool* pool = runtime->pool_.get();
  redis::Client* redis = runtime->redis_.get();
  runtime->host_->AddReadinessCheck("postgres", [pool] { return pool->Ping(); });
  runtime->host_->AddReadinessCheck("redis", [redis] { return redis->Ping(); });
  return runtime;
}

Runtime::~Runtime() = default;

void Runtime::EnableOutboxRelay() {
  // The relay gets its own connection: its commands must not queue behind
  // request traffic.
  relay_redis_ =
      std::make_unique<redis::Client>(redis::ClientOptions{.address = config_.redis_address});
  relay_ = std::make_unique<outbox::Relay>(*pool_, *relay_redis_, *registry_);
  outbox::Relay* relay = relay_.get();
  host_->AddBackgroundTask("outbox-relay", [relay](std::stop_token stop) { relay->Run(stop); });
}

int Runtime::Run() {
  absl::Status status = host_->Run();
  if (!status.ok()) return StartupFailure(status);
  return 0;
}

int StartupFailure(const absl::Status& status) {
  log::Error("cannot start", {{"error", status.ToString()}});
  return 2;
}

}  // namespace loyalty::service
