#pragma once

// The gateway's configuration, from environment variables.

#include <array>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace loyalty {
class EnvReader;
}  // namespace loyalty

namespace loyalty::gateway {

// Every process the gateway may route to; LOYALTY_<NAME>_ADDRESS is
// required for each.
inline constexpr std::array<const char*, 7> kBackendServices = {
    "identity", "cards", "pos", "campaigns", "notifications", "segmentation", "analytics"};

struct GatewayConfig {
  std::string http_address = "0.0.0.0:8080";
  int http_threads = 2;
  absl::flat_hash_map<std::string, std::string> backends;  // name -> host:port
  absl::Duration backend_timeout = absl::Seconds(10);
  // Also how long a revoked key or a disabled operator may go on working.
  absl::Duration auth_cache_ttl = absl::Seconds(10);
  absl::Duration shutdown_grace = absl::Seconds(10);
  absl::Duration header_timeout = absl::Seconds(30);
  absl::Duration health_interval = absl::Seconds(1);
  std::string log_level = "info";
};

// Reads LOYALTY_HTTP_ADDRESS, LOYALTY_HTTP_THREADS, LOYALTY_<SVC>_ADDRESS,
// LOYALTY_BACKEND_TIMEOUT, LOYALTY_AUTH_CACHE_TTL, LOYALTY_SHUTDOWN_GRACE,
// LOYALTY_HTTP_HEADER_TIMEOUT, LOYALTY_LOG_LEVEL. InvalidArgument listing
// every bad or missing variable.
absl::StatusOr<GatewayConfig> ReadGatewayConfig(EnvReader& env);

}  // namespace loyalty::gateway
