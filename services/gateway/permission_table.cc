#include "services/gateway/permission_table.h"

#include <algorithm>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "loyalty/api/v1/auth.pb.h"
#include "services/gateway/route_table.h"

namespace loyalty::gateway {

std::string RenderPermissionTable(const RouteTable& routes) {
  // Every role the enum has, in its order (ROLE_UNSPECIFIED is never granted).
  std::vector<const google::protobuf::EnumValueDescriptor*> roles;
  const google::protobuf::EnumDescriptor* role_enum = loyalty::api::v1::Role_descriptor();
  for (int i = 0; i < role_enum->value_count(); ++i) {
    if (role_enum->value(i)->number() != 0) roles.push_back(role_enum->value(i));
  }
  std::vector<const Route*> sorted;
  for (const Route& route : routes.routes()) sorted.push_back(&route);
  std::sort(sorted.begin(), sorted.end(), [](const Route* a, const Route* b) {
    return std::tie(a->path.text(), a->http_method) < std::tie(b->path.text(), b->http_method);
  });

  std::string table = "| HTTP | Path | RPC |";
  std::string rule = "| --- | --- | --- |";
  for (const auto* role : roles) {
    // ROLE_MARKETER -> marketer
    absl::StrAppend(&table, " ", absl::AsciiStrToLower(absl::StripPrefix(role->name(), "ROLE_")),
                    " |");
    absl::StrAppend(&rule, " :-: |");
  }
  absl::StrAppend(&table, "\n", rule, "\n");
  for (const Route* route : sorted) {
    absl::StrAppend(&table, "| ", route->http_method, " | `", route->path.text(), "` | ",
                    route->method->service()->name(), ".", route->method->name(), " |");
    for (const auto* role : roles) {
      const bool allowed =
          route->allow_anonymous ||
          std::find(route->allowed_roles.begin(), route->allowed_roles.end(), role->number()) !=
              route->allowed_roles.end();
      absl::StrAppend(&table, route->allow_anonymous ? " anonymous |" : allowed ? " ✓ |" : " |");
    }
    table += "\n";
  }
  return table;
}

}  // namespace loyalty::gateway
