#include "libs/testing/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace loyalty::testing {
namespace {

// Poll intervals while waiting for a process or a port: short, so waits end
// soon after the event, with a cap so a long wait does not spin.
constexpr absl::Duration kFirstPoll = absl::Milliseconds(1);
constexpr absl::Duration kMaxPoll = absl::Milliseconds(25);

std::string ErrnoText(int err) { return std::strerror(err); }

// Closes a descriptor on scope exit.
class Fd final {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status))
    return absl::StrCat("exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return absl::StrCat("killed by signal ", sig,
                        name ? absl::StrCat(" (SIG", name, ")") : "");
  }
  return absl::StrCat("ended with wait status ", status);
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

// Everything the child needs, prepared before fork: after fork only
// async-signal-safe calls are allowed (the parent may have other threads).
struct Prepared {
  std::string path;
  std::vector<std::string> arg_storage;
  std::vector<char*> argv;
  std::vector<std::string> env_storage;
  std::vector<char*> envp;
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string working_dir;
  bool die_with_parent = true;
  pid_t parent = 0;
};

absl::StatusOr<Prepared> Prepare(const ProcessOptions& options) {
  Prepared p;
  auto path = FindExecutable(options.binary);
  if (!path.ok()) return absl::FailedPreconditionError(path.status().message());
  p.path = *std::move(path);

  p.arg_storage.push_back(options.binary);
  p.arg_storage.insert(p.arg_storage.end(), options.args.begin(),
                       options.args.end());
  for (std::string& arg : p.arg_storage) p.argv.push_back(arg.data());
  p.argv.push_back(nullptr);

  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view kv(*entry);
    const std::string_view key = kv.substr(0, kv.find('='));
    const bool overridden =
        std::any_of(options.extra_env.begin(), options.extra_env.end(),
                    [&](const auto& extra) { return extra.first == key; });
    if (!overridden) p.env_storage.emplace_back(kv);
  }
  for (const auto& [key, value] : options.extra_env) {
    if (key.empty() || key.find('=') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad environment variable name '", key, "'"));
    }
    p.env_storage.push_back(absl::StrCat(key, "=", value));
  }
  for (std::string& entry : p.env_storage) p.envp.push_back(entry.data());
  p.envp.push_back(nullptr);

  if (!options.run_as_user.empty()) {
    std::array<char, 4096> buffer;
    passwd pw{};
    passwd* found = nullptr;
    const int rc = ::getpwnam_r(options.run_as_user.c_str(), &pw, buffer.data(),
                                buffer.size(), &found);
    if (rc != 0 || found == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("no such user '", options.run_as_user, "'"));
    }
    if (found->pw_uid != ::geteuid()) {
      if (::geteuid() != 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "only root can run a process as '", options.run_as_user, "'"));
      }
      p.switch_user = true;
      p.uid = found->pw_uid;
      p.gid = found->pw_gid;
    }
  }
  p.working_dir = options.working_dir;
  p.die_with_parent = options.die_with_parent;
  p.parent = ::getpid();
  return p;
}

// Steps of the child's set-up, reported to the parent when one fails.
enum class ChildStep : int { kDup, kChdir, kUser, kParent, kExec };

struct ChildError {
  ChildStep step;
  int err;
};

[[noreturn]] void ChildFail(int report_fd, ChildStep step) {
  const ChildError error{step, errno};
  ssize_t ignored = ::write(report_fd, &error, sizeof(error));
  (void)ignored;
  ::_exit(127);
}

// Moves `fd` out of the 0-2 range so that the dup2 calls below cannot
// clobber one of the descriptors still to be installed.
int AboveStdio(int fd) {
  if (fd > 2) return fd;
  return ::fcntl(fd, F_DUPFD, 3);
}

