#include "services/cards/api/identity_client_directory.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "libs/common/errors.h"
#include "libs/rpc/channel.h"
#include "libs/rpc/status.h"

namespace loyalty::cards {

namespace {

// Identity's answer as this service's: passing trouble (an outage, a
// deadline, a conflict or overload worth retrying) becomes UNAVAILABLE, so
// that an operation's chunk is retried rather than its items failed.
absl::Status FromIdentity(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return absl::UnavailableError(
          absl::StrCat("identity service unavailable: ", status.error_message()));
    default:
      return rpc::FromGrpcStatus(status);
  }
}

}  // namespace

std::unique_ptr<IdentityClientDirectory> IdentityClientDirectory::Dial(const std::string& address) {
  return std::make_unique<IdentityClientDirectory>(
      identity::v1::IdentityService::NewStub(rpc::DialService(address)));
}

absl::Status IdentityClientDirectory::CheckClient(const rpc::CallContext& call,
                                                  absl::string_view client_id) {
  grpc::ClientContext context;
  rpc::WriteCallContext(call, context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  identity::v1::GetClientRequest request;
  request.set_client_id(std::string(client_id));
  identity::v1::Client client;
  grpc::Status status = stub_->GetClient(&context, request, &client);
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::INVALID_ARGUMENT:
      // Identity's answer is about the id we passed on: the caller's field.
      return InvalidField("client_id", "no such client in this program");
    default:
      return FromIdentity(status);
  }
}


std::unique_ptr<IdentityClientTags> IdentityClientTags::Dial(const std::string& address) {
  return std::make_unique<IdentityClientTags>(
      identity::v1::TagsService::NewStub(rpc::DialService(address)));
}

absl::Status IdentityClientTags::CheckTag(const rpc::CallContext& call, absl::string_view tag_id) {
  grpc::ClientContext context;
  rpc::WriteCallContext(call, context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  identity::v1::GetTagRequest request;
  request.set_tag_id(std::string(tag_id));
  identity::v1::Tag tag;
  return FromIdentity(stub_->GetTag(&context, request, &tag));
}

absl::StatusOr<std::vector<std::string>> IdentityClientTags::ChangeTag(
    const rpc::CallContext& call, absl::string_view tag_id,
    const std::vector<std::string>& client_ids, bool remove) {
  grpc::ClientContext context;
  rpc::WriteCallContext(call, context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  identity::v1::ChangeTagClientsRequest request;
  request.set_tag_id(std::string(tag_id));
  for (const std::string& id : client_ids) request.add_client_ids(id);
  identity::v1::ChangeTagClientsResponse response;
  const grpc::Status status = remove ? stub_->RemoveTag(&context, request, &response)
                                     : stub_->AssignTag(&context, request, &response);
  if (!status.ok()) return FromIdentity(status);
  std::vector<std::string> unknown;
  for (const identity::v1::ClientIdError& error : response.errors()) {
    unknown.push_back(error.client_id());
  }
  return unknown;
}

}  // namespace loyalty::cards
