#pragma once

// Readiness of the backends, as their grpc.health.v1 service reports it,
// checked in the background so that /readyz answers from memory.

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace loyalty::gateway {

class Readiness {
 public:
  virtual ~Readiness() = default;
  // Names of the backends not known to be SERVING; empty when ready.
  virtual std::vector<std::string> Unready() const = 0;
};

class HealthMonitor final : public Readiness {
 public:
  using Backends = std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>>;

  // Every backend counts as unready until its first check answers.
  HealthMonitor(Backends backends, absl::Duration interval);
  ~HealthMonitor() override;  // stops and joins the checker
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  void Start();
  std::vector<std::string> Unready() const override;

 private:
  void Loop();
  void CheckAll();

  Backends backends_;
  absl::Duration interval_;
  absl::Notification stop_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<bool> serving_ ABSL_GUARDED_BY(mu_);
};

}  // namespace loyalty::gateway