// Runs in the child after fork; never returns.
[[noreturn]] void ExecChild(const Prepared& p, int in_fd, int out_fd,
                            int err_fd, int report_fd) {
  ::setpgid(0, 0);

  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  }

  in_fd = AboveStdio(in_fd);
  out_fd = AboveStdio(out_fd);
  err_fd = AboveStdio(err_fd);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0 || ::dup2(in_fd, 0) < 0 ||
      ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) {
    ChildFail(report_fd, ChildStep::kDup);
  }

  if (!p.working_dir.empty() && ::chdir(p.working_dir.c_str()) != 0) {
    ChildFail(report_fd, ChildStep::kChdir);
  }
  if (p.switch_user) {
    if (::setgroups(1, &p.gid) != 0 || ::setgid(p.gid) != 0 ||
        ::setuid(p.uid) != 0) {
      ChildFail(report_fd, ChildStep::kUser);
    }
  }
  // After the switch of user, which clears the setting. If the parent died
  // before this, we are already orphaned and must not start.
  if (p.die_with_parent &&
      (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != p.parent)) {
    ChildFail(report_fd, ChildStep::kParent);
  }

  // Nothing of ours but 0-2 may leak into the server (a listening socket of
  // the test would keep its port busy). The report pipe is close-on-exec.
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    const int64_t max_fd = ::sysconf(_SC_OPEN_MAX);
    for (int fd = 3; fd < std::min<int64_t>(max_fd, 65536); ++fd) {
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  }

  ::execve(p.path.c_str(), p.argv.data(), p.envp.data());
  ChildFail(report_fd, ChildStep::kExec);
}

// Forks and execs; returns the pid once the exec has succeeded.
absl::StatusOr<pid_t> Spawn(const Prepared& p, int in_fd, int out_fd,
                            int err_fd) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", ErrnoText(errno)));
  }
  Fd report_read(report[0]);
  Fd report_write(report[1]);

  const pid_t pid = ::fork();
  if (pid < 0)
    return absl::InternalError(absl::StrCat("fork: ", ErrnoText(errno)));
  if (pid == 0) ExecChild(p, in_fd, out_fd, err_fd, report_write.get());

  // Also from the parent, so the group exists before we may signal it.
  ::setpgid(pid, pid);
  report_write.Reset();

  ChildError error{};
  ssize_t n;
  do {
    n = ::read(report_read.get(), &error, sizeof(error));
  } while (n < 0 && errno == EINTR);
  if (n == 0) return pid;  // The pipe closed on exec.

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof(error))) {
    return absl::InternalError(absl::StrCat("starting ", p.path, " failed"));
  }
  std::string what;
  switch (error.step) {
    case ChildStep::kDup:
      what = "redirecting output";
      break;
    case ChildStep::kChdir:
      what = absl::StrCat("chdir to ", p.working_dir);
      break;
    case ChildStep::kUser:
      what = absl::StrCat("switching to uid ", p.uid);
      break;
    case ChildStep::kParent:
      what = "tying it to its parent";
      break;
    case ChildStep::kExec:
      what = "exec";
      break;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot start ", p.path, ": ", what, ": ", ErrnoText(error.err)));
}

