#pragma once

// Typed configuration read from environment variables.
//
// Every problem is collected, then reported at once by Finish(), so that an
// operator fixing a deployment sees the whole list, and a service refuses to
// start on bad configuration instead of misbehaving later.

#include "absl/strings/string_view.h"
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace loyalty {

class EnvReader final {
 public:
  using Lookup = std::function<const char*(const char*)>;

  // `lookup` defaults to ::getenv; tests pass a map.
  explicit EnvReader(Lookup lookup = nullptr);

  std::string String(absl::string_view name, absl::string_view default_value);
  std::string RequiredString(absl::string_view name);
  int64_t Int(absl::string_view name, int64_t default_value, int64_t min,
              int64_t max);
  bool Bool(absl::string_view name, bool default_value);
  // Accepts absl duration syntax: "250ms", "5s", "1m30s".
  absl::Duration Duration(absl::string_view name, absl::Duration default_value);
  // host:port with a numeric port.
  std::string Address(absl::string_view name, absl::string_view default_value);

  // OK, or InvalidArgument listing every variable that was missing or bad.
  absl::Status Finish() const;

 private:
  const char* Get(absl::string_view name) const;
  void Problem(absl::string_view name, absl::string_view what);

  Lookup lookup_;
  std::vector<std::string> problems_;
};

// Settings every backend service shares.
struct ServiceConfig {
  std::string service_name;
  std::string grpc_address;
  std::string metrics_address;
  std::string database_url;
  std::string redis_address;
  int db_pool_size = 8;
  absl::Duration shutdown_grace = absl::Seconds(10);
  absl::Duration shutdown_drain = absl::ZeroDuration();
  absl::Duration health_interval = absl::Seconds(1);
  std::string log_level;
};

// Reads LOYALTY_SERVICE_NAME, LOYALTY_GRPC_ADDRESS, LOYALTY_METRICS_ADDRESS,
// LOYALTY_DATABASE_URL, LOYALTY_REDIS_ADDRESS, LOYALTY_DB_POOL_SIZE,
// LOYALTY_SHUTDOWN_GRACE, LOYALTY_SHUTDOWN_DRAIN, LOYALTY_HEALTH_INTERVAL,
// LOYALTY_LOG_LEVEL.
ServiceConfig ReadServiceConfig(EnvReader& env, absl::string_view default_name);

// Reads LOYALTY_<NAME>_ADDRESS, the address of another service.
std::string ReadPeerAddress(EnvReader& env, absl::string_view service_name);

}  // namespace loyalty
