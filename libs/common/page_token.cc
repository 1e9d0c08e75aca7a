#include "libs/common/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"

namespace loyalty {
namespace {

// Marks tokens of this scheme, so that a random base64 string is refused.
constexpr absl::string_view kTokenPrefix = "p1:";

}  // namespace

std::string EncodePageToken(absl::string_view position) {
  return absl::WebSafeBase64Escape(absl::StrCat(kTokenPrefix, position));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || !absl::StartsWith(raw, kTokenPrefix)) {
    return InvalidField("page_token", "not a token from a previous response");
  }
  return raw.substr(kTokenPrefix.size());
}

absl::StatusOr<int64_t> DecodeIdPageToken(absl::string_view token, int64_t if_empty) {
  if (token.empty()) return if_empty;
  absl::StatusOr<std::string> position = DecodePageToken(token);
  if (!position.ok()) return position.status();
  int64_t id = 0;
  if (!absl::SimpleAtoi(*position, &id)) {
    return InvalidField("page_token", "not a token from a previous response");
  }
  return id;
}

}  // namespace loyalty
