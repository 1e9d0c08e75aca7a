#pragma once

// The whole gateway wired from its configuration: backends, credentials,
// readiness, metrics, routes, pipeline and HTTP server. main() and the
// in-process integration test both run this.

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/gateway/config.h"

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace loyalty::gateway {

class CachingAuthenticator;
class Gateway;
class GatewayMetrics;
class GrpcBackends;
class HealthMonitor;
class HttpServer;
class IdentityAuthenticator;
class RouteTable;

class GatewayApp final {
 public:
  // Builds the route table from the linked descriptors (fails on a bad
  // annotation or a route to an unconfigured backend).
  static absl::StatusOr<std::unique_ptr<GatewayApp>> Create(GatewayConfig config);
  ~GatewayApp();  // Shutdown()
  GatewayApp(const GatewayApp&) = delete;
  GatewayApp& operator=(const GatewayApp&) = delete;

  absl::Status Start();
  int port() const;
  size_t route_count() const;

  // Graceful stop (see HttpServer::Shutdown), then no backend call is left
  // running. Idempotent.
  void Shutdown();

 private:
  explicit GatewayApp(GatewayConfig config);

  GatewayConfig config_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<GatewayMetrics> metrics_;
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<GrpcBackends> backends_;
  std::unique_ptr<IdentityAuthenticator> identity_;
  std::unique_ptr<CachingAuthenticator> authenticator_;
  std::unique_ptr<HealthMonitor> health_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<HttpServer> server_;
  bool shut_down_ = false;
};

}  // namespace loyalty::gateway
