#pragma once

// The role x route permission table, rendered from the routes the gateway
// builds from the descriptors, for services/gateway/README.md (a test keeps
// the README's copy equal to it).

#include <string>

namespace loyalty::gateway {

class RouteTable;

// A Markdown table: one row per route (sorted by path, then HTTP method)
// with the RPC and a column per role; anonymous routes say so.
std::string RenderPermissionTable(const RouteTable& routes);

}  // namespace loyalty::gateway
