#include "absl/strings/string_view.h"
#include "libs/common/trace.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/random_ids.h"

namespace loyalty {
namespace {

bool IsLowerHex(absl::string_view text, size_t size) {
  if (text.size() != size) return false;
  bool all_zero = true;
  for (char c : text) {
    bool digit = c >= '0' && c <= '9';
    bool letter = c >= 'a' && c <= 'f';
    if (!digit && !letter) return false;
    if (c != '0') all_zero = false;
  }
  return !all_zero;
}

}  // namespace

TraceParent TraceParent::NewRoot() {
  return TraceParent{RandomHex(16), RandomHex(8), true};
}

std::optional<TraceParent> TraceParent::Parse(absl::string_view header) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::StripAsciiWhitespace(header), '-');
  if (parts.size() < 4 || parts[0].size() != 2 || parts[0] == "ff") {
    return std::nullopt;
  }
  if (parts[0] == "00" && parts.size() != 4) return std::nullopt;
  if (!IsLowerHex(parts[1], 32) || !IsLowerHex(parts[2], 16) ||
      parts[3].size() != 2) {
    return std::nullopt;
  }
  int flags = 0;
  for (char c : parts[3]) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    flags = flags * 16 + (absl::ascii_isdigit(static_cast<unsigned char>(c))
                              ? c - '0'
                              : absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10);
  }
  return TraceParent{std::string(parts[1]), std::string(parts[2]),
                     (flags & 1) != 0};
}

TraceParent TraceParent::Child() const {
  return TraceParent{trace_id, RandomHex(8), sampled};
}

std::string TraceParent::ToHeader() const {
  return absl::StrCat("00-", trace_id, "-", parent_id, sampled ? "-01" : "-00");
}

}  // namespace loyalty
