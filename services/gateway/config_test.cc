#include "services/gateway/config.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/config.h"

namespace loyalty::gateway {
namespace {

using ::testing::HasSubstr;

std::map<std::string, std::string> Complete() {
  std::map<std::string, std::string> env;
  for (const char* name : kBackendServices) {
    std::string upper(name);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    env["LOYALTY_" + upper + "_ADDRESS"] = std::string(name) + ":50051";
  }
  return env;
}

absl::StatusOr<GatewayConfig> Read(const std::map<std::string, std::string>& values) {
  EnvReader env([&values](const char* name) -> const char* {
    auto it = values.find(name);
    return it == values.end() ? nullptr : it->second.c_str();
  });
  return ReadGatewayConfig(env);
}

TEST(ReadGatewayConfig, Defaults) {
  absl::StatusOr<GatewayConfig> config = Read(Complete());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->http_address, "0.0.0.0:8080");
  EXPECT_EQ(config->http_threads, 2);
  EXPECT_EQ(config->backend_timeout, absl::Seconds(10));
  EXPECT_EQ(config->auth_cache_ttl, absl::Seconds(10));
  EXPECT_EQ(config->shutdown_grace, absl::Seconds(10));
  EXPECT_EQ(config->backends.size(), 7u);
  EXPECT_EQ(config->backends.at("cards"), "cards:50051");
}

TEST(ReadGatewayConfig, Overrides) {
  auto env = Complete();
  env["LOYALTY_HTTP_ADDRESS"] = "127.0.0.1:9000";
  env["LOYALTY_HTTP_THREADS"] = "4";
  env["LOYALTY_BACKEND_TIMEOUT"] = "2500ms";
  env["LOYALTY_AUTH_CACHE_TTL"] = "0s";
  env["LOYALTY_SHUTDOWN_GRACE"] = "3s";
  env["LOYALTY_LOG_LEVEL"] = "debug";
  absl::StatusOr<GatewayConfig> config = Read(env);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->http_address, "127.0.0.1:9000");
  EXPECT_EQ(config->http_threads, 4);
  EXPECT_EQ(config->backend_timeout, absl::Milliseconds(2500));
  EXPECT_EQ(config->auth_cache_ttl, absl::ZeroDuration());
  EXPECT_EQ(config->shutdown_grace, absl::Seconds(3));
  EXPECT_EQ(config->log_level, "debug");
}

TEST(ReadGatewayConfig, ListsEveryProblem) {
  std::map<std::string, std::string> env = {{"LOYALTY_HTTP_THREADS", "zero"}};
  absl::Status status = Read(env).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("LOYALTY_HTTP_THREADS"));
  EXPECT_THAT(status.message(), HasSubstr("LOYALTY_IDENTITY_ADDRESS"));
  EXPECT_THAT(status.message(), HasSubstr("LOYALTY_ANALYTICS_ADDRESS"));
}

TEST(ReadGatewayConfig, RejectsBadValues) {
  for (const auto& [name, value] :
       std::map<std::string, std::string>{{"LOYALTY_HTTP_THREADS", "0"},
                                          {"LOYALTY_HTTP_ADDRESS", "nowhere"},
                                          {"LOYALTY_BACKEND_TIMEOUT", "0s"},
                                          {"LOYALTY_AUTH_CACHE_TTL", "soon"},
                                          {"LOYALTY_LOG_LEVEL", "loud"},
                                          {"LOYALTY_CARDS_ADDRESS", "cards"}}) {
    auto env = Complete();
    env[name] = value;
    absl::Status status = Read(env).status();
    EXPECT_FALSE(status.ok()) << name << "=" << value;
    EXPECT_THAT(status.message(), HasSubstr(name));
  }
}

}  // namespace
}  // namespace loyalty::gateway
