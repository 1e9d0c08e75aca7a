#pragma once

// Who a call is made by and what it belongs to, carried in gRPC metadata.
//
// The gateway derives these from the caller's credentials; services pass
// them on to the services they call. A service refuses a call that names no
// program, and scopes every query by the program it names.

#include "absl/strings/string_view.h"
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "libs/common/trace.h"

namespace grpc {
class ClientContext;
class ServerContext;
}  // namespace grpc

namespace loyalty::rpc {

inline constexpr absl::string_view kProgramIdKey = "x-loyalty-program-id";
inline constexpr absl::string_view kRoleKey = "x-loyalty-role";
inline constexpr absl::string_view kStoreIdKey = "x-loyalty-store-id";
inline constexpr absl::string_view kPartnerIdKey = "x-loyalty-partner-id";
inline constexpr absl::string_view kPrincipalIdKey = "x-loyalty-principal-id";
// What the principal id names: kPrincipalKindOperator or kPrincipalKindApiKey.
inline constexpr absl::string_view kPrincipalKindKey = "x-loyalty-principal-kind";
inline constexpr absl::string_view kPrincipalKindOperator = "operator";
inline constexpr absl::string_view kPrincipalKindApiKey = "api_key";
inline constexpr absl::string_view kRequestIdKey = "x-request-id";
inline constexpr absl::string_view kTraceParentKey = "traceparent";

struct CallContext {
  std::string program_id;
  std::string role;          // e.g. "ROLE_POS"
  std::string store_id;      // set for store-bound credentials
  std::string partner_id;    // set for partner-bound credentials
  std::string principal_id;  // API key or operator id, for audit
  std::string principal_kind;  // kPrincipalKind*; empty without credentials
  std::string request_id;
  TraceParent trace;
};

// Reads the context of an incoming call. A missing or malformed traceparent
// starts a new trace. Does not check that a program is named.
CallContext ReadCallContext(const grpc::ServerContext& server);

// As ReadCallContext, but UNAUTHENTICATED when no program is named.
absl::StatusOr<CallContext> ReadProgramCallContext(const grpc::ServerContext& server);

// Writes `context` into an outgoing call, with a child span of its trace.
void WriteCallContext(const CallContext& context, grpc::ClientContext& client);

}  // namespace loyalty::rpc
