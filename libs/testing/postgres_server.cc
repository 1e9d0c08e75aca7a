#include "libs/testing/postgres_server.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "libs/testing/ports.h"

namespace loyalty::testing {
namespace {

constexpr char kDefaultBinDir[] = "/usr/lib/postgresql/15/bin";
// The system user that runs the server when the test runs as root.
constexpr char kServerUser[] = "postgres";
constexpr absl::Duration kReadyTimeout = absl::Seconds(30);
constexpr absl::Duration kStopGrace = absl::Seconds(30);
constexpr absl::Duration kInitdbTimeout = absl::Seconds(120);
constexpr absl::Duration kQueryTimeout = absl::Seconds(120);
constexpr int kLaunchAttempts = 3;
// sun_path holds 108 bytes, including "/.s.PGSQL.NNNNN" and the terminator.
constexpr std::size_t kMaxSocketDirLength = 90;

std::string BinDir() {
  const char* env = std::getenv("LOYALTY_PG_BINDIR");
  return env != nullptr && env[0] != '\0' ? env : std::string(kDefaultBinDir);
}

bool KeepTestDirs() {
  const char* env = std::getenv("LOYALTY_KEEP_TEST_DIRS");
  return env != nullptr && env[0] != '\0';
}

// Quotes a libpq connection-string value when it needs it.
std::string ConninfoValue(absl::string_view value) {
  const bool plain = !value.empty() &&
                     value.find_first_of(" \t\n'\\") == absl::string_view::npos;
  if (plain) return std::string(value);
  return absl::StrCat(
      "'", absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"'", "\\'"}}), "'");
}

std::string QuoteIdentifier(absl::string_view name) {
  return absl::StrCat("\"", absl::StrReplaceAll(name, {{"\"", "\"\""}}), "\"");
}

// Every directory above `dir` must let `uid`/`gid` search it, or the server,
// running as that user, cannot reach its own data directory.
absl::Status CheckReachable(const std::string& dir, uid_t uid, gid_t gid) {
  std::filesystem::path path = std::filesystem::path(dir).parent_path();
  while (true) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("stat ", path.string(), ": ", std::strerror(errno)));
    }
    const bool searchable = (st.st_uid == uid && (st.st_mode & S_IXUSR)) ||
                            (st.st_gid == gid && (st.st_mode & S_IXGRP)) ||
                            (st.st_mode & S_IXOTH);
    if (!searchable) {
      return absl::FailedPreconditionError(absl::StrCat(
          "user ", kServerUser, " cannot search ", path.string(),
          ", so PostgreSQL could not reach its data under ", dir,
          "; run `chmod o+x ", path.string(), "` or point TMPDIR elsewhere"));
    }
    if (!path.has_parent_path() || path.parent_path() == path) break;
    path = path.parent_path();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  const std::string bin_dir = BinDir();
  for (const char* tool : {"initdb", "postgres", "psql"}) {
    if (auto found = FindExecutable(absl::StrCat(bin_dir, "/", tool));
        !found.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("PostgreSQL binary missing: ", found.status().message(),
                       " (install postgresql-15 or set LOYALTY_PG_BINDIR)"));
    }
  }

  std::string run_as;
  uid_t uid = 0;
  gid_t gid = 0;
  if (::geteuid() == 0) {
    run_as = std::string(kServerUser);
    std::array<char, 4096> buffer;
    passwd pw{};
    passwd* found = nullptr;
    if (::getpwnam_r(run_as.c_str(), &pw, buffer.data(), buffer.size(),
                     &found) != 0 ||
        found == nullptr) {
      return absl::FailedPreconditionError(
          "running as root but there is no `postgres` user to run PostgreSQL "
          "as "
          "(it comes with the postgresql-15 package)");
    }
    uid = found->pw_uid;
    gid = found->pw_gid;
  }

  absl::StatusOr<std::string> dir = MakeTempDir("loyalty-pg-");
  if (!dir.ok()) return dir.status();
  // From here on the destructor removes the directory on every error path.
  std::unique_ptr<PostgresServer> server(
      new PostgresServer(bin_dir, *dir, run_as));

  if (!run_as.empty()) {
    if (::chown(dir->c_str(), uid, gid) != 0) {
      return absl::InternalError(
          absl::StrCat("chown ", *dir, ": ", std::strerror(errno)));
    }
    if (absl::Status reachable = CheckReachable(*dir, uid, gid);
        !reachable.ok()) {
      return reachable;
    }
  }

  if (absl::Status init = server->InitCluster(); !init.ok()) return init;

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

  if (absl::Status created =
          server->CreateDatabase(std::string(kDefaultDatabase));
      !created.ok()) {
    return created;
  }
  return server;
}