absl::StatusOr<Fd*> OpenDevNull(Fd& fd, int flags) {
  fd.Reset(::open("/dev/null", flags | O_CLOEXEC));
  if (fd.get() < 0)
    return absl::InternalError(
        absl::StrCat("open /dev/null: ", ErrnoText(errno)));
  return &fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    std::string binary, std::vector<std::string> args, EnvList extra_env,
    std::string log_path) {
  ProcessOptions options;
  options.binary = std::move(binary);
  options.args = std::move(args);
  options.extra_env = std::move(extra_env);
  options.log_path = std::move(log_path);
  return Start(std::move(options));
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    ProcessOptions options) {
  absl::StatusOr<Prepared> prepared = Prepare(options);
  if (!prepared.ok()) return prepared.status();

  Fd in;
  if (auto opened = OpenDevNull(in, O_RDONLY); !opened.ok())
    return opened.status();
  Fd out;
  if (options.log_path.empty()) {
    if (auto opened = OpenDevNull(out, O_WRONLY); !opened.ok())
      return opened.status();
  } else {
    out.Reset(::open(options.log_path.c_str(),
                     O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (out.get() < 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot open log ", options.log_path, ": ", ErrnoText(errno)));
    }
  }
  absl::StatusOr<pid_t> pid = Spawn(*prepared, in.get(), out.get(), out.get());
  if (!pid.ok()) return pid.status();
  return std::unique_ptr<ChildProcess>(
      new ChildProcess(*pid, std::move(options.log_path)));
}

ChildProcess::~ChildProcess() { Kill(); }

bool ChildProcess::Reap(absl::Duration timeout) {
  if (wait_status_.has_value()) return true;
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration poll = kFirstPoll;
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      wait_status_ = status;
      // Stragglers of a server that died uncleanly would hold its port. Only
      // now, while the group id cannot yet belong to anyone else: later the
      // number may be reused.
      ::kill(-pid_, SIGKILL);
      return true;
    }
    if (r < 0 && errno != EINTR) {
      // ECHILD: someone else reaped it (a SIGCHLD handler set to SIG_IGN, for
      // instance). It is gone; we cannot know how it ended.
      wait_status_ = 0;
      return true;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    absl::SleepFor(std::min(poll, left));
    poll = std::min(poll * 2, kMaxPoll);
  }
}

std::optional<int> ChildProcess::exit_code() const {
  if (!wait_status_.has_value()) return std::nullopt;
  return ExitCodeOf(*wait_status_);
}

bool ChildProcess::Running() { return !Reap(absl::ZeroDuration()); }

absl::Status ChildProcess::Wait(absl::Duration timeout) {
  if (!Reap(timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("process ", pid_, " still running after ",
                     absl::FormatDuration(timeout)));
  }
  if (WIFEXITED(*wait_status_) && WEXITSTATUS(*wait_status_) == 0)
    return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("process ", pid_, " ", DescribeWaitStatus(*wait_status_)));
}

absl::Status ChildProcess::Terminate(absl::Duration grace, int signal) {
  bool killed = false;
  if (!Reap(absl::ZeroDuration())) {
    sent_signal_ = signal;
    ::kill(pid_, signal);
    if (!Reap(grace)) {
      Kill();
      killed = true;
    }
  }
  if (killed) {
    return absl::DeadlineExceededError(absl::StrCat(
        "process ", pid_, " did not exit within ", absl::FormatDuration(grace),
        " of signal ", signal, "; killed"));
  }
  const int status = *wait_status_;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  if (WIFSIGNALED(status) && sent_signal_.has_value() &&
      WTERMSIG(status) == *sent_signal_) {
    return absl::OkStatus();
  }
  return absl::InternalError(
      absl::StrCat("process ", pid_, " ", DescribeWaitStatus(status)));
}

void ChildProcess::Kill() {
  if (wait_status_.has_value()) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);  // In case it left its group.
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  wait_status_ = r == pid_ ? status : 0;
}

absl::StatusOr<CommandResult> RunCommand(const ProcessOptions& options,
                                         absl::Duration timeout) {
  absl::StatusOr<Prepared> prepared = Prepare(options);
  if (!prepared.ok()) return prepared.status();

  Fd in;
  if (auto opened = OpenDevNull(in, O_RDONLY); !opened.ok())
    return opened.status();
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", ErrnoText(errno)));
  }
  Fd out_read(out_pipe[0]);
  Fd out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", ErrnoText(errno)));
  }
  Fd err_read(err_pipe[0]);
  Fd err_write(err_pipe[1]);

  absl::StatusOr<pid_t> spawned =
      Spawn(*prepared, in.get(), out_write.get(), err_write.get());
  if (!spawned.ok()) return spawned.status();
  // Owning the pid makes every early return below kill and reap it.
  std::unique_ptr<ChildProcess> child(new ChildProcess(*spawned, ""));
  out_write.Reset();
  err_write.Reset();

  const absl::Time deadline = absl::Now() + timeout;
  CommandResult result;
  bool out_open = true;
  bool err_open = true;
  while (out_open || err_open) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    pollfd fds[2] = {{out_open ? out_read.get() : -1, POLLIN, 0},
                     {err_open ? err_read.get() : -1, POLLIN, 0}};
    const int ready =
        ::poll(fds, 2, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("poll: ", ErrnoText(errno)));
    }
    char buffer[8192];
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        (i == 0 ? result.stdout_text : result.stderr_text).append(buffer, n);
      } else if (n == 0 || errno != EINTR) {
        (i == 0 ? out_open : err_open) = false;
      }
    }
  }
  const absl::Duration left =
      std::max(deadline - absl::Now(), absl::ZeroDuration());
  if (out_open || err_open || !child->Reap(left)) {
    child->Kill();
    return absl::DeadlineExceededError(
        absl::StrCat(prepared->path, " did not finish within ",
                     absl::FormatDuration(timeout),
                     "; stderr so far: ", result.stderr_text));
  }
  result.exit_code = *child->exit_code();
  return result;
}

