#pragma once

#include <sys/types.h>

#include <csignal>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace loyalty::testing {

// Environment entries added to (and overriding) the inherited environment.
using EnvList = std::vector<std::pair<std::string, std::string>>;

// What to run and how; shared by ChildProcess::Start and RunCommand.
struct ProcessOptions {
  // A path, or a bare name looked up in $PATH.
  std::string binary;
  // argv[1..]; argv[0] is `binary` as given.
  std::vector<std::string> args;
  // Added to the environment of this process, replacing same-named entries.
  EnvList extra_env;
  // ChildProcess only: stdout and stderr are appended to this file (created
  // if missing). Empty sends them to /dev/null. RunCommand ignores it.
  std::string log_path;
  // Runs the child as this user (its uid and primary group, no supplementary
  // groups). Only root may name another user; empty keeps the current one.
  // PostgreSQL refuses to run as root, hence this.
  std::string run_as_user;
  // Directory the child starts in; empty keeps the current one.
  std::string working_dir;
  // SIGKILL the child when its parent goes away, so that a crashed or
  // timed-out test (ctest SIGKILLs those) leaves no server behind. Linux
  // tracks the *thread* that started the child: start long-lived children
  // from a thread that outlives them (the test's main thread, as in SetUp),
  // or turn this off.
  bool die_with_parent = true;
};

// The outcome of a command run to completion.
struct CommandResult {
  // The exit status, or 128 + N when the command died of signal N.
  int exit_code = 0;
  std::string stdout_text;
  std::string stderr_text;
};

// A child process in its own process group, started with fork/exec. When
// the process ends, whatever is left of its group is SIGKILLed. Its
// stdin is /dev/null; no descriptor of ours other than 0-2 survives the exec.
// Signal mask and ignored signals are reset in the child, so a test binary
// that blocks or ignores signals does not pass that on to the servers it
// starts.
//
// Not thread-safe: one owner drives it.
class ChildProcess final {
 public:
  // Starts `binary` with `args`, the inherited environment plus `extra_env`,
  // stdout and stderr appended to `log_path`. FAILED_PRECONDITION when the
  // binary is missing or cannot be executed, INTERNAL for system errors.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      std::string binary, std::vector<std::string> args, EnvList extra_env,
      std::string log_path);
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      ProcessOptions options);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Kills the process group if the process still runs (see Kill()).
  ~ChildProcess();

  // Also the id of its process group.
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // True until the process has exited; reaps it once it has.
  bool Running();

  // Once it has been reaped: its exit status, or 128 + N when it died of
  // signal N. Empty while it runs.
  std::optional<int> exit_code() const;

  // Waits up to `timeout` for the process to exit by itself. OK if it exited
  // with status 0; INTERNAL naming the exit status or signal otherwise;
  // DEADLINE_EXCEEDED if it still runs (it is left running).
  absl::Status Wait(absl::Duration timeout);

  // Sends `signal` to the process (not its group: a server shuts its own
  // children down), waits up to `grace` for it to exit, then SIGKILLs the
  // whole group. Returns
  //  - OK if it exited with status 0 or died of `signal` itself;
  //  - DEADLINE_EXCEEDED if it had to be killed after `grace`;
  //  - INTERNAL naming the status if it ended any other way, including before
  //    this call.
  // In every case the process is gone and reaped afterwards. Calling it again
  // reports how it ended by the rules above (a process killed after `grace`
  // then counts as killed by SIGKILL: INTERNAL). PostgreSQL wants SIGINT (fast
  // shutdown).
  absl::Status Terminate(absl::Duration grace, int signal = SIGTERM);

  // SIGKILLs the whole process group and reaps the process. Safe to repeat.
  void Kill();

 private:
  friend absl::StatusOr<CommandResult> RunCommand(const ProcessOptions& options,
                                                  absl::Duration timeout);

  ChildProcess(pid_t pid, std::string log_path)
      : pid_(pid), log_path_(std::move(log_path)) {}

  // Reaps the process if it has exited, blocking up to `timeout`. True once
  // it is reaped.
  bool Reap(absl::Duration timeout);

  pid_t pid_;
  std::string log_path_;
  std::optional<int> wait_status_;  // Set once reaped.
  std::optional<int> sent_signal_;  // Set by Terminate.
};

// Runs a command to completion with stdout and stderr captured separately.
// Fails only when it cannot start (see ChildProcess::Start) or does not end
// within `timeout` (DEADLINE_EXCEEDED; its group is killed): a non-zero exit
// is reported in the result, not as an error.
absl::StatusOr<CommandResult> RunCommand(const ProcessOptions& options,
                                         absl::Duration timeout);

// Like RunCommand, but any non-zero exit is an INTERNAL error that carries
// the command's stderr. Returns stdout.
absl::StatusOr<std::string> RunCommandForOutput(const ProcessOptions& options,
                                                absl::Duration timeout);

// Resolves `name` to an executable path: names with a '/' are checked as
// they are, bare names are looked up in $PATH. NOT_FOUND if there is none.
absl::StatusOr<std::string> FindExecutable(std::string_view name);

// One attempt to open a TCP connection to 127.0.0.1:`port` within
// `timeout`; the connection is closed again.
bool TcpPortAccepts(int port, absl::Duration timeout);

// Polls TCP connections to 127.0.0.1:`port` until one succeeds (OK) or
// `timeout` passes (DEADLINE_EXCEEDED).
absl::Status WaitForTcpPort(int port, absl::Duration timeout);

// Creates a new directory (mode 0700) named `prefix` plus six random
// characters under $TMPDIR, or /tmp when that is unset. Returns its path.
absl::StatusOr<std::string> MakeTempDir(std::string_view prefix);

// Up to the last `max_bytes` of a file, starting at a line boundary, for
// error messages; empty if the file cannot be read.
std::string TailOfFile(const std::string& path, std::size_t max_bytes = 4096);

}  // namespace loyalty::testing
