#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/testing/process.h"

namespace loyalty::testing {

// A throwaway PostgreSQL server for tests: a fresh cluster in a temporary
// directory, `postgres` run directly as a child of the test (no pg_ctl),
// listening on 127.0.0.1 at a free port, with durability switched off for
// speed (fsync, synchronous_commit, full_page_writes). The role `loyalty` is
// the superuser, authentication is `trust`, and the database `loyalty`
// exists from the start.
//
// Binaries come from $LOYALTY_PG_BINDIR, default /usr/lib/postgresql/15/bin.
// When the test runs as root, initdb and postgres run as the `postgres`
// system user, who then owns the temporary directory; every directory above
// it ($TMPDIR, default /tmp) must be searchable by that user.
//
// The directory holds data/ (the cluster), the Unix socket, postgres.log and
// initdb.log. It is removed by the destructor unless $LOYALTY_KEEP_TEST_DIRS
// is set to a non-empty value.
//
// Not thread-safe, except that Query, CreateDatabase and ConnectionString may
// be called concurrently while nobody calls Stop or Restart.
class PostgresServer final {
 public:
  static constexpr char kUser[] = "loyalty";
  static constexpr char kDefaultDatabase[] = "loyalty";

  // Creates and starts the cluster and the `loyalty` database; returns once
  // `select 1` succeeds (at most about 30 s). FAILED_PRECONDITION when a
  // binary or the `postgres` user is missing or the directory cannot be
  // reached, DEADLINE_EXCEEDED when the server does not become ready, INTERNAL
  // when it exits; messages carry the tail of the server's log.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start();

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Stops the server (fast shutdown, then SIGKILL) and removes the directory.
  ~PostgresServer();

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string data_dir() const;
  std::string log_path() const;

  // A libpq keyword/value connection string, e.g.
  // "host=127.0.0.1 port=5433 user=loyalty dbname=loyalty connect_timeout=2".
  std::string ConnectionString(
      std::string_view database = kDefaultDatabase) const;

  // Creates a database owned by `loyalty`. ALREADY_EXISTS if it does.
  absl::Status CreateDatabase(std::string name);

  // Runs `sql` with psql in `database` (stopping at the first error) and
  // returns its unaligned, tuples-only output, e.g. "1\n" for "select 1".
  // ALREADY_EXISTS when PostgreSQL says something already exists, UNAVAILABLE
  // when it cannot connect, INTERNAL for other SQL errors.
  absl::StatusOr<std::string> Query(
      std::string_view sql, std::string_view database = kDefaultDatabase);

  // True while the postmaster process runs.
  bool Running();

  // Fast shutdown (SIGINT: open sessions are ended, data is written out),
  // waiting up to 30 s before SIGKILL. OK when it shut down cleanly, now or
  // in an earlier Stop(); an error with the log tail when it had to be killed
  // or had died by itself.
  absl::Status Stop();

  // Starts the server again on the same port and data directory (stopping it
  // first if it runs) and waits until it is ready. Fails if something else
  // has taken the port meanwhile.
  absl::Status Restart();

 private:
  PostgresServer(std::string bin_dir, std::string dir, std::string run_as)
      : bin_dir_(std::move(bin_dir)),
        dir_(std::move(dir)),
        run_as_(std::move(run_as)) {}

  absl::Status InitCluster();
  // Starts the postmaster on port_ and waits until it answers.
  absl::Status Launch();

  const std::string bin_dir_;
  const std::string dir_;
  const std::string run_as_;  // Empty: run as ourselves.
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace loyalty::testing
