#pragma once

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "loyalty/identity/v1/identity_service.grpc.pb.h"
#include "services/cards/api/client_directory.h"

namespace loyalty::cards {

// Asks identity's GetClient, forwarding the caller's context (program,
// role, trace) so that identity scopes the lookup to the caller's program.
class IdentityClientDirectory final : public ClientDirectory {
 public:
  static constexpr absl::Duration kDefaultTimeout = absl::Seconds(3);

  explicit IdentityClientDirectory(
      std::unique_ptr<identity::v1::IdentityService::StubInterface> stub,
      absl::Duration timeout = kDefaultTimeout)
      : stub_(std::move(stub)), timeout_(timeout) {}

  // Dials `address` (host:port) lazily: the first call connects.
  static std::unique_ptr<IdentityClientDirectory> Dial(const std::string& address);

  absl::Status CheckClient(const rpc::CallContext& call, absl::string_view client_id) override;

 private:
  std::unique_ptr<identity::v1::IdentityService::StubInterface> stub_;
  absl::Duration timeout_;
};

}  // namespace loyalty::cards
