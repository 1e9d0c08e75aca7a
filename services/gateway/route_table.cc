#include "services/gateway/route_table.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/api/http.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor_database.h"
#include "libs/common/errors.h"
#include "libs/operations/operation.h"
#include "loyalty/api/v1/auth.pb.h"
#include "services/gateway/field_path.h"

namespace loyalty::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

absl::Status RuleError(const MethodDescriptor* method, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("http rule of ", method->full_name(), ": ", std::string(what)));
}

// The method and path of a rule, from its `pattern` oneof.
absl::Status PatternOf(const google::api::HttpRule& rule, std::string& method, std::string& path) {
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      method = "GET";
      path = rule.get();
      break;
    case google::api::HttpRule::kPut:
      method = "PUT";
      path = rule.put();
      break;
    case google::api::HttpRule::kPost:
      method = "POST";
      path = rule.post();
      break;
    case google::api::HttpRule::kDelete:
      method = "DELETE";
      path = rule.delete_();
      break;
    case google::api::HttpRule::kPatch:
      method = "PATCH";
      path = rule.patch();
      break;
    case google::api::HttpRule::kCustom:
      method = absl::AsciiStrToUpper(rule.custom().kind());
      path = rule.custom().path();
      break;
    case google::api::HttpRule::PATTERN_NOT_SET:
      return absl::InvalidArgumentError("no HTTP method and path");
  }
  if (method.empty()) return absl::InvalidArgumentError("empty custom method");
  return absl::OkStatus();
}

// Identifies templates that match the same URLs whatever their variables
// are called.
std::string Shape(const Route& route) {
  std::string shape = route.http_method;
  for (const PathTemplate::Segment& segment : route.path.segments()) {
    switch (segment.kind) {
      case PathTemplate::SegmentKind::kLiteral:
        absl::StrAppend(&shape, "/=", segment.literal);
        break;
      case PathTemplate::SegmentKind::kSingle:
        shape += "/*";
        break;
      case PathTemplate::SegmentKind::kMulti:
        shape += "/**";
        break;
    }
  }
  absl::StrAppend(&shape, ":", route.path.verb());
  return shape;
}

}  // namespace

absl::StatusOr<Route> MakeRoute(const MethodDescriptor* method, const google::api::HttpRule& rule,
                                std::string backend) {
  if (method->client_streaming() || method->server_streaming()) {
    return RuleError(method, "streaming methods cannot be routed");
  }
  Route route;
  std::string path;
  if (absl::Status s = PatternOf(rule, route.http_method, path); !s.ok()) {
    return RuleError(method, s.message());
  }
  absl::StatusOr<PathTemplate> parsed = PathTemplate::Parse(path);
  if (!parsed.ok()) return RuleError(method, parsed.status().message());
  route.path = *std::move(parsed);
  route.method = method;
  route.grpc_path = absl::StrCat("/", method->service()->full_name(), "/", method->name());
  route.backend = std::move(backend);
  route.body = rule.body();
  route.response_body = rule.response_body();

  const Descriptor* input = method->input_type();
  for (const PathTemplate::Variable& variable : route.path.variables()) {
    auto fields = ResolveFieldPath(input, variable.field_path, false);
    if (!fields.ok()) return RuleError(method, fields.status().message());
    const FieldDescriptor* leaf = fields->back();
    if (leaf->is_repeated() || !HasTextValue(leaf)) {
      return RuleError(method, absl::StrCat("path variable ", variable.field_path,
                                            " must be a singular scalar field"));
    }
  }
  if (!route.body.empty() && route.body != "*" && input->FindFieldByName(route.body) == nullptr) {
    return RuleError(method,
                     absl::StrCat("body field ", route.body, " not in ", input->full_name()));
  }
  if (!route.response_body.empty() &&
      method->output_type()->FindFieldByName(route.response_body) == nullptr) {
    return RuleError(method, absl::StrCat("response_body field ", route.response_body, " not in ",
                                          method->output_type()->full_name()));
  }
  if (method->options().HasExtension(loyalty::api::v1::access)) {
    const loyalty::api::v1::MethodAccess& access =
        method->options().GetExtension(loyalty::api::v1::access);
    for (int role : access.allowed_roles()) route.allowed_roles.push_back(role);
    route.allow_anonymous = access.allow_anonymous();
    // Roles on an anonymous method would suggest a check that never runs.
    if (route.allow_anonymous && !route.allowed_roles.empty()) {
      return RuleError(method, "allow_anonymous and allowed_roles exclude each other");
    }
  }
  return route;
}

