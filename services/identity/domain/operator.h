#pragma once

// Operator accounts (CLI-15): validation of what an admin may set, and the
// rule that throttles password guessing.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::identity {

// What an admin sets on an operator.
struct OperatorSpec {
  std::string display_name;
  std::string role;  // loyalty.api.v1.Role value name, e.g. ROLE_MARKETER
  bool disabled = false;

  bool operator==(const OperatorSpec&) const = default;
};

struct Operator {
  std::string operator_id;
  std::string login;  // lower case
  OperatorSpec spec;
  absl::Time create_time;
  absl::Time update_time;
};

// The login as stored: trimmed and lower-cased, 3..128 characters of ASCII
// letters, digits and `.`, `_`, `-`, `@`, `+` (e-mail-like or a name).
// INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<std::string> NormalizeLogin(absl::string_view login, absl::string_view field);

// Trims the display name (1..200 bytes, no control characters) and checks
// the role is one an operator may hold: admin, marketer, operator or analyst
// (pos and partner are roles of API keys bound to a store or partner).
// Errors name `prefix` + the field.
absl::Status NormalizeOperatorSpec(OperatorSpec& spec, absl::string_view prefix);

// Copies the fields named by an update mask (display_name, role, disabled;
// all when empty) from `input` into `stored`.
absl::Status ApplyOperatorMask(const std::vector<std::string>& paths, const OperatorSpec& input,
                               OperatorSpec& stored);

// Password guessing: after this many failed logins of one login within the
// window, further attempts are refused until the oldest failure leaves it.
inline constexpr int64_t kMaxFailedLogins = 5;
inline constexpr absl::Duration kFailedLoginWindow = absl::Minutes(15);

// RESOURCE_EXHAUSTED when `recent_failures` (within kFailedLoginWindow)
// reached the limit.
absl::Status CheckLoginThrottle(int64_t recent_failures);

// The one answer to a failed login, whatever failed (unknown login, wrong
// password, disabled operator), so that answers do not reveal which logins
// exist.
absl::Status LoginFailed();

}  // namespace loyalty::identity
