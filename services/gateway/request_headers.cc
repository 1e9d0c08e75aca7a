#include "services/gateway/request_headers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "libs/common/random_ids.h"

namespace loyalty::gateway {

std::string ApiKeyFrom(const HttpRequest& request) {
  absl::string_view key = absl::StripAsciiWhitespace(request.Header("x-api-key"));
  if (!key.empty()) return std::string(key);
  absl::string_view authorization = absl::StripAsciiWhitespace(request.Header("authorization"));
  constexpr absl::string_view kBearer = "bearer ";
  if (authorization.size() > kBearer.size() && absl::StartsWithIgnoreCase(authorization, kBearer)) {
    return std::string(absl::StripAsciiWhitespace(authorization.substr(kBearer.size())));
  }
  return "";
}

std::string RequestIdFrom(const HttpRequest& request) {
  absl::string_view id = request.Header("x-request-id");
  bool sane = !id.empty() && id.size() <= 128;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != ':') {
      sane = false;
      break;
    }
  }
  return sane ? std::string(id) : NewUuid();
}

TraceParent GatewaySpanFrom(const HttpRequest& request) {
  std::optional<TraceParent> incoming = TraceParent::Parse(request.Header("traceparent"));
  return incoming ? incoming->Child() : TraceParent::NewRoot();
}

}  // namespace loyalty::gateway
