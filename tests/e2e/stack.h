#pragma once

// The whole platform started for an end-to-end test: throwaway PostgreSQL
// and Redis, every service binary and the gateway as separate processes on
// free ports, and a demo program with API keys created through them.

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/http/client.h"
#include "libs/testing/postgres_server.h"
#include "libs/testing/process.h"
#include "libs/testing/redis_server.h"
#include "tools/admin/bootstrap.h"

namespace loyalty::e2e {

class Stack final {
 public:
  // Starts everything and waits until the gateway reports every backend
  // ready. A start that does not get ready (typically a free port picked
  // for a service was taken by another process before the service bound
  // it, with other suites running in parallel) is torn down and tried
  // again on new ports, up to three times.
  static absl::StatusOr<std::unique_ptr<Stack>> Start();
  ~Stack();

  const admin::DemoProgram& demo() const { return demo_; }
  const std::string& gateway_url() const { return gateway_url_; }
  testing::PostgresServer& postgres() { return *postgres_; }

  // An HTTP call to the gateway with the given API key (none when empty).
  absl::StatusOr<http::Response> Call(const std::string& method, const std::string& path,
                                      const std::string& body, const std::string& api_key);

  // host:port of a backend's gRPC server, for tests that call a service
  // directly rather than through the gateway. Empty for unknown names.
  std::string GrpcAddress(const std::string& name) const;

  // Stops (SIGKILL when `crash`, else SIGTERM) and restarts one service.
  // StartService returns once the process runs, not once it serves: callers
  // retry UNAVAILABLE, as they would in production.
  absl::Status StopService(const std::string& name, bool crash);
  absl::Status StartService(const std::string& name);

  // A second program with its own admin key, for isolation tests.
  absl::StatusOr<admin::DemoProgram> CreateProgram(const std::string& env_path);

  // Polls /readyz until it answers 200.
  absl::Status WaitReady(absl::Duration timeout);

  // Where notifications' local provider writes every transactional
  // message (one file each), for tests that read what a client received.
  std::string pickup_dir() const { return dir_ + "/messages"; }

  // Tail of a service's log, for failure messages.
  std::string LogTail(const std::string& name) const;

 private:
  Stack() = default;
  static absl::StatusOr<std::unique_ptr<Stack>> StartOnce();
  absl::Status Launch(const std::string& name);

  std::string dir_;
  std::unique_ptr<testing::PostgresServer> postgres_;
  std::unique_ptr<testing::RedisServer> redis_;
  std::map<std::string, int> grpc_ports_;
  std::map<std::string, std::unique_ptr<testing::ChildProcess>> processes_;
  int gateway_port_ = 0;
  std::string gateway_url_;
  admin::DemoProgram demo_;
};

// A valid JSON-escaped random suffix, for unique phones and numbers.
std::string UniqueDigits(int count);

}  // namespace loyalty::e2e
