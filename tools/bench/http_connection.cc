#include "tools/bench/http_connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace loyalty::bench {

namespace beast = boost::beast;
namespace asio = boost::asio;

struct HttpConnection::Socket {
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
};

HttpConnection::HttpConnection(std::string host, std::string port,
                               std::vector<std::pair<std::string, std::string>> headers)
    : host_(std::move(host)), port_(std::move(port)), headers_(std::move(headers)) {}

HttpConnection::~HttpConnection() = default;

absl::StatusOr<HttpReply> HttpConnection::Post(const std::string& target,
                                               const std::string& body,
                                               absl::Duration timeout) {
  const bool reused = socket_ != nullptr;
  absl::StatusOr<HttpReply> reply = PostOnce(target, body, timeout);
  // A keep-alive connection the server closed meanwhile fails on first use;
  // a fresh one failing means the gateway is not there.
  if (!reply.ok() && reused) reply = PostOnce(target, body, timeout);
  return reply;
}

absl::StatusOr<HttpReply> HttpConnection::PostOnce(const std::string& target,
                                                   const std::string& body,
                                                   absl::Duration timeout) {
  try {
    if (socket_ == nullptr) {
      auto socket = std::make_unique<Socket>();
      asio::ip::tcp::resolver resolver(socket->io);
      socket->stream.expires_after(absl::ToChronoMilliseconds(timeout));
      socket->stream.connect(resolver.resolve(host_, port_));
      socket->stream.socket().set_option(asio::ip::tcp::no_delay(true));
      socket_ = std::move(socket);
    }
    socket_->stream.expires_after(absl::ToChronoMilliseconds(timeout));
    beast::http::request<beast::http::string_body> message(beast::http::verb::post, target, 11);
    message.set(beast::http::field::host, host_);
    message.set(beast::http::field::content_type, "application/json");
    for (const auto& [name, value] : headers_) message.set(name, value);
    message.keep_alive(true);
    message.body() = body;
    message.prepare_payload();
    beast::http::write(socket_->stream, message);
    beast::http::response<beast::http::string_body> response;
    beast::http::read(socket_->stream, socket_->buffer, response);
    HttpReply reply{.status = static_cast<int>(response.result_int()),
                    .body = std::move(response.body())};
    if (!response.keep_alive()) socket_.reset();
    return reply;
  } catch (const std::exception& e) {
    socket_.reset();
    return absl::UnavailableError(absl::StrCat("POST ", target, ": ", e.what()));
  }
}

}  // namespace loyalty::bench
