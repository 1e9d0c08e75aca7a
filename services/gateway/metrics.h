#pragma once

// The gateway's Prometheus metrics, declared once. Labels are bounded:
// the route label is the path template, never the path, and unknown HTTP
// methods collapse into "OTHER".

#include <string>

#include "absl/strings/string_view.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace loyalty::gateway {

class GatewayMetrics final {
 public:
  explicit GatewayMetrics(prometheus::Registry& registry);

  void RequestStarted();
  void RequestFinished(absl::string_view method, absl::string_view route, int status,
                       double seconds);
  void AuthCacheLookup(bool hit);

  // Prometheus text exposition of the registry.
  std::string Render() const;

 private:
  prometheus::Registry& registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Gauge& in_flight_;
  prometheus::Counter& auth_cache_hits_;
  prometheus::Counter& auth_cache_misses_;
};

// The method as a label value: known methods as is, others "OTHER".
std::string MethodLabel(absl::string_view method);

}  // namespace loyalty::gateway
