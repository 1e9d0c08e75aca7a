#include "services/gateway/app.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "libs/common/log.h"
#include "prometheus/registry.h"
#include "services/gateway/auth.h"
#include "services/gateway/backend.h"
#include "services/gateway/gateway.h"
#include "services/gateway/http_server.h"
#include "services/gateway/metrics.h"
#include "services/gateway/readiness.h"
#include "services/gateway/route_table.h"

namespace loyalty::gateway {

GatewayApp::GatewayApp(GatewayConfig config) : config_(std::move(config)) {}

absl::StatusOr<std::unique_ptr<GatewayApp>> GatewayApp::Create(GatewayConfig config) {
  absl::StatusOr<RouteTable> routes = BuildRouteTable(LinkedLoyaltyServices());
  if (!routes.ok()) return routes.status();
  if (routes->routes().empty()) {
    return absl::FailedPreconditionError(
        "no routes: the service descriptors are not linked into this binary");
  }
  for (const Route& route : routes->routes()) {
    if (route.backend_id_field.empty() && !config.backends.contains(route.backend)) {
      return absl::InvalidArgumentError(
          absl::StrCat(route.method->full_name(), " is routed but service ", route.backend,
                       " has no address (LOYALTY_", route.backend, "_ADDRESS)"));
    }
  }

  std::unique_ptr<GatewayApp> app(new GatewayApp(std::move(config)));
  const GatewayConfig& c = app->config_;
  app->registry_ = std::make_shared<prometheus::Registry>();
  app->metrics_ = std::make_unique<GatewayMetrics>(*app->registry_);
  app->routes_ = std::make_unique<RouteTable>(*std::move(routes));
  app->backends_ = std::make_unique<GrpcBackends>(c.backends);
  app->identity_ = std::make_unique<IdentityAuthenticator>(*app->backends_, c.backend_timeout);
  GatewayMetrics* metrics = app->metrics_.get();
  app->authenticator_ = std::make_unique<CachingAuthenticator>(
      *app->identity_, c.auth_cache_ttl, nullptr,
      [metrics](bool hit) { metrics->AuthCacheLookup(hit); });
  app->health_ = std::make_unique<HealthMonitor>(app->backends_->Channels(), c.health_interval);
  GatewayOptions options{.backend_timeout = c.backend_timeout};
  for (const auto& [name, address] : c.backends) options.backends.insert(name);
  app->gateway_ = std::make_unique<Gateway>(*app->routes_, *app->authenticator_, *app->backends_,
                                            *app->health_, *app->metrics_, std::move(options));
  HttpServerOptions http;
  http.address = c.http_address;
  http.threads = c.http_threads;
  http.header_timeout = c.header_timeout;
  app->server_ = std::make_unique<HttpServer>(http, *app->gateway_);
  return app;
}

GatewayApp::~GatewayApp() { Shutdown(); }

absl::Status GatewayApp::Start() {
  health_->Start();
  return server_->Start();
}

int GatewayApp::port() const { return server_->port(); }

size_t GatewayApp::route_count() const { return routes_->routes().size(); }

void GatewayApp::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  int unanswered = server_->Shutdown(config_.shutdown_grace, [this] { backends_->CancelAll(); });
  if (unanswered > 0) {
    log::Warn("requests unanswered at shutdown", {{"count", unanswered}});
  }
  // Nothing may call back into the pipeline once members start to go.
  backends_->CancelAll();
  backends_->WaitIdle(absl::InfiniteDuration());
}

}  // namespace loyalty::gateway
