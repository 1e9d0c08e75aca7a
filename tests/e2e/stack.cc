#include "tests/e2e/stack.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/random_ids.h"
#include "libs/testing/ports.h"

namespace loyalty::e2e {
namespace {

constexpr const char* kBackends[] = {"identity",      "cards",        "pos",      "campaigns",
                                     "notifications", "segmentation", "analytics"};

// ctest sets LOYALTY_BUILD_DIR; run by hand, the test binary lives in
// <build>/tests/.
std::string BuildDir() {
  const char* dir = std::getenv("LOYALTY_BUILD_DIR");
  if (dir != nullptr) return dir;
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? "." : self.parent_path().parent_path().string();
}

}  // namespace

std::string UniqueDigits(int count) {
  static absl::BitGen generator;
  std::string digits;
  for (int i = 0; i < count; ++i) {
    digits.push_back(static_cast<char>('0' + absl::Uniform(generator, 0, 10)));
  }
  return digits;
}

absl::StatusOr<std::unique_ptr<Stack>> Stack::Start() {
  absl::StatusOr<std::unique_ptr<Stack>> stack;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    stack = StartOnce();
    if (stack.ok() || !absl::IsDeadlineExceeded(stack.status())) return stack;
    std::cerr << "e2e stack not ready (attempt " << attempt
              << "), starting again: " << stack.status() << std::endl;
  }
  return stack;
}

absl::StatusOr<std::unique_ptr<Stack>> Stack::StartOnce() {
  std::unique_ptr<Stack> stack(new Stack());
  absl::StatusOr<std::string> dir = testing::MakeTempDir("loyalty-e2e");
  if (!dir.ok()) return dir.status();
  stack->dir_ = *dir;
  std::filesystem::create_directories(stack->pickup_dir());
  absl::StatusOr<std::unique_ptr<testing::PostgresServer>> postgres =
      testing::PostgresServer::Start();
  if (!postgres.ok()) return postgres.status();
  stack->postgres_ = *std::move(postgres);
  absl::StatusOr<std::unique_ptr<testing::RedisServer>> redis = testing::RedisServer::Start();
  if (!redis.ok()) return redis.status();
  stack->redis_ = *std::move(redis);

  for (const char* name : kBackends) stack->grpc_ports_[name] = testing::PickFreePort();
  stack->gateway_port_ = testing::PickFreePort();
  stack->gateway_url_ = absl::StrCat("http://127.0.0.1:", stack->gateway_port_);
  for (const char* name : kBackends) {
    if (absl::Status status = stack->Launch(name); !status.ok()) return status;
  }
  if (absl::Status status = stack->Launch("gateway"); !status.ok()) return status;
  if (absl::Status status = stack->WaitReady(absl::Seconds(60)); !status.ok()) {
    std::string logs;
    for (const char* name : kBackends) {
      // Only the services the gateway named as not ready.
      if (status.message().find(absl::StrCat("\"", name, "\"")) == absl::string_view::npos) {
        continue;
      }
      absl::StrAppend(&logs, "\n--- ", name, " log:\n", stack->LogTail(name));
    }
    return absl::Status(status.code(), absl::StrCat(status.message(), logs));
  }
  absl::StatusOr<admin::DemoProgram> demo =
      stack->CreateProgram(absl::StrCat(stack->dir_, "/demo.env"));
  if (!demo.ok()) return demo.status();
  stack->demo_ = *demo;
  return stack;
}

absl::StatusOr<admin::DemoProgram> Stack::CreateProgram(const std::string& env_path) {
  return admin::BootstrapDemo(admin::BootstrapOptions{
      .identity_address = absl::StrCat("127.0.0.1:", grpc_ports_["identity"]),
      .gateway_url = gateway_url_,
      .out_path = env_path});
}

