#pragma once

// HTTP/1.1 server (Boost.Beast, asynchronous) that hands every complete
// request to an HttpHandler. Beast stays inside http_server.cc.
//
// Threads: `threads` run one io_context; each connection lives on its own
// strand. The handler is called on that strand and may answer from any
// thread; the answer is posted back to the strand to be written.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/gateway/http_types.h"

namespace loyalty::gateway {

struct HttpServerOptions {
  std::string address = "0.0.0.0:8080";  // host:port; port 0 picks one
  int threads = 2;
  size_t body_limit = 1 << 20;     // larger bodies get 413
  size_t header_limit = 16 << 10;  // larger headers get 431
  // Time to receive a request's headers, and the idle limit of a
  // keep-alive connection between requests.
  absl::Duration header_timeout = absl::Seconds(30);
  absl::Duration body_timeout = absl::Seconds(60);
  // Time to send an answer, plus one second per MiB of body.
  absl::Duration write_timeout = absl::Seconds(30);
};

class HttpServer final {
 public:
  // `handler` must outlive the server.
  HttpServer(HttpServerOptions options, HttpHandler& handler);
  ~HttpServer();  // Shutdown(0) when still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the threads.
  absl::Status Start();
  // The bound port (after Start).
  int port() const;

  // Stops accepting and closes idle connections at once; lets requests in
  // flight finish for up to `grace`. If some are still running then,
  // `cancel` is called (to cancel their backend calls) and they get a short
  // moment to answer. Then every connection is closed and the threads
  // joined. Returns the number of requests still unanswered at the end.
  int Shutdown(absl::Duration grace, const std::function<void()>& cancel = nullptr);

  // Opaque; public only so that the connection class in the .cc can name it.
  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace loyalty::gateway
