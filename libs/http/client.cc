#include "libs/http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"

namespace loyalty::http {
namespace {

namespace beast = boost::beast;
namespace asio = boost::asio;

struct Url {
  std::string host;
  std::string port;
  std::string target;
};

absl::StatusOr<Url> ParseUrl(absl::string_view url) {
  if (!absl::ConsumePrefix(&url, "http://")) {
    return absl::InvalidArgumentError(absl::StrCat("only http:// URLs: ", url));
  }
  size_t slash = url.find('/');
  absl::string_view authority = url.substr(0, slash);
  Url parsed;
  parsed.target = slash == absl::string_view::npos ? "/" : std::string(url.substr(slash));
  size_t colon = authority.rfind(':');
  if (colon == absl::string_view::npos) {
    parsed.host = std::string(authority);
    parsed.port = "80";
  } else {
    parsed.host = std::string(authority.substr(0, colon));
    parsed.port = std::string(authority.substr(colon + 1));
  }
  return parsed;
}

}  // namespace

absl::StatusOr<Response> Send(const Request& request) {
  absl::StatusOr<Url> url = ParseUrl(request.url);
  if (!url.ok()) return url.status();
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(absl::ToChronoMilliseconds(request.timeout));
    stream.connect(resolver.resolve(url->host, url->port));

    beast::http::request<beast::http::string_body> message(
        beast::http::string_to_verb(request.method), url->target, 11);
    message.set(beast::http::field::host, url->host);
    for (const auto& [name, value] : request.headers) message.set(name, value);
    if (!request.body.empty()) {
      message.set(beast::http::field::content_type, "application/json");
      message.body() = request.body;
    }
    message.prepare_payload();
    beast::http::write(stream, message);

    beast::flat_buffer buffer;
    beast::http::response<beast::http::string_body> reply;
    beast::http::read(stream, buffer, reply);
    Response response;
    response.status = static_cast<int>(reply.result_int());
    for (const auto& field : reply) {
      response.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
          std::string(field.value());
    }
    response.body = std::move(reply.body());
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    return response;
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat(request.method, " ", request.url, ": ", e.what()));
  }
}

}  // namespace loyalty::http
