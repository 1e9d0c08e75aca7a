#include "services/gateway/backend.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "libs/operations/operation.h"
#include "libs/rpc/channel.h"

namespace loyalty::gateway {

static_assert(kMaxBackendResponseBytes >= operations::kMaxResultFileBytes + (1 << 20),
              "the gateway must take a whole result file");

struct GrpcBackends::Endpoint {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;
};

// Everything a call needs until its completion callback has run.
struct GrpcBackends::Pending {
  grpc::ClientContext context;
  std::string method;  // the stub keeps a pointer to it
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
  Done done;
};

GrpcBackends::GrpcBackends(const absl::flat_hash_map<std::string, std::string>& addresses) {
  for (const auto& [name, address] : addresses) {
    auto endpoint = std::make_unique<Endpoint>();
    endpoint->channel = loyalty::rpc::DialService(address, kMaxBackendResponseBytes);
    endpoint->stub = std::make_unique<grpc::GenericStub>(endpoint->channel);
    endpoints_.emplace(name, std::move(endpoint));
  }
}

GrpcBackends::~GrpcBackends() {
  CancelAll();
  WaitIdle(absl::InfiniteDuration());
}

void GrpcBackends::Call(BackendCall call, Done done) {
  auto it = endpoints_.find(call.backend);
  if (it == endpoints_.end()) {
    done(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      absl::StrCat("no address configured for service ", call.backend)),
         "");
    return;
  }
  auto* pending = new Pending;
  pending->method = std::move(call.method);
  pending->done = std::move(done);
  pending->context.set_deadline(absl::ToChronoTime(absl::Now() + call.timeout));
  for (const auto& [key, value] : call.metadata) {
    pending->context.AddMetadata(key, value);
  }
  grpc::Slice slice(call.request);
  pending->request = grpc::ByteBuffer(&slice, 1);
  {
    absl::MutexLock lock(&mu_);
    pending_.insert(pending);
  }
  it->second->stub->UnaryCall(
      &pending->context, pending->method, grpc::StubOptions(), &pending->request,
      &pending->response, [this, pending](const grpc::Status& status) { Finish(pending, status); });
}

void GrpcBackends::Finish(Pending* pending, const grpc::Status& status) {
  std::string response;
  if (status.ok()) {
    std::vector<grpc::Slice> slices;
    if (pending->response.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        response.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
  }
  // Still registered while `done` runs, so that WaitIdle() also waits for
  // the hand-over of the result, not just for the network part.
  pending->done(status, std::move(response));
  {
    absl::MutexLock lock(&mu_);
    pending_.erase(pending);  // CancelAll no longer reaches it
    ++finishing_;
  }
  // The context holds the call and the call holds the channel: it must go
  // before WaitIdle lets the destructor drop the channels. Otherwise this
  // (gRPC callback) thread may drop a channel's last reference, and gRPC
  // 1.51 cannot shut a channel down from its own callback threads (a
  // double free in the callback completion queue, seen in
  // gateway_grpctest under load; fixed upstream in grpc/grpc#32584).
  delete pending;
  absl::MutexLock lock(&mu_);
  --finishing_;
}

void GrpcBackends::CancelAll() {
  absl::MutexLock lock(&mu_);
  for (Pending* pending : pending_) pending->context.TryCancel();
}

bool GrpcBackends::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return pending_.empty() && finishing_ == 0;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>> GrpcBackends::Channels() const {
  std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>> out;
  for (const auto& [name, endpoint] : endpoints_) out.emplace_back(name, endpoint->channel);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace loyalty::gateway