absl::Status RouteTable::Add(Route route) {
  const std::string shape = Shape(route);
  for (const Route& existing : routes_) {
    if (Shape(existing) == shape) {
      return absl::AlreadyExistsError(absl::StrCat(
          route.http_method, " ", route.path.text(), " (", route.method->full_name(),
          ") clashes with ", existing.path.text(), " (", existing.method->full_name(), ")"));
    }
  }
  auto at = std::upper_bound(
      routes_.begin(), routes_.end(), route,
      [](const Route& a, const Route& b) { return a.path.MoreSpecificThan(b.path); });
  routes_.insert(at, std::move(route));
  return absl::OkStatus();
}

RouteTable::Lookup RouteTable::Find(absl::string_view http_method, const RequestPath& path) const {
  Lookup lookup;
  for (const Route& route : routes_) {
    std::optional<PathBindings> bindings = route.path.Match(path);
    if (!bindings) continue;
    if (route.http_method == http_method) {
      lookup.route = &route;
      lookup.bindings = *std::move(bindings);
      lookup.allowed_methods.clear();
      return lookup;
    }
    if (std::find(lookup.allowed_methods.begin(), lookup.allowed_methods.end(),
                  route.http_method) == lookup.allowed_methods.end()) {
      lookup.allowed_methods.push_back(route.http_method);
    }
  }
  std::sort(lookup.allowed_methods.begin(), lookup.allowed_methods.end());
  return lookup;
}

std::vector<const ServiceDescriptor*> LinkedLoyaltyServices() {
  // The generated database knows every file whose generated code is linked
  // in (the gateway links the whole proto library), so services added to
  // the contracts are routed without touching the gateway.
  std::vector<std::string> files;
  google::protobuf::DescriptorPool::internal_generated_database()->FindAllFileNames(&files);
  std::sort(files.begin(), files.end());
  std::vector<const ServiceDescriptor*> services;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& name : files) {
    if (!absl::StartsWith(name, "loyalty/")) continue;
    const google::protobuf::FileDescriptor* file = pool->FindFileByName(name);
    if (file == nullptr) continue;
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  return services;
}

absl::StatusOr<std::string> BackendOfPackage(absl::string_view package) {
  std::vector<std::string> parts = absl::StrSplit(std::string(package), '.');
  if (parts.size() != 3 || parts[0] != "loyalty" || parts[1].empty() || parts[2].size() < 2 ||
      parts[2][0] != 'v') {
    return absl::InvalidArgumentError(absl::StrCat("package ", std::string(package),
                                                   " is not of the form loyalty.<service>.v<N>"));
  }
  return parts[1];
}

absl::StatusOr<std::string> BackendOfRequest(const Route& route, const PathBindings& bindings,
                                             const absl::flat_hash_set<std::string>& known) {
  if (route.backend_id_field.empty()) return route.backend;
  for (const auto& [field, value] : bindings) {
    if (field != route.backend_id_field) continue;
    std::optional<std::string> owner = operations::OwnerOfOperationId(value);
    if (!owner || !known.contains(*owner)) {
      return FieldError(absl::StatusCode::kNotFound, field,
                        absl::StrCat("no operation ", value,
                                     ": its id must start with the name of the service that "
                                     "runs it, e.g. cards-<uuid>"));
    }
    return *owner;
  }
  return absl::InternalError(
      absl::StrCat("route ", route.path.text(), " binds no ", route.backend_id_field));
}

absl::StatusOr<RouteTable> BuildRouteTable(absl::Span<const ServiceDescriptor* const> services) {
  RouteTable table;
  for (const ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor* method = service->method(i);
      if (!method->options().HasExtension(google::api::http)) continue;
      const bool by_id = service->file()->package() == kOperationsPackage;
      absl::StatusOr<std::string> backend = std::string();
      if (!by_id) backend = BackendOfPackage(service->file()->package());
      if (!backend.ok()) return backend.status();
      const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
      std::vector<const google::api::HttpRule*> rules = {&rule};
      for (const google::api::HttpRule& extra : rule.additional_bindings()) {
        if (extra.additional_bindings_size() > 0) {
          return RuleError(method, "additional_bindings must not nest");
        }
        rules.push_back(&extra);
      }
      for (const google::api::HttpRule* one : rules) {
        absl::StatusOr<Route> route = MakeRoute(method, *one, *backend);
        if (!route.ok()) return route.status();
        if (by_id) {
          const auto& variables = route->path.variables();
          if (std::none_of(variables.begin(), variables.end(),
                           [](const PathTemplate::Variable& v) { return v.field_path == "id"; })) {
            return RuleError(method, "operations routes must bind {id}, which names the backend");
          }
          route->backend_id_field = "id";
        }
        if (absl::Status s = table.Add(*std::move(route)); !s.ok()) return s;
      }
    }
  }
  return table;
}

}  // namespace loyalty::gateway
