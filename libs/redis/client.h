#pragma once

// A synchronous Redis client with timeouts and reconnection.
//
// Redis holds only derived or disposable data (caches, streams that are
// re-fed from the outbox), so every failure is reported as UNAVAILABLE and
// the next call reconnects.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct redisContext;

namespace loyalty::redis {

struct Reply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus };
  Type type = Type::kNil;
  std::string text;  // kString, kStatus
  int64_t integer = 0;
  std::vector<Reply> elements;
};

struct ClientOptions {
  std::string address;  // host:port
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration command_timeout = absl::Seconds(2);
};

class Client final {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Runs one command. Redis error replies become FAILED_PRECONDITION with
  // Redis's message; I/O problems UNAVAILABLE.
  absl::StatusOr<Reply> Command(const std::vector<std::string>& args);

  // Sends every command before reading any reply: one round trip for all.
  // One result per command, in order, each as Command would give it; after
  // an I/O failure the commands not answered are UNAVAILABLE (they may or
  // may not have run).
  std::vector<absl::StatusOr<Reply>> Pipeline(const std::vector<std::vector<std::string>>& commands);

  absl::Status Ping();

 private:
  absl::Status EnsureConnected();
  void Disconnect();

  ClientOptions options_;
  std::mutex mutex_;
  redisContext* context_ = nullptr;
};

}  // namespace loyalty::redis
