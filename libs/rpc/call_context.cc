#include "absl/strings/string_view.h"
#include "libs/rpc/call_context.h"

#include "absl/strings/ascii.h"
#include "grpcpp/client_context.h"
#include "libs/common/random_ids.h"
#include "grpcpp/server_context.h"

namespace loyalty::rpc {
namespace {

std::string Metadata(const grpc::ServerContext& server, absl::string_view key) {
  const auto& metadata = server.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

void AddIfSet(grpc::ClientContext& client, absl::string_view key,
              const std::string& value) {
  if (!value.empty()) client.AddMetadata(std::string(key), value);
}

}  // namespace

CallContext ReadCallContext(const grpc::ServerContext& server) {
  CallContext context;
  context.program_id = Metadata(server, kProgramIdKey);
  context.role = Metadata(server, kRoleKey);
  context.store_id = Metadata(server, kStoreIdKey);
  context.partner_id = Metadata(server, kPartnerIdKey);
  context.principal_id = Metadata(server, kPrincipalIdKey);
  context.principal_kind = Metadata(server, kPrincipalKindKey);
  context.request_id = Metadata(server, kRequestIdKey);
  std::optional<TraceParent> trace =
      TraceParent::Parse(Metadata(server, kTraceParentKey));
  context.trace = trace ? *trace : TraceParent::NewRoot();
  return context;
}

absl::StatusOr<CallContext> ReadProgramCallContext(
    const grpc::ServerContext& server) {
  CallContext context = ReadCallContext(server);
  if (context.program_id.empty()) {
    return absl::UnauthenticatedError(
        "call names no program (metadata x-loyalty-program-id)");
  }
  if (!IsUuid(context.program_id)) {
    return absl::UnauthenticatedError("metadata x-loyalty-program-id is not a program id");
  }
  context.program_id = absl::AsciiStrToLower(context.program_id);
  return context;
}

void WriteCallContext(const CallContext& context, grpc::ClientContext& client) {
  AddIfSet(client, kProgramIdKey, context.program_id);
  AddIfSet(client, kRoleKey, context.role);
  AddIfSet(client, kStoreIdKey, context.store_id);
  AddIfSet(client, kPartnerIdKey, context.partner_id);
  AddIfSet(client, kPrincipalIdKey, context.principal_id);
  AddIfSet(client, kPrincipalKindKey, context.principal_kind);
  AddIfSet(client, kRequestIdKey, context.request_id);
  client.AddMetadata(std::string(kTraceParentKey), context.trace.Child().ToHeader());
}

}  // namespace loyalty::rpc
