#include "libs/rpc/server.h"

#include <signal.h>

#include <cerrno>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "libs/common/log.h"
#include "libs/rpc/grpc_metrics.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"

namespace loyalty::rpc {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ServiceHost::ServiceHost(ServiceHostOptions options,
                         std::shared_ptr<prometheus::Registry> registry)
    : options_(std::move(options)), registry_(std::move(registry)) {}

ServiceHost::~ServiceHost() {
  if (server_) {
    RequestShutdown();
    WaitAndShutdown();
  }
}

void ServiceHost::AddService(grpc::Service* service) {
  services_.push_back(service);
}

void ServiceHost::AddReadinessCheck(std::string name,
                                    std::function<absl::Status()> check) {
  checks_.emplace_back(std::move(name), std::move(check));
}

void ServiceHost::AddBackgroundTask(std::string name,
                                    std::function<void(std::stop_token)> task) {
  tasks_.emplace_back(std::move(name), std::move(task));
}

absl::Status ServiceHost::Start() {
  // Metrics first: if their port is taken we fail before any call can
  // reach handlers that main() may destroy on the way out.
  if (!options_.metrics_address.empty()) {
    try {
      exposer_ = std::make_unique<prometheus::Exposer>(options_.metrics_address);
      exposer_->RegisterCollectable(registry_);
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat(
          "cannot serve metrics on ", options_.metrics_address, ": ", e.what()));
    }
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(kMaxConnectionAge)));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(options_.shutdown_grace)));
  // The synchronous server's threads poll for calls; one that finishes a
  // call exits when more than MAX_POLLERS (default 2) are idle. Under
  // steady concurrency that meant creating and destroying a thread for
  // nearly every call. Keep enough idle threads for the concurrency a
  // service sees.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              kMaxIdleServerThreads);
  builder.AddListeningPort(options_.grpc_address,
                           grpc::InsecureServerCredentials(), &grpc_port_);
  for (grpc::Service* service : services_) builder.RegisterService(service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(MakeGrpcMetricsInterceptorFactory(*registry_));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (!server_ || grpc_port_ == 0) {
    server_.reset();
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", options_.grpc_address));
  }

  CheckHealth();
  threads_.emplace_back([this](std::stop_token stop) {
    while (!stop.stop_requested()) {
      if (shutdown_requested_.WaitForNotificationWithTimeout(options_.health_interval)) {
        return;
      }
      CheckHealth();
    }
  });
  for (auto& [name, task] : tasks_) {
    threads_.emplace_back([name = name, task = task](std::stop_token stop) {
      log::Info("background task started", {{"task", name}});
      task(stop);
      log::Info("background task stopped", {{"task", name}});
    });
  }
  log::Info("serving", {{"grpc_port", grpc_port_},
                        {"metrics_address", options_.metrics_address}});
  return absl::OkStatus();
}

void ServiceHost::CheckHealth() {
  bool healthy = true;
  for (const auto& [name, check] : checks_) {
    absl::Status status = check();
    if (!status.ok()) {
      healthy = false;
      if (serving_) {
        log::Warn("dependency unavailable",
                  {{"dependency", name}, {"error", status.message()}});
      }
    }
  }
  if (healthy != serving_) {
    log::Info(healthy ? "health: serving" : "health: not serving");
  }
  serving_ = healthy;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  health->SetServingStatus(healthy);  // every name, the liveness one too
  health->SetServingStatus(kLivenessHealthService, true);
}

void ServiceHost::RequestShutdown() {
  // Notify() twice aborts; a signal and a caller may race here.
  std::call_once(shutdown_once_, [this] { shutdown_requested_.Notify(); });
}

void ServiceHost::WaitAndShutdown() {
  if (!server_) return;
  // A helper thread turns a termination signal into the notification, so
  // that RequestShutdown() and signals take the same path.
  std::jthread signal_waiter([this](std::stop_token stop) {
    sigset_t set = TerminationSignals();
    timespec poll{0, 200 * 1000 * 1000};
    while (!stop.stop_requested() && !shutdown_requested_.HasBeenNotified()) {
      int signal = sigtimedwait(&set, nullptr, &poll);
      if (signal > 0) {
        log::Info("termination signal received", {{"signal", signal}});
        RequestShutdown();
        return;
      }
    }
  });
  shutdown_requested_.WaitForNotification();
  log::Info("shutting down", {{"grace_ms", absl::ToInt64Milliseconds(options_.shutdown_grace)}});
  server_->GetHealthCheckService()->SetServingStatus(false);
  absl::SleepFor(options_.shutdown_drain);
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoSeconds(options_.shutdown_grace));
  for (std::jthread& thread : threads_) thread.request_stop();
  threads_.clear();  // joins
  server_->Wait();
  server_.reset();
  exposer_.reset();
  log::Info("stopped");
}

absl::Status ServiceHost::Run() {
  if (absl::Status status = Start(); !status.ok()) return status;
  WaitAndShutdown();
  return absl::OkStatus();
}

}  // namespace loyalty::rpc
