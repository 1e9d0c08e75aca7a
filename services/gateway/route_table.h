#pragma once

// HTTP routes derived from the `google.api.http` annotations of the
// compiled-in service descriptors; nothing here is written by hand per
// method.

#include <string>
#include <vector>

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
  std::string grpc_path;      // "/loyalty.cards.v1.CardsService/GetCard"
  std::string backend;        // owning process, e.g. "cards"
  std::string body;           // "", "*" or a top-level request field name
  std::string response_body;  // "" or a top-level response field name
  // Values of loyalty.api.v1.Role allowed by (loyalty.api.v1.access); empty
  // means nobody (deny by default).
  std::vector<int> allowed_roles;
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

// Routes of every method carrying a google.api.http option (and its
// additional_bindings). Methods without the option are internal and never
// routed.
absl::StatusOr<RouteTable> BuildRouteTable(
    absl::Span<const google::protobuf::ServiceDescriptor* const> services);

}  // namespace loyalty::gateway
