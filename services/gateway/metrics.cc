#include "services/gateway/metrics.h"

#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace loyalty::gateway {
namespace {

prometheus::Family<prometheus::Counter>& AuthCache(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("loyalty_gateway_auth_cache_lookups_total")
      .Help("API key lookups in the gateway's credential cache, by result.")
      .Register(registry);
}

}  // namespace

GatewayMetrics::GatewayMetrics(prometheus::Registry& registry)
    : registry_(registry),
      requests_(prometheus::BuildCounter()
                    .Name("loyalty_http_requests_total")
                    .Help("HTTP requests served, by method, route template and status.")
                    .Register(registry)),
      durations_(prometheus::BuildHistogram()
                     .Name("loyalty_http_request_duration_seconds")
                     .Help("Time from a complete request to its response, by route.")
                     .Register(registry)),
      in_flight_(prometheus::BuildGauge()
                     .Name("loyalty_http_in_flight_requests")
                     .Help("HTTP requests being processed.")
                     .Register(registry)
                     .Add({})),
      auth_cache_hits_(AuthCache(registry).Add({{"result", "hit"}})),
      auth_cache_misses_(AuthCache(registry).Add({{"result", "miss"}})) {}

void GatewayMetrics::RequestStarted() { in_flight_.Increment(); }

void GatewayMetrics::RequestFinished(absl::string_view method, absl::string_view route, int status,
                                     double seconds) {
  in_flight_.Decrement();
  std::string method_label = MethodLabel(method);
  requests_
      .Add(
          {{"method", method_label}, {"route", std::string(route)}, {"code", absl::StrCat(status)}})
      .Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  durations_.Add({{"method", method_label}, {"route", std::string(route)}}, kBuckets)
      .Observe(seconds);
}

void GatewayMetrics::AuthCacheLookup(bool hit) {
  (hit ? auth_cache_hits_ : auth_cache_misses_).Increment();
}

std::string GatewayMetrics::Render() const {
  return prometheus::TextSerializer().Serialize(registry_.Collect());
}

std::string MethodLabel(absl::string_view method) {
  for (absl::string_view known : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    if (method == known) return std::string(method);
  }
  return "OTHER";
}

}  // namespace loyalty::gateway
