#include "libs/testing/redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/testing/ports.h"

namespace loyalty::testing {
namespace {

constexpr absl::Duration kReadyTimeout = absl::Seconds(30);
constexpr absl::Duration kStopGrace = absl::Seconds(10);
constexpr int kLaunchAttempts = 3;

bool KeepTestDirs() {
  const char* env = std::getenv("LOYALTY_KEEP_TEST_DIRS");
  return env != nullptr && env[0] != '\0';
}

// Sends one inline command over a new connection and returns the first line
// of the reply without its CRLF (e.g. "+PONG"). Enough for the few
// administrative commands the harness needs; tests talk to Redis through the
// project's own client.
absl::StatusOr<std::string> InlineCommand(int port, absl::string_view command,
                                          absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  const auto left_ms = [&] {
    return static_cast<int>(std::max<int64_t>(
        0, absl::ToInt64Milliseconds(deadline - absl::Now())));
  };
  const int fd =
      ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  const auto unavailable = [&](absl::string_view what) {
    return absl::UnavailableError(
        absl::StrCat("redis on port ", port, ": ", what));
  };

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) !=
      0) {
    if (errno != EINPROGRESS) return unavailable(std::strerror(errno));
    pollfd pfd{fd, POLLOUT, 0};
    if (::poll(&pfd, 1, left_ms()) <= 0)
      return unavailable("connect timed out");
    int err = 0;
    socklen_t len = sizeof(err);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      return unavailable(std::strerror(err));
    }
  }

  const std::string request = absl::StrCat(command, "\r\n");
  std::size_t sent = 0;
  while (sent < request.size()) {
    pollfd pfd{fd, POLLOUT, 0};
    if (::poll(&pfd, 1, left_ms()) <= 0) return unavailable("send timed out");
    const ssize_t n =
        ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return unavailable(std::strerror(errno));
    if (n > 0) sent += static_cast<std::size_t>(n);
  }

  std::string reply;
  while (!absl::StrContains(reply, "\r\n")) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, left_ms()) <= 0) return unavailable("no reply in time");
    char buffer[512];
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0) return unavailable("connection closed");
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return unavailable(std::strerror(errno));
    if (n > 0) reply.append(buffer, static_cast<std::size_t>(n));
  }
  reply.resize(reply.find("\r\n"));
  return reply;
}

absl::Status Expect(int port, absl::string_view command,
                    absl::string_view expected, absl::Duration timeout) {
  absl::StatusOr<std::string> reply = InlineCommand(port, command, timeout);
  if (!reply.ok()) return reply.status();
  if (*reply != expected) {
    return absl::UnavailableError(absl::StrCat(
        "redis on port ", port, " answered ", command, " with '", *reply, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start() {
  absl::StatusOr<std::string> binary = FindExecutable("redis-server");
  if (!binary.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        binary.status().message(), " (install the redis-server package)"));
  }
  absl::StatusOr<std::string> dir = MakeTempDir("loyalty-redis-");
  if (!dir.ok()) return dir.status();
  std::unique_ptr<RedisServer> server(new RedisServer(*binary, *dir));

  absl::Status launched;
  for (int attempt = 0; attempt < kLaunchAttempts; ++attempt) {
    // Another process may grab the picked port before the server binds it.
    server->port_ = PickFreePort();
    launched = server->Launch();
    if (launched.ok() ||
        !absl::StrContains(launched.message(), "Address already in use"))
      break;
  }
  if (!launched.ok()) return launched;
  return server;
}

RedisServer::~RedisServer() {
  if (process_ != nullptr) process_->Terminate(kStopGrace).IgnoreError();
  if (KeepTestDirs()) return;
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string RedisServer::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::string RedisServer::log_path() const {
  return absl::StrCat(dir_, "/redis.log");
}

absl::Status RedisServer::Ping(absl::Duration timeout) {
  return Expect(port_, "PING", "+PONG", timeout);
}

absl::Status RedisServer::FlushAll(absl::Duration timeout) {
  return Expect(port_, "FLUSHALL", "+OK", timeout);
}

absl::Status RedisServer::Launch() {
  ProcessOptions options;
  options.binary = binary_;
  options.args = {"--port",       absl::StrCat(port_),
                  "--bind",       "127.0.0.1",
                  "--save",       "",
                  "--appendonly", "no",
                  "--dir",        dir_,
                  "--daemonize",  "no"};
  options.log_path = log_path();
  options.working_dir = dir_;
  absl::StatusOr<std::unique_ptr<ChildProcess>> process =
      ChildProcess::Start(options);
  if (!process.ok()) return process.status();
  process_ = *std::move(process);

  const absl::Time deadline = absl::Now() + kReadyTimeout;
  absl::Duration poll = absl::Milliseconds(2);
  while (true) {
    if (!process_->Running()) {
      return absl::InternalError(absl::StrCat(
          "redis-server exited with status ",
          process_->exit_code().value_or(-1), " while starting on port ", port_,
          "; end of ", log_path(), ":\n", TailOfFile(log_path())));
    }
    if (Ping(absl::Milliseconds(500)).ok()) return absl::OkStatus();
    if (absl::Now() >= deadline) break;
    absl::SleepFor(poll);
    poll = std::min(poll * 2, absl::Milliseconds(50));
  }
  process_->Kill();
  return absl::DeadlineExceededError(
      absl::StrCat("redis-server did not answer PING on port ", port_,
                   " within ", absl::FormatDuration(kReadyTimeout), "; end of ",
                   log_path(), ":\n", TailOfFile(log_path())));
}

bool RedisServer::Running() {
  return process_ != nullptr && process_->Running();
}

absl::Status RedisServer::Stop() {
  if (process_ == nullptr) return absl::OkStatus();
  absl::Status stopped = process_->Terminate(kStopGrace);
  if (!stopped.ok()) {
    return absl::Status(stopped.code(),
                        absl::StrCat(stopped.message(), "; end of ", log_path(),
                                     ":\n", TailOfFile(log_path())));
  }
  return absl::OkStatus();
}

absl::Status RedisServer::Restart() {
  if (Running()) {
    if (absl::Status stopped = Stop(); !stopped.ok()) return stopped;
  }
  return Launch();
}

}  // namespace loyalty::testing
