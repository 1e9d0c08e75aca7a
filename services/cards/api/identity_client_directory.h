#pragma once

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "loyalty/identity/v1/identity_service.grpc.pb.h"
#include "loyalty/identity/v1/tags_service.grpc.pb.h"
#include "services/cards/api/client_directory.h"
#include "services/cards/api/client_tags.h"

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

// Identity's TagsService, called with the operation's program (roles are
// the gateway's business; this is a service-to-service call).
class IdentityClientTags final : public ClientTags {
 public:
  static constexpr absl::Duration kDefaultTimeout = absl::Seconds(10);

  explicit IdentityClientTags(std::unique_ptr<identity::v1::TagsService::StubInterface> stub,
                              absl::Duration timeout = kDefaultTimeout)
      : stub_(std::move(stub)), timeout_(timeout) {}

  // Dials `address` (host:port) lazily: the first call connects.
  static std::unique_ptr<IdentityClientTags> Dial(const std::string& address);

  absl::Status CheckTag(const rpc::CallContext& call, absl::string_view tag_id) override;
  absl::StatusOr<std::vector<std::string>> ChangeTag(const rpc::CallContext& call,
                                                     absl::string_view tag_id,
                                                     const std::vector<std::string>& client_ids,
                                                     bool remove) override;

 private:
  std::unique_ptr<identity::v1::TagsService::StubInterface> stub_;
  absl::Duration timeout_;
};

}  // namespace loyalty::cards
