#include "absl/strings/string_view.h"
#include "libs/common/log.h"

#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/common/json.h"

namespace loyalty::log {
namespace {

std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};
// Set once at start-up before threads exist; read-only afterwards.
std::string& ServiceName() {
  static std::string* name = new std::string("loyalty");
  return *name;
}

thread_local Context t_context;

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

void AppendField(std::string& out, absl::string_view key, absl::string_view value,
                 bool raw) {
  out.push_back(',');
  AppendJsonString(out, key);
  out.push_back(':');
  if (raw) {
    out.append(value.data(), value.size());
  } else {
    AppendJsonString(out, value);
  }
}

}  // namespace

void Init(absl::string_view service_name, absl::string_view level) {
  ServiceName() = std::string(service_name);
  Level parsed = Level::kInfo;
  if (level == "debug") parsed = Level::kDebug;
  if (level == "warn") parsed = Level::kWarn;
  if (level == "error") parsed = Level::kError;
  g_min_level.store(static_cast<int>(parsed));
}

ScopedContext::ScopedContext(Context context) : previous_(std::move(t_context)) {
  t_context = std::move(context);
}

ScopedContext::~ScopedContext() { t_context = std::move(previous_); }

const Context& CurrentContext() { return t_context; }

bool Enabled(Level level) {
  return static_cast<int>(level) >= g_min_level.load(std::memory_order_relaxed);
}

std::string FormatLine(Level level, absl::string_view message,
                       std::initializer_list<Field> fields,
                       const Context& context) {
  std::string line = "{\"ts\":";
  AppendJsonString(line, absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(),
                                          absl::UTCTimeZone()));
  AppendField(line, "level", LevelName(level), false);
  AppendField(line, "service", ServiceName(), false);
  AppendField(line, "msg", message, false);
  if (!context.trace_id.empty()) AppendField(line, "trace_id", context.trace_id, false);
  if (!context.span_id.empty()) AppendField(line, "span_id", context.span_id, false);
  if (!context.request_id.empty()) {
    AppendField(line, "request_id", context.request_id, false);
  }
  if (!context.program_id.empty()) {
    AppendField(line, "program_id", context.program_id, false);
  }
  if (!context.method.empty()) AppendField(line, "method", context.method, false);
  for (const Field& field : fields) {
    AppendField(line, field.key, field.value, field.raw);
  }
  line += "}\n";
  return line;
}

void Write(Level level, absl::string_view message,
           std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::string line = FormatLine(level, message, fields, t_context);
  // One write(2) per line keeps lines from different threads whole.
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t written = ::write(STDERR_FILENO, data, left);
    if (written <= 0) break;
    data += written;
    left -= static_cast<size_t>(written);
  }
}

}  // namespace loyalty::log
