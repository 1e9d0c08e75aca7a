#pragma once

// HTTP routes derived from the `google.api.http` annotations of the
// compiled-in service descriptors; nothing here is written by hand per
// method.

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/gateway/path_template.h"

namespace google::protobuf {
class MethodDescriptor;
class ServiceDescriptor;
}  // namespace google::protobuf

namespace google::api {
class HttpRule;
}  // namespace google::api

namespace loyalty::gateway {

struct Route {
  std::string http_method;  // upper case: GET, POST, PUT, PATCH, DELETE, ...
  PathTemplate path;
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string grpc_path;  // "/loyalty.cards.v1.CardsService/GetCard"
  std::string backend;    // owning process, e.g. "cards"; see backend_id_field
  // Set (to a path variable) for contracts that several services serve,
  // whose routes have no fixed backend: the request goes to the service
  // named by the prefix of that variable's value ("cards-<uuid>" -> cards).
  std::string backend_id_field;
  std::string body;           // "", "*" or a top-level request field name
  std::string response_body;  // "" or a top-level response field name
  // Values of loyalty.api.v1.Role allowed by (loyalty.api.v1.access); empty
  // means nobody (deny by default).
  std::vector<int> allowed_roles;
  // (loyalty.api.v1.access).allow_anonymous: called without credentials
  // (the operator login); no principal is checked or forwarded.
  bool allow_anonymous = false;
};

// One route from one rule (additional_bindings are not followed here).
// Validates the rule against the method: path variables and the body name
// request fields, response_body a response field. `backend` names the
// process that serves the method.
absl::StatusOr<Route> MakeRoute(const google::protobuf::MethodDescriptor* method,
                                const google::api::HttpRule& rule, std::string backend);

class RouteTable final {
 public:
  // AlreadyExists when a route with the same method and path shape exists:
  // two methods behind one URL would make routing depend on order.
  absl::Status Add(Route route);

  struct Lookup {
    const Route* route = nullptr;  // null: no route for this method
    PathBindings bindings;
    // Methods of the routes whose path matched; non-empty with a null
    // route means 405 rather than 404.
    std::vector<std::string> allowed_methods;
  };
  // The most specific route (see PathTemplate::MoreSpecificThan) whose
  // method and path match.
  Lookup Find(absl::string_view http_method, const RequestPath& path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;  // most specific first
};

// Every service of a `loyalty.*` proto file linked into the binary.
std::vector<const google::protobuf::ServiceDescriptor*> LinkedLoyaltyServices();

// "loyalty.cards.v1" -> "cards". InvalidArgument for other package shapes.
absl::StatusOr<std::string> BackendOfPackage(absl::string_view package);

// Long-running operations: every service that starts them serves this
// package itself (there is no "operations" process), and operation ids
// name their owner ("cards-<uuid>"). Its routes take the backend from
// their `{id}` path variable.
inline constexpr absl::string_view kOperationsPackage = "loyalty.operations.v1";

// The backend a matched request goes to: the route's own, or for a route
// with a backend_id_field the owner its id names, which must be one of
// `known` (NOT_FOUND naming the id otherwise, so that ids cannot send
// calls anywhere else).
absl::StatusOr<std::string> BackendOfRequest(const Route& route, const PathBindings& bindings,
                                             const absl::flat_hash_set<std::string>& known);

// Routes of every method carrying a google.api.http option (and its
// additional_bindings). Methods without the option are internal and never
// routed. Routes of kOperationsPackage must bind `{id}`.
absl::StatusOr<RouteTable> BuildRouteTable(
    absl::Span<const google::protobuf::ServiceDescriptor* const> services);

}  // namespace loyalty::gateway
