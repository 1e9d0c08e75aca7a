#pragma once

// W3C Trace Context (`traceparent`) values.

#include "absl/strings/string_view.h"
#include <optional>
#include <string>
#include <string_view>

namespace loyalty {

struct TraceParent {
  std::string trace_id;   // 32 lower-case hex digits, not all zero
  std::string parent_id;  // 16 lower-case hex digits, not all zero
  bool sampled = false;

  // A fresh trace with a random id and span.
  static TraceParent NewRoot();
  // Parses "00-<trace>-<parent>-<flags>"; nullopt when malformed.
  static std::optional<TraceParent> Parse(absl::string_view header);
  // The same trace with a new span id: what a service passes downstream.
  TraceParent Child() const;
  std::string ToHeader() const;
};

}  // namespace loyalty
