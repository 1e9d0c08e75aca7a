#pragma once

// Plain HTTP request/response values passed between the Beast server and
// the gateway logic, so that the logic is tested without sockets and Beast
// stays out of every header but one .cc file.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace loyalty::gateway {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;   // as received, e.g. "GET"
  std::string target;   // origin form: path and optional "?query"
  HttpHeaders headers;  // names lower-cased by the server
  std::string body;

  // The first value of header `lower_name`, or "" when absent.
  absl::string_view Header(absl::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_name) return value;
    }
    return {};
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  HttpHeaders headers;
  std::string body;
};

// What the server calls for every complete request. `done` may be called
// on any thread, once.
class HttpHandler {
 public:
  using Done = std::function<void(HttpResponse)>;
  virtual ~HttpHandler() = default;
  virtual void Handle(HttpRequest request, Done done) = 0;
};

}  // namespace loyalty::gateway