PostgresServer::~PostgresServer() {
  if (process_ != nullptr)
    process_->Terminate(absl::Seconds(10), SIGINT).IgnoreError();
  if (KeepTestDirs()) return;
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string PostgresServer::data_dir() const {
  return absl::StrCat(dir_, "/data");
}

std::string PostgresServer::log_path() const {
  return absl::StrCat(dir_, "/postgres.log");
}

std::string PostgresServer::ConnectionString(std::string_view database) const {
  return absl::StrCat(
      "host=127.0.0.1 port=", port_, " user=", kUser, " dbname=",
      ConninfoValue(absl::string_view(database.data(), database.size())),
      " connect_timeout=2");
}

absl::Status PostgresServer::InitCluster() {
  // C.UTF-8 gives upper()/lower() and character classes beyond ASCII while
  // sorting bytewise like C; plain C is the fallback where it is missing.
  std::string errors;
  for (const char* locale : {"C.UTF-8", "C"}) {
    ProcessOptions initdb;
    initdb.binary = absl::StrCat(bin_dir_, "/initdb");
    initdb.args = {"-D",           data_dir(),
                   "-U",           std::string(kUser),
                   "--auth=trust", "-E",
                   "UTF8",         absl::StrCat("--locale=", locale),
                   "--no-sync",    "--no-instructions"};
    initdb.run_as_user = run_as_;
    initdb.working_dir = dir_;
    absl::StatusOr<CommandResult> result = RunCommand(initdb, kInitdbTimeout);
    if (!result.ok()) return result.status();
    std::ofstream(absl::StrCat(dir_, "/initdb.log"), std::ios::app)
        << "initdb --locale=" << locale << " exited with status "
        << result->exit_code << "\n"
        << result->stdout_text << result->stderr_text;
    if (result->exit_code == 0) return absl::OkStatus();
    absl::StrAppend(&errors, "initdb --locale=", locale, " exited with status ",
                    result->exit_code, ":\n", result->stdout_text,
                    result->stderr_text);
    // initdb removes what it created on failure; make sure before retrying.
    std::error_code ignored;
    std::filesystem::remove_all(data_dir(), ignored);
  }
  return absl::InternalError(errors);
}

absl::Status PostgresServer::Launch() {
  ProcessOptions options;
  options.binary = absl::StrCat(bin_dir_, "/postgres");
  const std::string socket_dir = dir_.size() <= kMaxSocketDirLength ? dir_ : "";
  options.args = {"-D", data_dir(), "-p", absl::StrCat(port_), "-k", socket_dir,
                  "-c", "listen_addresses=127.0.0.1",
                  // Test data is thrown away: durability only costs time.
                  "-c", "fsync=off", "-c", "synchronous_commit=off", "-c",
                  "full_page_writes=off", "-c", "max_connections=200"};
  options.log_path = log_path();
  options.run_as_user = run_as_;
  options.working_dir = dir_;
  absl::StatusOr<std::unique_ptr<ChildProcess>> process =
      ChildProcess::Start(options);
  if (!process.ok()) return process.status();
  process_ = *std::move(process);

  const absl::Time deadline = absl::Now() + kReadyTimeout;
  absl::Duration poll = absl::Milliseconds(5);
  while (true) {
    if (!process_->Running()) {
      return absl::InternalError(absl::StrCat(
          "postgres exited with status ", process_->exit_code().value_or(-1),
          " while starting on port ", port_, "; end of ", log_path(), ":\n",
          TailOfFile(log_path())));
    }
    // A bare TCP check first: cheap, and a connection that sends nothing
    // leaves no trace in the server log.
    if (TcpPortAccepts(port_, absl::Milliseconds(200)) &&
        Query("select 1", "postgres").ok()) {
      return absl::OkStatus();
    }
    if (absl::Now() >= deadline) break;
    absl::SleepFor(poll);
    poll = std::min(poll * 2, absl::Milliseconds(100));
  }
  process_->Kill();
  return absl::DeadlineExceededError(
      absl::StrCat("postgres did not accept connections on port ", port_,
                   " within ", absl::FormatDuration(kReadyTimeout), "; end of ",
                   log_path(), ":\n", TailOfFile(log_path())));
}

absl::Status PostgresServer::CreateDatabase(std::string name) {
  if (name.empty() || name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("bad database name");
  }
  absl::StatusOr<std::string> done = Query(
      absl::StrCat("CREATE DATABASE ", QuoteIdentifier(name)), "postgres");
  return done.status();
}

absl::StatusOr<std::string> PostgresServer::Query(std::string_view sql,
                                                  std::string_view database) {
  ProcessOptions psql;
  psql.binary = absl::StrCat(bin_dir_, "/psql");
  psql.args = {"-X", "-q",
               "-A", "-t",
               "-v", "ON_ERROR_STOP=1",
               "-d", ConnectionString(database),
               "-c", std::string(sql)};
  absl::StatusOr<CommandResult> result = RunCommand(psql, kQueryTimeout);
  if (!result.ok()) return result.status();
  if (result->exit_code == 0) return std::move(result->stdout_text);
  const std::string message =
      absl::StrCat("psql on port ", port_, " exited with status ",
                   result->exit_code, ": ", result->stderr_text);
  // psql exits with 2 when the connection fails or breaks.
  if (result->exit_code == 2) return absl::UnavailableError(message);
  if (absl::StrContains(result->stderr_text, "already exists")) {
    return absl::AlreadyExistsError(message);
  }
  return absl::InternalError(message);
}

bool PostgresServer::Running() {
  return process_ != nullptr && process_->Running();
}

absl::Status PostgresServer::Stop() {
  if (process_ == nullptr) return absl::OkStatus();
  absl::Status stopped = process_->Terminate(kStopGrace, SIGINT);
  if (!stopped.ok()) {
    return absl::Status(stopped.code(),
                        absl::StrCat(stopped.message(), "; end of ", log_path(),
                                     ":\n", TailOfFile(log_path())));
  }
  return absl::OkStatus();
}

absl::Status PostgresServer::Restart() {
  if (Running()) {
    if (absl::Status stopped = Stop(); !stopped.ok()) return stopped;
  }
  return Launch();
}

}  // namespace loyalty::testing
