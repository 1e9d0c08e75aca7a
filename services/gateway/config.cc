#include "services/gateway/config.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/config.h"

namespace loyalty::gateway {

absl::StatusOr<GatewayConfig> ReadGatewayConfig(EnvReader& env) {
  GatewayConfig config;
  config.http_address = env.Address("LOYALTY_HTTP_ADDRESS", config.http_address);
  config.http_threads = static_cast<int>(env.Int("LOYALTY_HTTP_THREADS", 2, 1, 256));
  for (const char* name : kBackendServices) {
    config.backends[name] = ReadPeerAddress(env, name);
  }
  config.backend_timeout = env.Duration("LOYALTY_BACKEND_TIMEOUT", config.backend_timeout);
  config.auth_cache_ttl = env.Duration("LOYALTY_AUTH_CACHE_TTL", config.auth_cache_ttl);
  config.shutdown_grace = env.Duration("LOYALTY_SHUTDOWN_GRACE", config.shutdown_grace);
  config.header_timeout = env.Duration("LOYALTY_HTTP_HEADER_TIMEOUT", config.header_timeout);
  config.log_level = env.String("LOYALTY_LOG_LEVEL", config.log_level);
  if (absl::Status s = env.Finish(); !s.ok()) return s;

  // Checks EnvReader cannot express.
  std::vector<std::string> problems;
  if (config.backend_timeout <= absl::ZeroDuration()) {
    problems.emplace_back("LOYALTY_BACKEND_TIMEOUT must be positive");
  }
  if (config.header_timeout <= absl::ZeroDuration()) {
    problems.emplace_back("LOYALTY_HTTP_HEADER_TIMEOUT must be positive");
  }
  if (config.log_level != "debug" && config.log_level != "info" && config.log_level != "warn" &&
      config.log_level != "error") {
    problems.push_back(absl::StrCat("LOYALTY_LOG_LEVEL must be debug, info, warn or error, got '",
                                    config.log_level, "'"));
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad configuration: ", absl::StrJoin(problems, "; ")));
  }
  return config;
}

}  // namespace loyalty::gateway
