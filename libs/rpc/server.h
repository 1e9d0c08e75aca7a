#pragma once

// Everything a service process needs around its gRPC handlers: the server
// itself, grpc.health.v1 reflecting the reachability of its dependencies,
// reflection, Prometheus metrics (go-grpc-prometheus names) on an HTTP port,
// background tasks, and a graceful stop on SIGTERM/SIGINT.

#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace loyalty::rpc {

// grpc.health.v1 service name that answers SERVING while the server runs,
// whatever its dependencies say: the liveness probe of orchestrators. The
// empty name ("") follows the dependencies (readiness), so an outage of
// PostgreSQL or Redis takes replicas out of rotation without restarting
// them.
inline constexpr char kLivenessHealthService[] = "liveness";

// Servers close each connection after this age (plus a grace for calls in
// flight), so that clients re-resolve DNS and spread calls over replicas
// added since they connected.
inline constexpr absl::Duration kMaxConnectionAge = absl::Minutes(5);

// Idle threads the synchronous gRPC server keeps (server.cc says why).
inline constexpr int kMaxIdleServerThreads = 64;

// Blocks SIGTERM and SIGINT in the calling thread and every thread started
// after it, so that ServiceHost can wait for them synchronously. Call first
// thing in main().
void BlockTerminationSignals();

struct ServiceHostOptions {
  std::string service_name;
  std::string grpc_address;     // host:port; port 0 picks a free one
  std::string metrics_address;  // host:port for GET /metrics; empty: none
  absl::Duration shutdown_grace = absl::Seconds(10);
  // How long to keep serving after reporting NOT_SERVING, so that load
  // balancers stop sending calls before the server refuses them.
  absl::Duration shutdown_drain = absl::ZeroDuration();
  absl::Duration health_interval = absl::Seconds(1);
};

class ServiceHost final {
 public:
  ServiceHost(ServiceHostOptions options,
              std::shared_ptr<prometheus::Registry> registry);
  ~ServiceHost();
  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;

  // Registers a gRPC service; it must outlive the host.
  void AddService(grpc::Service* service);

  // A dependency that must answer for the service to report SERVING.
  void AddReadinessCheck(std::string name, std::function<absl::Status()> check);

  // Work that runs beside the server (outbox relay, consumers) until stop
  // is requested at shutdown.
  void AddBackgroundTask(std::string name,
                         std::function<void(std::stop_token)> task);

  // Starts serving. The bound port is then available from grpc_port().
  absl::Status Start();
  int grpc_port() const { return grpc_port_; }

  // Blocks until SIGTERM/SIGINT or RequestShutdown(), then stops: reports
  // NOT_SERVING, lets calls in flight finish within the grace period, stops
  // background tasks.
  void WaitAndShutdown();
  void RequestShutdown();

  // Start() then WaitAndShutdown().
  absl::Status Run();

 private:
  void CheckHealth();

  ServiceHostOptions options_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<grpc::Service*> services_;
  std::vector<std::pair<std::string, std::function<absl::Status()>>> checks_;
  std::vector<std::pair<std::string, std::function<void(std::stop_token)>>> tasks_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::vector<std::jthread> threads_;
  std::once_flag shutdown_once_;
  absl::Notification shutdown_requested_;
  int grpc_port_ = 0;
  bool serving_ = false;
};

}  // namespace loyalty::rpc
