#pragma once

// Unary gRPC calls to the platform's services with serialized messages, so
// that one code path serves every routed method.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace grpc {
class Channel;
class ClientContext;
}  // namespace grpc

namespace loyalty::gateway {

struct BackendCall {
  std::string backend;  // process name, e.g. "cards"
  std::string method;   // "/loyalty.cards.v1.CardsService/GetCard"
  std::string request;  // serialized request message
  std::vector<std::pair<std::string, std::string>> metadata;
  absl::Duration timeout = absl::Seconds(10);
};

class Backend {
 public:
  // `response` is the serialized response message when status is OK.
  // Called once, on any thread, possibly before Call returns.
  using Done = std::function<void(grpc::Status status, std::string response)>;

  virtual ~Backend() = default;
  virtual void Call(BackendCall call, Done done) = 0;
};

// The largest answer a backend may send: an operation's result file
// (loyalty.operations.v1.FileContent, at most kMaxResultFileBytes of
// content) plus room for the message around it.
inline constexpr int kMaxBackendResponseBytes = (64 << 20) + (1 << 20);

// One channel per backend, shared by every call; calls are asynchronous
// (gRPC callback API), so no thread waits on a backend.
class GrpcBackends final : public Backend {
 public:
  // name -> host:port
  explicit GrpcBackends(const absl::flat_hash_map<std::string, std::string>& addresses);
  ~GrpcBackends() override;
  GrpcBackends(const GrpcBackends&) = delete;
  GrpcBackends& operator=(const GrpcBackends&) = delete;

  void Call(BackendCall call, Done done) override;

  // Cancels every call in flight (shutdown after the grace period).
  void CancelAll();
  // Waits until no call is in flight or `timeout` passes; true when idle.
  bool WaitIdle(absl::Duration timeout);

  // name -> channel, for health checks.
  std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>> Channels() const;

 private:
  struct Pending;
  struct Endpoint;

  void Finish(Pending* pending, const grpc::Status& status);

  absl::flat_hash_map<std::string, std::unique_ptr<Endpoint>> endpoints_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<Pending*> pending_ ABSL_GUARDED_BY(mu_);
  int finishing_ ABSL_GUARDED_BY(mu_) = 0;  // answered, being freed
};

}  // namespace loyalty::gateway
