#include "services/gateway/http_server.h"

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/dispatch.hpp"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "libs/common/log.h"
#include "services/gateway/error_response.h"

namespace loyalty::gateway {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::chrono::milliseconds Chrono(absl::Duration d) { return absl::ToChronoMilliseconds(d); }

std::string Str(beast::string_view s) { return std::string(s.data(), s.size()); }

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

}  // namespace

class Session;

class HttpServer::Impl final {
 public:
  Impl(HttpServerOptions options, HttpHandler& handler)
      : options_(std::move(options)),
        handler_(handler),
        ioc_(options_.threads),
        work_(net::make_work_guard(ioc_)),
        acceptor_(net::make_strand(ioc_)),
        accept_retry_(acceptor_.get_executor()) {}

  absl::Status Start();
  int Port() const { return port_; }
  int Shutdown(absl::Duration grace, const std::function<void()>& cancel);

  const HttpServerOptions& Options() const { return options_; }
  HttpHandler& Handler() { return handler_; }
  bool Stopping() const { return stopping_.load(std::memory_order_acquire); }

  void Register(const std::shared_ptr<Session>& session);
  void Unregister(Session* session);
  void RequestStarted() {
    absl::MutexLock lock(&mu_);
    ++in_flight_;
  }
  void RequestFinished() {
    absl::MutexLock lock(&mu_);
    --in_flight_;
  }

 private:
  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  // Runs `fn` on the strand of every live session.
  void ForEachSession(void (Session::*fn)());
  bool WaitInFlight(absl::Duration timeout);

  // Declared before the io_context: sessions destroyed with it unregister
  // themselves here.
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<Session*, std::weak_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);

  HttpServerOptions options_;
  HttpHandler& handler_;
  net::io_context ioc_;
  // A connection waiting for its handler has no operation pending; without
  // this guard the io_context would run out of work and its threads exit.
  net::executor_work_guard<net::io_context::executor_type> work_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_retry_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;
  int port_ = 0;
};

// One connection. Every member runs on the connection's strand.
class Session final : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {}
  ~Session() {
    SetIdle();
    server_.Unregister(this);
  }

  void Start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::ReadHeader, shared_from_this()));
  }

  // Runs `fn` on the connection's strand: its state belongs there.
  void Post(void (Session::*fn)()) {
    net::post(stream_.get_executor(), [self = shared_from_this(), fn] { ((*self).*fn)(); });
  }

  // Shutdown: an idle connection is closed now, a busy one after its
  // response.
  void Stop() {
    stopping_ = true;
    if (!busy_) Close();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    SetIdle();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

 private:
  void SetBusy() {
    if (busy_) return;
    busy_ = true;
    server_.RequestStarted();
  }
  void SetIdle() {
    if (!busy_) return;
    busy_ = false;
    server_.RequestFinished();
  }

  void ReadHeader() {
    if (stopping_ || closed_ || server_.Stopping()) return Close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.Options().header_limit));
    parser_->body_limit(server_.Options().body_limit);
    stream_.expires_after(Chrono(server_.Options().header_timeout));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    SetBusy();
    const auto& request = parser_->get();
    version_ = request.version();
    if (beast::iequals(request[http::field::expect], "100-continue")) {
      // Clients such as curl wait for this before sending a large body.
      auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                        request.version());
      http::async_write(stream_, *interim,
                        [self = shared_from_this(), interim](beast::error_code ec, std::size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_after(Chrono(server_.Options().body_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    http::request<http::string_body> message = parser_->release();
    parser_.reset();
    keep_alive_ = message.keep_alive();
    HttpRequest request;
    request.method = Str(message.method_string());
    request.target = Str(message.target());
    for (const auto& field : message) {
      request.headers.emplace_back(absl::AsciiStrToLower(Str(field.name_string())),
                                   Str(field.value()));
    }
    request.body = std::move(message.body());
    server_.Handler().Handle(std::move(request), [self = shared_from_this()](HttpResponse r) {
      net::post(self->stream_.get_executor(),
                [self, r = std::move(r)]() mutable { self->Write(std::move(r), false); });
    });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return Write(StatusErrorResponse(
                       absl::ResourceExhaustedError(absl::StrCat(
                           "request body larger than ", server_.Options().body_limit, " bytes")),
                       413),
                   true);
    }
    if (ec == http::error::header_limit) {
      return Write(
          StatusErrorResponse(absl::ResourceExhaustedError("request headers too large"), 431),
          true);
    }
    if (IsHttpParseError(ec) && ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      return Write(StatusErrorResponse(absl::InvalidArgumentError(
                       absl::StrCat("malformed HTTP request: ", ec.message()))),
                   true);
    }
    // end of stream, timeout, reset, shutdown: nothing to answer.
    Close();
  }

  void Write(HttpResponse r, bool close) {
    if (closed_) return;
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(version_);
    response->result(static_cast<unsigned>(r.status));
    response->set(http::field::server, "loyalty-gateway");
    response->set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) response->insert(name, value);
    response->body() = std::move(r.body);
    bool keep = keep_alive_ && !close && !stopping_ && !server_.Stopping();
    response->keep_alive(keep);
    const size_t body_size = response->body().size();
    response->prepare_payload();
    // A file download (up to 64 MiB) gets one more second per MiB, so a
    // slow but steady client is not cut off.
    stream_.expires_after(Chrono(server_.Options().write_timeout +
                                 absl::Seconds(static_cast<int64_t>(body_size >> 20))));
    http::async_write(
        stream_, *response,
        [self = shared_from_this(), response, keep](beast::error_code ec, std::size_t) {
          self->SetIdle();
          if (ec || !keep) return self->Close();
          self->ReadHeader();
        });
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool busy_ = false;
  bool stopping_ = false;
  bool closed_ = false;
};

void HttpServer::Impl::Register(const std::shared_ptr<Session>& session) {
  absl::MutexLock lock(&mu_);
  sessions_.emplace(session.get(), session);
}

void HttpServer::Impl::Unregister(Session* session) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(session);
}

