#include "absl/strings/string_view.h"
#include "libs/common/config.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace loyalty {

EnvReader::EnvReader(Lookup lookup) : lookup_(std::move(lookup)) {
  if (!lookup_) lookup_ = [](const char* name) { return std::getenv(name); };
}

const char* EnvReader::Get(absl::string_view name) const {
  const char* value = lookup_(std::string(name).c_str());
  return (value != nullptr && *value != '\0') ? value : nullptr;
}

void EnvReader::Problem(absl::string_view name, absl::string_view what) {
  problems_.push_back(absl::StrCat(name, " ", what));
}

std::string EnvReader::String(absl::string_view name,
                              absl::string_view default_value) {
  const char* value = Get(name);
  return value != nullptr ? std::string(value) : std::string(default_value);
}

std::string EnvReader::RequiredString(absl::string_view name) {
  const char* value = Get(name);
  if (value == nullptr) {
    Problem(name, "is required");
    return "";
  }
  return value;
}

int64_t EnvReader::Int(absl::string_view name, int64_t default_value,
                       int64_t min, int64_t max) {
  const char* value = Get(name);
  if (value == nullptr) return default_value;
  int64_t parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed)) {
    Problem(name, absl::StrCat("must be an integer, got '", value, "'"));
    return default_value;
  }
  if (parsed < min || parsed > max) {
    Problem(name, absl::StrCat("must be within [", min, ", ", max, "], got ",
                               parsed));
    return default_value;
  }
  return parsed;
}

bool EnvReader::Bool(absl::string_view name, bool default_value) {
  const char* value = Get(name);
  if (value == nullptr) return default_value;
  std::string lowered = absl::AsciiStrToLower(value);
  if (lowered == "1" || lowered == "true" || lowered == "yes") return true;
  if (lowered == "0" || lowered == "false" || lowered == "no") return false;
  Problem(name, absl::StrCat("must be true or false, got '", value, "'"));
  return default_value;
}

absl::Duration EnvReader::Duration(absl::string_view name,
                                   absl::Duration default_value) {
  const char* value = Get(name);
  if (value == nullptr) return default_value;
  absl::Duration parsed;
  if (!absl::ParseDuration(value, &parsed) || parsed < absl::ZeroDuration()) {
    Problem(name, absl::StrCat("must be a duration like 5s or 250ms, got '",
                               value, "'"));
    return default_value;
  }
  return parsed;
}

std::string EnvReader::Address(absl::string_view name,
                               absl::string_view default_value) {
  std::string value = String(name, default_value);
  // Accept host:port; IPv6 literals are written [::1]:port.
  size_t colon = value.rfind(':');
  int port = 0;
  if (value.empty() || colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(value.substr(colon + 1), &port) || port <= 0 ||
      port > 65535) {
    Problem(name, absl::StrCat("must be host:port, got '", value, "'"));
  }
  return value;
}

absl::Status EnvReader::Finish() const {
  if (problems_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("bad configuration: ", absl::StrJoin(problems_, "; ")));
}

ServiceConfig ReadServiceConfig(EnvReader& env, absl::string_view default_name) {
  ServiceConfig config;
  config.service_name = env.String("LOYALTY_SERVICE_NAME", default_name);
  config.grpc_address = env.Address("LOYALTY_GRPC_ADDRESS", "0.0.0.0:50051");
  config.metrics_address = env.Address("LOYALTY_METRICS_ADDRESS", "0.0.0.0:9090");
  config.database_url = env.RequiredString("LOYALTY_DATABASE_URL");
  config.redis_address = env.Address("LOYALTY_REDIS_ADDRESS", "127.0.0.1:6379");
  config.db_pool_size =
      static_cast<int>(env.Int("LOYALTY_DB_POOL_SIZE", 8, 1, 256));
  config.shutdown_grace =
      env.Duration("LOYALTY_SHUTDOWN_GRACE", absl::Seconds(10));
  config.shutdown_drain = env.Duration("LOYALTY_SHUTDOWN_DRAIN", absl::ZeroDuration());
  config.health_interval =
      env.Duration("LOYALTY_HEALTH_INTERVAL", absl::Seconds(1));
  config.log_level = env.String("LOYALTY_LOG_LEVEL", "info");
  return config;
}

std::string ReadPeerAddress(EnvReader& env, absl::string_view service_name) {
  return env.Address(
      absl::StrCat("LOYALTY_", absl::AsciiStrToUpper(service_name), "_ADDRESS"),
      "");
}

}  // namespace loyalty
