#include "services/identity/domain/operator.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"

namespace loyalty::identity {
namespace {

bool IsOperatorRole(absl::string_view role) {
  return role == "ROLE_ADMIN" || role == "ROLE_MARKETER" || role == "ROLE_OPERATOR" ||
         role == "ROLE_ANALYST";
}

}  // namespace

absl::StatusOr<std::string> NormalizeLogin(absl::string_view login, absl::string_view field) {
  std::string normalized = absl::AsciiStrToLower(absl::StripAsciiWhitespace(login));
  if (normalized.size() < 3 || normalized.size() > 128) {
    return InvalidField(field, "must have 3..128 characters");
  }
  for (unsigned char c : normalized) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-' && c != '@' && c != '+') {
      return InvalidField(field, "may only have letters, digits and . _ - @ +");
    }
  }
  return normalized;
}

absl::Status NormalizeOperatorSpec(OperatorSpec& spec, absl::string_view prefix) {
  spec.display_name = std::string(absl::StripAsciiWhitespace(spec.display_name));
  if (spec.display_name.empty() || spec.display_name.size() > 200) {
    return InvalidField(absl::StrCat(prefix, "display_name"), "must have 1..200 bytes");
  }
  for (unsigned char c : spec.display_name) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidField(absl::StrCat(prefix, "display_name"), "has control characters");
    }
  }
  if (!IsOperatorRole(spec.role)) {
    return InvalidField(absl::StrCat(prefix, "role"),
                        "must be ROLE_ADMIN, ROLE_MARKETER, ROLE_OPERATOR or ROLE_ANALYST");
  }
  return absl::OkStatus();
}

absl::Status ApplyOperatorMask(const std::vector<std::string>& paths, const OperatorSpec& input,
                               OperatorSpec& stored) {
  if (paths.empty()) {
    stored = input;
    return absl::OkStatus();
  }
  for (const std::string& path : paths) {
    if (path == "display_name") {
      stored.display_name = input.display_name;
    } else if (path == "role") {
      stored.role = input.role;
    } else if (path == "disabled") {
      stored.disabled = input.disabled;
    } else {
      return InvalidField("update_mask", absl::StrCat("unknown path '", path,
                                                      "'; use display_name, role, disabled"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckLoginThrottle(int64_t recent_failures) {
  if (recent_failures < kMaxFailedLogins) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("too many failed logins; try again in ",
                   absl::ToInt64Minutes(kFailedLoginWindow), " minutes"));
}

absl::Status LoginFailed() { return absl::UnauthenticatedError("invalid login or password"); }

}  // namespace loyalty::identity
