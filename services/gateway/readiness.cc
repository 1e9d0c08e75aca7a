#include "services/gateway/readiness.h"

#include "absl/synchronization/blocking_counter.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace loyalty::gateway {

HealthMonitor::HealthMonitor(Backends backends, absl::Duration interval)
    : backends_(std::move(backends)), interval_(interval), serving_(backends_.size(), false) {}

HealthMonitor::~HealthMonitor() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void HealthMonitor::Start() {
  thread_ = std::thread([this] { Loop(); });
}

std::vector<std::string> HealthMonitor::Unready() const {
  std::vector<std::string> unready;
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < backends_.size(); ++i) {
    if (!serving_[i]) unready.push_back(backends_[i].first);
  }
  return unready;
}

void HealthMonitor::Loop() {
  do {
    absl::Time round_start = absl::Now();
    CheckAll();
    absl::Duration left = interval_ - (absl::Now() - round_start);
    if (left < absl::ZeroDuration()) left = absl::ZeroDuration();
    if (stop_.WaitForNotificationWithTimeout(left)) break;
  } while (!stop_.HasBeenNotified());
}

void HealthMonitor::CheckAll() {
  // All backends are probed at once, each bounded by the interval, so one
  // slow backend neither delays the others nor piles up probes.
  struct Probe {
    std::unique_ptr<grpc::health::v1::Health::Stub> stub;
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    bool serving = false;
  };
  std::vector<std::unique_ptr<Probe>> probes;
  absl::BlockingCounter remaining(static_cast<int>(backends_.size()));
  for (const auto& backend : backends_) {
    auto probe = std::make_unique<Probe>();
    probe->context.set_deadline(absl::ToChronoTime(absl::Now() + interval_));
    Probe* raw = probe.get();
    raw->stub = grpc::health::v1::Health::NewStub(backend.second);
    raw->stub->async()->Check(&raw->context, &raw->request, &raw->response,
                              [raw, &remaining](const grpc::Status& status) {
                                raw->serving = status.ok() &&
                                               raw->response.status() ==
                                                   grpc::health::v1::HealthCheckResponse::SERVING;
                                remaining.DecrementCount();
                              });
    probes.push_back(std::move(probe));
  }
  remaining.Wait();
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < probes.size(); ++i) serving_[i] = probes[i]->serving;
}

}  // namespace loyalty::gateway