absl::StatusOr<std::string> RunCommandForOutput(const ProcessOptions& options,
                                                absl::Duration timeout) {
  absl::StatusOr<CommandResult> result = RunCommand(options, timeout);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(
        absl::StrCat(options.binary, " exited with status ", result->exit_code,
                     ": ", result->stderr_text));
  }
  return std::move(result->stdout_text);
}

absl::StatusOr<std::string> FindExecutable(std::string_view name_view) {
  const absl::string_view name(name_view.data(), name_view.size());
  if (name.empty()) return absl::NotFoundError("empty executable name");
  const auto executable = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
  };
  if (name.find('/') != absl::string_view::npos) {
    std::string path(name);
    if (executable(path)) return path;
    return absl::NotFoundError(
        absl::StrCat(name, " is not an executable file"));
  }
  const char* env_path = std::getenv("PATH");
  const std::string search =
      env_path != nullptr ? env_path : "/usr/local/bin:/usr/bin:/bin";
  for (absl::string_view dir : absl::StrSplit(search, ':')) {
    if (dir.empty()) dir = ".";
    std::string path = absl::StrCat(dir, "/", name);
    if (executable(path)) return path;
  }
  return absl::NotFoundError(
      absl::StrCat(name, " not found in PATH (", search, ")"));
}

bool TcpPortAccepts(int port, absl::Duration timeout) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr),
                sizeof(addr)) == 0) {
    return true;
  }
  if (errno != EINPROGRESS) return false;
  pollfd pfd{fd.get(), POLLOUT, 0};
  int ready;
  do {
    ready =
        ::poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return false;
  int err = 0;
  socklen_t len = sizeof(err);
  return ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
         err == 0;
}

absl::Status WaitForTcpPort(int port, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration poll = kFirstPoll;
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (TcpPortAccepts(
            port, std::clamp(left, absl::Milliseconds(1), absl::Seconds(1)))) {
      return absl::OkStatus();
    }
    const absl::Duration after = deadline - absl::Now();
    if (after <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("nothing accepted connections on 127.0.0.1:", port,
                       " within ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(std::min(poll, after));
    poll = std::min(poll * 2, kMaxPoll);
  }
}

absl::StatusOr<std::string> MakeTempDir(std::string_view prefix_view) {
  const absl::string_view prefix(prefix_view.data(), prefix_view.size());
  const char* tmpdir = std::getenv("TMPDIR");
  std::string base = tmpdir != nullptr && tmpdir[0] != '\0' ? tmpdir : "/tmp";
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  std::string path = absl::StrCat(base, "/", prefix, "XXXXXX");
  if (::mkdtemp(path.data()) == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("mkdtemp ", path, ": ", ErrnoText(errno)));
  }
  return path;
}

std::string TailOfFile(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff start =
      size > static_cast<std::streamoff>(max_bytes)
          ? size - static_cast<std::streamoff>(max_bytes)
          : 0;
  in.seekg(start);
  std::ostringstream text;
  text << in.rdbuf();
  std::string tail = text.str();
  if (start > 0) {
    const std::size_t newline = tail.find('\n');
    if (newline != std::string::npos) tail.erase(0, newline + 1);
  }
  return tail;
}

}  // namespace loyalty::testing
