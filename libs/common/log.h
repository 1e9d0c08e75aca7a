#pragma once

// Structured logging: one JSON object per line on stderr.
//
// Each line carries the service name and, when the calling thread is
// serving a request, the trace id, span id, request id and program id of
// that request (set with ScopedLogContext by the RPC layer).

#include "absl/strings/string_view.h"
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace loyalty::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Configures the process-wide logger. `level` is debug|info|warn|error.
void Init(absl::string_view service_name, absl::string_view level);

// One key/value pair of a log line.
struct Field {
  Field(absl::string_view k, absl::string_view v) : key(k), value(v) {}
  Field(absl::string_view k, const std::string& v) : key(k), value(v) {}
  Field(absl::string_view k, const char* v) : key(k), value(v) {}
  Field(absl::string_view k, int64_t v) : key(k), value(absl::StrCat(v)), raw(true) {}
  Field(absl::string_view k, int v) : key(k), value(absl::StrCat(v)), raw(true) {}
  Field(absl::string_view k, double v) : key(k), value(absl::StrCat(v)), raw(true) {}

  absl::string_view key;
  std::string value;
  bool raw = false;  // emitted unquoted (numbers)
};

// Per-request context attached to every line the thread writes.
struct Context {
  std::string trace_id;
  std::string span_id;
  std::string request_id;
  std::string program_id;
  std::string method;
};

// Installs `context` for the current thread until destroyed.
class ScopedContext final {
 public:
  explicit ScopedContext(Context context);
  ~ScopedContext();
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;

 private:
  Context previous_;
};

// The current thread's context (empty fields outside a request).
const Context& CurrentContext();

bool Enabled(Level level);
void Write(Level level, absl::string_view message,
           std::initializer_list<Field> fields = {});

inline void Debug(absl::string_view m, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, m, f);
}
inline void Info(absl::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kInfo, m, f);
}
inline void Warn(absl::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kWarn, m, f);
}
inline void Error(absl::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kError, m, f);
}

// Formats one line without writing it (exposed for tests).
std::string FormatLine(Level level, absl::string_view message,
                       std::initializer_list<Field> fields,
                       const Context& context);

}  // namespace loyalty::log
