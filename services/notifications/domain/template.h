#pragma once

// Message templates and their `{{placeholder}}` syntax. Pure logic, no I/O.

#include <array>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::notifications {

enum class Channel { kSms = 1, kEmail = 2, kTelegram = 3, kPush = 4 };

inline constexpr int kMaxNameChars = 200;
inline constexpr int kMaxSubjectChars = 200;
inline constexpr int kMaxBodyChars = 10000;

// The facts a mailing can fill in. A template naming anything else could
// never be rendered, so it is refused when written, not when sent.
inline constexpr std::array<absl::string_view, 8> kKnownPlaceholders = {
    "first_name", "last_name", "phone",   "email",
    "card_number", "balance",  "level",   "expiring_points"};

struct Template {
  std::string template_id;
  std::string program_id;
  std::string name;
  Channel channel = Channel::kSms;
  std::string subject;  // e-mail only
  std::string body;
  absl::Time create_time;
};

// Number of Unicode code points in valid UTF-8 `text`.
int CountChars(absl::string_view text);

// The placeholders `text` uses, in order of first appearance, each once.
// `{{ name }}` may have spaces inside the braces. A lone `{`, `}` or `}}` is
// literal text. InvalidArgument naming `field` for an unclosed `{{`, an empty
// or malformed name, or a name not in kKnownPlaceholders.
absl::StatusOr<std::vector<std::string>> ParsePlaceholders(absl::string_view text,
                                                           absl::string_view field);

// Validates and normalises a template about to be created, in place: trims
// the name; checks lengths; only e-mail has (and needs) a subject; every
// placeholder of subject and body is known. `channel_valid` is false when
// the request named no channel or an unknown one. Field paths in errors are
// prefixed with `field_prefix` (e.g. "template.").
absl::Status PrepareNewTemplate(Template& message_template, bool channel_valid,
                                absl::string_view field_prefix);

}  // namespace loyalty::notifications
