// Tests of the harness itself, against real PostgreSQL and Redis binaries:
// every other real-server test trusts what is checked here.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/ports.h"
#include "libs/testing/postgres_server.h"
#include "libs/testing/process.h"
#include "libs/testing/redis_server.h"

namespace loyalty::testing {
namespace {

using ::testing::HasSubstr;

// A listening socket on 127.0.0.1, closed on destruction.
class Listener final {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 ||
        ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen: " << std::strerror(errno);
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() {
    if (fd_ >= 0) ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::string TempLog(absl::string_view name) {
  return absl::StrCat(::testing::TempDir(), "/harness_test_", ::getpid(), "_",
                      name, ".log");
}

bool Exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

// True while `pid` runs; a zombie waiting for init to reap it has ended.
bool Alive(pid_t pid) {
  if (!Exists(pid)) return false;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(stat)),
                   std::istreambuf_iterator<char>());
  const std::size_t close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() &&
         text[close + 2] != 'Z';
}

// Starts `sleep 600` from a forked copy of this test that exits right away,
// and returns the pid of the sleep, now orphaned.
pid_t StartSleepFromShortLivedParent(bool die_with_parent) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  const pid_t parent = ::fork();
  if (parent == 0) {
    ::close(fds[0]);
    ProcessOptions options;
    options.binary = "sleep";
    options.args = {"600"};
    options.die_with_parent = die_with_parent;
    auto child = ChildProcess::Start(options);
    const pid_t pid = child.ok() ? (*child)->pid() : -1;
    ssize_t ignored = ::write(fds[1], &pid, sizeof(pid));
    (void)ignored;
    ::_exit(0);  // No destructors: the ChildProcess must not kill it.
  }
  ::close(fds[1]);
  pid_t pid = -1;
  if (::read(fds[0], &pid, sizeof(pid)) != sizeof(pid)) pid = -1;
  ::close(fds[0]);
  int status = 0;
  ::waitpid(parent, &status, 0);
  return pid;
}

// Polls `predicate` for up to `timeout`.
template <typename Predicate>
bool Eventually(Predicate predicate,
                absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (predicate()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return predicate();
}

TEST(PortsTest, PickedPortCanBeBound) {
  const int port = PickFreePort();
  ASSERT_GT(port, 0);
  ASSERT_LT(port, 65536);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
      << std::strerror(errno);
  ::close(fd);
}

TEST(ProcessTest, WritesOutputAndEnvironmentToLog) {
  const std::string log = TempLog("env");
  std::filesystem::remove(log);
  auto child = ChildProcess::Start(
      "/bin/sh",
      {"-c", "echo \"out:$HARNESS_VALUE\"; echo err >&2; echo \"path:$PATH\""},
      {{"HARNESS_VALUE", "forty two"}}, log);
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_TRUE((*child)->Wait(absl::Seconds(10)).ok());
  EXPECT_FALSE((*child)->Running());
  EXPECT_EQ((*child)->exit_code(), 0);
  const std::string text = TailOfFile(log);
  EXPECT_THAT(text, HasSubstr("out:forty two\n"));
  EXPECT_THAT(text, HasSubstr("err\n"));
  // The inherited environment is still there.
  EXPECT_THAT(text, HasSubstr(absl::StrCat("path:", std::getenv("PATH"))));
  std::filesystem::remove(log);
}

TEST(ProcessTest, WaitReportsNonZeroExit) {
  auto child = ChildProcess::Start("/bin/sh", {"-c", "exit 3"}, {}, "");
  ASSERT_TRUE(child.ok()) << child.status();
  const absl::Status status = (*child)->Wait(absl::Seconds(10));
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("exited with status 3"));
  EXPECT_EQ((*child)->exit_code(), 3);
}

TEST(ProcessTest, StartFailsForMissingBinary) {
  auto child = ChildProcess::Start("/nonexistent/loyalty_binary", {}, {}, "");
  EXPECT_EQ(child.status().code(), absl::StatusCode::kFailedPrecondition);
  auto by_name =
      ChildProcess::Start("loyalty-no-such-binary-in-path", {}, {}, "");
  EXPECT_EQ(by_name.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ProcessTest, RunsInItsOwnProcessGroup) {
  auto child = ChildProcess::Start("sleep", {"600"}, {}, "");
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ(::getpgid((*child)->pid()), (*child)->pid());
  EXPECT_NE(::getpgid((*child)->pid()), ::getpgrp());
}

TEST(ProcessTest, TerminateStopsAProcessThatHonoursTheSignal) {
  auto child = ChildProcess::Start("sleep", {"600"}, {}, "");
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_TRUE((*child)->Running());
  const absl::Time start = absl::Now();
  EXPECT_TRUE((*child)->Terminate(absl::Seconds(20)).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_FALSE((*child)->Running());
  EXPECT_FALSE(Exists((*child)->pid()));
}

TEST(ProcessTest, TerminateKillsTheGroupAfterGrace) {
  const std::string log = TempLog("trap");
  std::filesystem::remove(log);
  // The shell ignores SIGTERM and has a child of its own in its group.
  auto child = ChildProcess::Start(
      "/bin/sh",
      {"-c", "trap '' TERM; sleep 600 & echo \"started $!\"; wait; wait"}, {},
      log);
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(
      Eventually([&] { return absl::StrContains(TailOfFile(log), "\n"); }));
  pid_t sleep_pid = 0;
  ASSERT_EQ(std::sscanf(TailOfFile(log).c_str(), "started %d", &sleep_pid), 1);
  const absl::Status status = (*child)->Terminate(absl::Milliseconds(300));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_FALSE((*child)->Running());
  // Nothing of the group survives: its sleep would otherwise linger.
  EXPECT_TRUE(Eventually([&] { return !Alive(sleep_pid); }));
  std::filesystem::remove(log);
}

TEST(ProcessTest, TerminateReportsAnEarlierFailure) {
  auto child = ChildProcess::Start("/bin/sh", {"-c", "exit 7"}, {}, "");
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(Eventually([&] { return !(*child)->Running(); }));
  const absl::Status status = (*child)->Terminate(absl::Seconds(1));
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("status 7"));
}

TEST(ProcessTest, DestructorKillsARunningProcess) {
  pid_t pid = 0;
  {
    auto child = ChildProcess::Start("sleep", {"600"}, {}, "");
    ASSERT_TRUE(child.ok()) << child.status();
    pid = (*child)->pid();
    ASSERT_TRUE(Exists(pid));
  }
  EXPECT_FALSE(Exists(pid));
}

TEST(ProcessTest, ChildDiesWithItsParent) {
  const pid_t pid = StartSleepFromShortLivedParent(/*die_with_parent=*/true);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(Eventually([&] { return !Alive(pid); }));
}

TEST(ProcessTest, ChildCanOutliveItsParent) {
  const pid_t pid = StartSleepFromShortLivedParent(/*die_with_parent=*/false);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(Alive(pid));
  ::kill(pid, SIGKILL);
}

TEST(ProcessTest, KillIsIdempotent) {
  auto child = ChildProcess::Start("sleep", {"600"}, {}, "");
  ASSERT_TRUE(child.ok()) << child.status();
  (*child)->Kill();
  (*child)->Kill();
  EXPECT_FALSE((*child)->Running());
  EXPECT_EQ((*child)->exit_code(), 128 + SIGKILL);
}

TEST(ProcessTest, RunCommandCapturesBothStreamsAndTheExitCode) {
  ProcessOptions options;
  options.binary = "/bin/sh";
  options.args = {"-c", "echo to-out; echo to-err >&2; exit 5"};
  auto result = RunCommand(options, absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 5);
  EXPECT_EQ(result->stdout_text, "to-out\n");
  EXPECT_EQ(result->stderr_text, "to-err\n");

  auto output = RunCommandForOutput(options, absl::Seconds(10));
  EXPECT_EQ(output.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(output.status().message(), HasSubstr("to-err"));
}

TEST(ProcessTest, RunCommandTimesOut) {
  ProcessOptions options;
  options.binary = "sleep";
  options.args = {"600"};
  const absl::Time start = absl::Now();
  auto result = RunCommand(options, absl::Milliseconds(200));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(ProcessTest, RunCommandAsAnotherUserNeedsRoot) {
  ProcessOptions options;
  options.binary = "id";
  options.args = {"-un"};
  const bool root = ::geteuid() == 0;
  options.run_as_user = root ? "nobody" : "root";
  auto output = RunCommandForOutput(options, absl::Seconds(10));
  if (root) {
    ASSERT_TRUE(output.ok()) << output.status();
    EXPECT_EQ(*output, "nobody\n");
  } else {
    EXPECT_EQ(output.status().code(), absl::StatusCode::kFailedPrecondition);
  }
}

TEST(ProcessTest, WaitForTcpPortSeesAListener) {
  Listener listener;
  ASSERT_GT(listener.port(), 0);
  EXPECT_TRUE(TcpPortAccepts(listener.port(), absl::Seconds(1)));
  EXPECT_TRUE(WaitForTcpPort(listener.port(), absl::Seconds(5)).ok());
}

TEST(ProcessTest, WaitForTcpPortTimesOutOnAClosedPort) {
  const int port = PickFreePort();
  const absl::Time start = absl::Now();
  const absl::Status status = WaitForTcpPort(port, absl::Milliseconds(300));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(PostgresServerTest, AnswersQueriesAndSurvivesStopAndRestart) {
  auto server = PostgresServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  PostgresServer& pg = **server;
  const int port = pg.port();
  EXPECT_TRUE(pg.Running());
  EXPECT_EQ(pg.ConnectionString(),
            absl::StrCat("host=127.0.0.1 port=", port,
                         " user=loyalty dbname=loyalty connect_timeout=2"));

  auto one = pg.Query("select 1");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(*one, "1\n");
  auto who = pg.Query("select current_user || ' ' || current_database()");
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(*who, "loyalty loyalty\n");
  auto encoding = pg.Query("show server_encoding");
  ASSERT_TRUE(encoding.ok()) << encoding.status();
  EXPECT_EQ(*encoding, "UTF8\n");

  // An error in SQL is an error, not an empty answer.
  EXPECT_FALSE(pg.Query("select * from no_such_table").ok());

  ASSERT_TRUE(
      pg.Query("create table t (v int); insert into t values (41), (1)").ok());

  ASSERT_TRUE(pg.Stop().ok());
  EXPECT_FALSE(pg.Running());
  EXPECT_FALSE(TcpPortAccepts(port, absl::Milliseconds(500)));
  EXPECT_EQ(pg.Query("select 1").status().code(),
            absl::StatusCode::kUnavailable);
  // Stopping twice is harmless.
  EXPECT_TRUE(pg.Stop().ok());

  ASSERT_TRUE(pg.Restart().ok());
  EXPECT_EQ(pg.port(), port);
  auto sum = pg.Query("select sum(v) from t");
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(*sum, "42\n");
}

TEST(PostgresServerTest, CreatesDatabasesAndCleansUp) {
  std::string dir;
  {
    auto server = PostgresServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    PostgresServer& pg = **server;
    dir = pg.dir();
    EXPECT_TRUE(std::filesystem::exists(pg.data_dir() + "/PG_VERSION"));

    ASSERT_TRUE(pg.CreateDatabase("cards_test").ok());
    EXPECT_EQ(pg.CreateDatabase("cards_test").code(),
              absl::StatusCode::kAlreadyExists);
    auto db = pg.Query("select current_database()", "cards_test");
    ASSERT_TRUE(db.ok()) << db.status();
    EXPECT_EQ(*db, "cards_test\n");
    EXPECT_THAT(pg.ConnectionString("cards_test"),
                HasSubstr(" dbname=cards_test "));

    // Restart while running stops first.
    ASSERT_TRUE(pg.Restart().ok());
    EXPECT_TRUE(pg.Query("select 1", "cards_test").ok());
  }
  if (std::getenv("LOYALTY_KEEP_TEST_DIRS") == nullptr) {
    EXPECT_FALSE(std::filesystem::exists(dir));
  }
}

TEST(PostgresServerTest, TwoServersRunSideBySide) {
  auto first = PostgresServer::Start();
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = PostgresServer::Start();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE((*first)->port(), (*second)->port());
  ASSERT_TRUE((*first)->Query("create table only_in_first (v int)").ok());
  EXPECT_TRUE((*first)->Query("select count(*) from only_in_first").ok());
  EXPECT_FALSE((*second)->Query("select count(*) from only_in_first").ok());
}

TEST(RedisServerTest, AnswersPingAndSurvivesStopAndRestart) {
  std::string dir;
  {
    auto server = RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    RedisServer& redis = **server;
    dir = redis.dir();
    const int port = redis.port();
    EXPECT_EQ(redis.address(), absl::StrCat("127.0.0.1:", port));
    EXPECT_TRUE(redis.Running());
    EXPECT_TRUE(redis.Ping().ok());
    EXPECT_TRUE(redis.FlushAll().ok());

    // redis-cli, when installed, agrees.
    if (FindExecutable("redis-cli").ok()) {
      ProcessOptions cli;
      cli.binary = "redis-cli";
      cli.args = {"-h", "127.0.0.1", "-p", absl::StrCat(port), "ping"};
      auto pong = RunCommandForOutput(cli, absl::Seconds(10));
      ASSERT_TRUE(pong.ok()) << pong.status();
      EXPECT_EQ(*pong, "PONG\n");
    }

    ASSERT_TRUE(redis.Stop().ok());
    EXPECT_FALSE(redis.Running());
    EXPECT_EQ(redis.Ping(absl::Milliseconds(500)).code(),
              absl::StatusCode::kUnavailable);
    EXPECT_FALSE(TcpPortAccepts(port, absl::Milliseconds(500)));
    EXPECT_TRUE(redis.Stop().ok());

    ASSERT_TRUE(redis.Restart().ok());
    EXPECT_EQ(redis.port(), port);
    EXPECT_TRUE(redis.Ping().ok());
    ASSERT_TRUE(redis.Restart().ok());
    EXPECT_TRUE(redis.Ping().ok());
  }
  if (std::getenv("LOYALTY_KEEP_TEST_DIRS") == nullptr) {
    EXPECT_FALSE(std::filesystem::exists(dir));
  }
}

}  // namespace
}  // namespace loyalty::testing