absl::Status Stack::Launch(const std::string& name) {
  testing::EnvList env = {
      {"LOYALTY_SERVICE_NAME", name},
      {"LOYALTY_DATABASE_URL", postgres_->ConnectionString()},
      {"LOYALTY_REDIS_ADDRESS", absl::StrCat("127.0.0.1:", redis_->port())},
      {"LOYALTY_DB_POOL_SIZE", "4"},
      {"LOYALTY_SHUTDOWN_GRACE", "2s"},
      {"LOYALTY_LOG_LEVEL", "info"},
      {"LOYALTY_HEALTH_INTERVAL", "200ms"},
      {"LOYALTY_AUTH_CACHE_TTL", "1s"},
  };
  for (const auto& [peer, port] : grpc_ports_) {
    env.emplace_back(absl::StrCat("LOYALTY_", absl::AsciiStrToUpper(peer), "_ADDRESS"),
                     absl::StrCat("127.0.0.1:", port));
  }
  if (name == "notifications") env.emplace_back("LOYALTY_NOTIFICATIONS_PICKUP_DIR", pickup_dir());
  if (name == "identity") {
    // Short enough for a test to see a code expire.
    env.emplace_back("LOYALTY_VERIFICATION_CODE_LIFETIME", "8s");
  }
  if (name == "gateway") {
    env.emplace_back("LOYALTY_HTTP_ADDRESS", absl::StrCat("127.0.0.1:", gateway_port_));
  } else {
    if (name == "identity") {
      // Fixed per run; random, so no test can rely on knowing it.
      static const std::string kTokenKeys = absl::StrCat("e2e:", RandomHex(32));
      env.emplace_back("LOYALTY_TOKEN_KEYS", kTokenKeys);
    }
    env.emplace_back("LOYALTY_GRPC_ADDRESS", absl::StrCat("127.0.0.1:", grpc_ports_[name]));
    env.emplace_back("LOYALTY_METRICS_ADDRESS",
                     absl::StrCat("127.0.0.1:", testing::PickFreePort()));
  }
  absl::StatusOr<std::unique_ptr<testing::ChildProcess>> process =
      testing::ChildProcess::Start(absl::StrCat(BuildDir(), "/services/", name, "/loyalty_", name),
                                   {}, env, absl::StrCat(dir_, "/", name, ".log"));
  if (!process.ok()) return process.status();
  processes_[name] = *std::move(process);
  return absl::OkStatus();
}

absl::Status Stack::WaitReady(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  std::string last;
  while (absl::Now() < deadline) {
    absl::StatusOr<http::Response> ready =
        http::Send(http::Request{.url = gateway_url_ + "/readyz", .timeout = absl::Seconds(2)});
    if (ready.ok() && ready->status == 200) return absl::OkStatus();
    last = ready.ok() ? ready->body : std::string(ready.status().message());
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("platform not ready: ", last));
}

absl::StatusOr<http::Response> Stack::Call(const std::string& method, const std::string& path,
                                           const std::string& body, const std::string& api_key) {
  http::Request request{.method = method, .url = gateway_url_ + path, .body = body};
  if (!api_key.empty()) request.headers.emplace_back("x-api-key", api_key);
  return http::Send(request);
}

std::string Stack::GrpcAddress(const std::string& name) const {
  auto it = grpc_ports_.find(name);
  return it == grpc_ports_.end() ? std::string() : absl::StrCat("127.0.0.1:", it->second);
}

absl::Status Stack::StopService(const std::string& name, bool crash) {
  auto it = processes_.find(name);
  if (it == processes_.end()) return absl::NotFoundError(name);
  if (crash) {
    it->second->Kill();
  } else {
    absl::Status status = it->second->Terminate(absl::Seconds(10));
    if (!status.ok()) return status;
  }
  processes_.erase(it);
  return absl::OkStatus();
}

absl::Status Stack::StartService(const std::string& name) { return Launch(name); }

std::string Stack::LogTail(const std::string& name) const {
  std::ifstream in(absl::StrCat(dir_, "/", name, ".log"));
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
}

Stack::~Stack() {
  // Gateway first, so that nothing new reaches the backends while they stop.
  if (auto it = processes_.find("gateway"); it != processes_.end()) {
    it->second->Terminate(absl::Seconds(5)).IgnoreError();
    processes_.erase(it);
  }
  for (auto& [name, process] : processes_) process->Terminate(absl::Seconds(5)).IgnoreError();
  processes_.clear();
  if (!dir_.empty() && std::getenv("LOYALTY_KEEP_E2E") == nullptr) {
    std::string command = absl::StrCat("rm -rf '", dir_, "'");
    if (std::system(command.c_str()) != 0) {
      // Leftover temp files are harmless; nothing to do.
    }
  }
}

}  // namespace loyalty::e2e
