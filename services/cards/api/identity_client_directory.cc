#include "services/cards/api/identity_client_directory.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "libs/common/errors.h"
#include "libs/rpc/channel.h"
#include "libs/rpc/status.h"

namespace loyalty::cards {

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
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::UnavailableError(
          absl::StrCat("identity service unavailable: ", status.error_message()));
    default:
      return rpc::FromGrpcStatus(status);
  }
}

}  // namespace loyalty::cards
