#pragma once

// One keep-alive HTTP/1.1 connection to the gateway, as a till keeps one
// open: libs/http's client connects per request, which would bill the
// gateway's figures with a TCP handshake per receipt. Not thread-safe: one
// per load client.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace loyalty::bench {

struct HttpReply {
  int status = 0;
  std::string body;
};

class HttpConnection final {
 public:
  // `host` and `port` of the gateway; `headers` go with every request
  // (e.g. the API key).
  HttpConnection(std::string host, std::string port,
                 std::vector<std::pair<std::string, std::string>> headers);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // POSTs a JSON `body` to `target` (a path); connects when not connected
  // and reconnects once when the server closed the idle connection.
  // UNAVAILABLE when the gateway cannot be reached.
  absl::StatusOr<HttpReply> Post(const std::string& target, const std::string& body,
                                 absl::Duration timeout);

 private:
  struct Socket;
  absl::StatusOr<HttpReply> PostOnce(const std::string& target, const std::string& body,
                                     absl::Duration timeout);

  std::string host_;
  std::string port_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::unique_ptr<Socket> socket_;  // null while not connected
};

}  // namespace loyalty::bench