void HttpServer::Impl::ForEachSession(void (Session::*fn)()) {
  std::vector<std::shared_ptr<Session>> live;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [raw, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live) session->Post(fn);
}

absl::Status HttpServer::Impl::Start() {
  const std::string& address = options_.address;
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad listen address ", address));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  beast::error_code ec;
  tcp::resolver resolver(ioc_);
  auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve listen address ", address, ": ", ec.message()));
  }
  tcp::endpoint endpoint = results.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  DoAccept();
  threads_.reserve(static_cast<size_t>(options_.threads));
  for (int i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
  return absl::OkStatus();
}

void HttpServer::Impl::DoAccept() {
  acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&Impl::OnAccept, this));
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (Stopping()) return;  // the socket, if any, closes here
  if (ec) {
    if (ec == net::error::operation_aborted) return;
    // E.g. out of file descriptors: back off instead of spinning.
    log::Warn("accept failed", {{"error", ec.message()}});
    accept_retry_.expires_after(std::chrono::milliseconds(100));
    accept_retry_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && !Stopping()) DoAccept();
    });
    return;
  }
  auto session = std::make_shared<Session>(std::move(socket), *this);
  Register(session);
  session->Start();
  DoAccept();
}

bool HttpServer::Impl::WaitInFlight(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_ == 0; };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

int HttpServer::Impl::Shutdown(absl::Duration grace, const std::function<void()>& cancel) {
  if (stopped_) return 0;
  stopped_ = true;
  stopping_.store(true, std::memory_order_release);
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
  });
  ForEachSession(&Session::Stop);
  if (!WaitInFlight(grace) && cancel) {
    cancel();
    // Cancelled backend calls answer at once; give them a moment to be
    // written.
    WaitInFlight(absl::Seconds(2));
  }
  int unanswered = 0;
  {
    absl::MutexLock lock(&mu_);
    unanswered = in_flight_;
  }
  ForEachSession(&Session::Close);
  // Let the closes run (and their clients see them) before stopping; a
  // session still referenced by a late backend answer is not waited for.
  work_.reset();
  {
    absl::MutexLock lock(&mu_);
    auto gone = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return sessions_.empty(); };
    mu_.AwaitWithTimeout(absl::Condition(&gone), absl::Seconds(1));
  }
  ioc_.stop();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  return unanswered;
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

HttpServer::~HttpServer() { impl_->Shutdown(absl::ZeroDuration(), nullptr); }

absl::Status HttpServer::Start() { return impl_->Start(); }

int HttpServer::port() const { return impl_->Port(); }

int HttpServer::Shutdown(absl::Duration grace, const std::function<void()>& cancel) {
  return impl_->Shutdown(grace, cancel);
}

}  // namespace loyalty::gateway
