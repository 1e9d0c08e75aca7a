#pragma once

// The request pipeline: ops endpoints, route lookup, authentication and
// authorisation, transcoding, the backend call, the error shape, access log
// and metrics. Independent of the HTTP server, so tests drive it directly.

#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "services/gateway/http_types.h"

namespace google::protobuf {
class DynamicMessageFactory;
}  // namespace google::protobuf

namespace loyalty::gateway {

class Authenticator;
class Backend;
class GatewayMetrics;
class Readiness;
class RouteTable;
struct Principal;

struct GatewayOptions {
  absl::Duration backend_timeout = absl::Seconds(10);
  // Backends an operation id may name (see BackendOfRequest).
  absl::flat_hash_set<std::string> backends;
};

class Gateway final : public HttpHandler {
 public:
  // Every dependency must outlive the gateway and every call it started.
  Gateway(const RouteTable& routes, Authenticator& authenticator, Backend& backend,
          const Readiness& readiness, GatewayMetrics& metrics, GatewayOptions options);
  ~Gateway() override;
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  void Handle(HttpRequest request, Done done) override;

 private:
  struct Exchange;

  bool HandleOps(Exchange& exchange, const std::string& path);
  void OnAuthenticated(const std::shared_ptr<Exchange>& exchange, const Principal& principal);
  void OnBackendReply(Exchange& exchange, int code, const std::string& message,
                      const std::string& details, const std::string& response);
  void Finish(Exchange& exchange, HttpResponse response);

  const RouteTable& routes_;
  Authenticator& authenticator_;
  Backend& backend_;
  const Readiness& readiness_;
  GatewayMetrics& metrics_;
  GatewayOptions options_;
  // Builds request/response messages for generated and (in tests) dynamic
  // descriptors alike; thread-safe.
  std::unique_ptr<google::protobuf::DynamicMessageFactory> factory_;
};

}  // namespace loyalty::gateway
