#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/testing/process.h"

namespace loyalty::testing {

// A throwaway Redis server for tests: `redis-server` (from $PATH) run as a
// child of the test on 127.0.0.1 at a free port, without persistence, its
// working directory and redis.log in a temporary directory that the
// destructor removes (unless $LOYALTY_KEEP_TEST_DIRS is set).
//
// Because nothing is persisted, Restart() comes back empty: exactly the
// "Redis lost its data" case services must survive.
//
// Not thread-safe, except Ping and FlushAll.
class RedisServer final {
 public:
  // Starts the server and returns once it answers PING (at most about 30 s).
  // FAILED_PRECONDITION when redis-server is missing, DEADLINE_EXCEEDED or
  // INTERNAL (with the log tail) when it does not come up.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start();

  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Stops the server and removes its directory.
  ~RedisServer();

  int port() const { return port_; }
  // "127.0.0.1:<port>", the form LOYALTY_REDIS_ADDRESS takes.
  std::string address() const;
  const std::string& dir() const { return dir_; }
  std::string log_path() const;

  // Sends PING over a fresh connection; OK on "+PONG", UNAVAILABLE otherwise.
  absl::Status Ping(absl::Duration timeout = absl::Seconds(2));

  // Deletes every key (FLUSHALL), e.g. between test cases.
  absl::Status FlushAll(absl::Duration timeout = absl::Seconds(10));

  // True while the server process runs.
  bool Running();

  // SIGTERM, waiting up to 10 s before SIGKILL. OK when it shut down cleanly,
  // now or in an earlier Stop().
  absl::Status Stop();

  // Starts the server again on the same port (stopping it first if it runs),
  // empty, and waits until it answers PING.
  absl::Status Restart();

 private:
  RedisServer(std::string binary, std::string dir)
      : binary_(std::move(binary)), dir_(std::move(dir)) {}

  // Starts redis-server on port_ and waits until it answers.
  absl::Status Launch();

  const std::string binary_;
  const std::string dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace loyalty::testing
