#pragma once

// A minimal blocking HTTP/1.1 client for tools and tests (plain HTTP to
// the gateway on the local network). Not for use inside request handlers.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::http {

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct Request {
  std::string method = "GET";
  std::string url;  // http://host:port/path?query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent as application/json when not empty
  absl::Duration timeout = absl::Seconds(10);
};

// UNAVAILABLE when the server cannot be reached; any HTTP status is a
// successful Response.
absl::StatusOr<Response> Send(const Request& request);

}  // namespace loyalty::http
