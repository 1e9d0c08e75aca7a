#include "services/notifications/domain/template.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/errors.h"

namespace loyalty::notifications {
namespace {

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9'); }

bool IsKnown(absl::string_view name) {
  return std::find(kKnownPlaceholders.begin(), kKnownPlaceholders.end(), name) !=
         kKnownPlaceholders.end();
}

// Shortens what we echo back in an error message.
std::string Excerpt(absl::string_view text) {
  constexpr size_t kMax = 40;
  if (text.size() <= kMax) return std::string(text);
  // Do not cut a UTF-8 sequence in half.
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(text.substr(0, cut), "...");
}

}  // namespace

int CountChars(absl::string_view text) {
  int count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

absl::StatusOr<std::vector<std::string>> ParsePlaceholders(absl::string_view text,
                                                           absl::string_view field) {
  std::vector<std::string> names;
  size_t pos = 0;
  while ((pos = text.find("{{", pos)) != absl::string_view::npos) {
    size_t close = text.find("}}", pos + 2);
    if (close == absl::string_view::npos) {
      return InvalidField(field, absl::StrCat("unclosed '{{' in \"",
                                              Excerpt(text.substr(pos)), "\""));
    }
    absl::string_view inner = absl::StripAsciiWhitespace(text.substr(pos + 2, close - pos - 2));
    absl::string_view whole = text.substr(pos, close + 2 - pos);
    if (inner.empty() || !std::all_of(inner.begin(), inner.end(), IsNameChar)) {
      return InvalidField(field, absl::StrCat("malformed placeholder \"", Excerpt(whole),
                                              "\"; placeholders look like {{first_name}}"));
    }
    if (!IsKnown(inner)) {
      return InvalidField(field, absl::StrCat("unknown placeholder {{", inner, "}}; known: ",
                                              absl::StrJoin(kKnownPlaceholders, ", ")));
    }
    if (std::find(names.begin(), names.end(), inner) == names.end()) {
      names.emplace_back(inner);
    }
    pos = close + 2;
  }
  return names;
}

absl::Status PrepareNewTemplate(Template& message_template, bool channel_valid,
                                absl::string_view field_prefix) {
  Template& t = message_template;
  t.name = std::string(absl::StripAsciiWhitespace(t.name));
  int name_chars = CountChars(t.name);
  if (name_chars < 1 || name_chars > kMaxNameChars) {
    return InvalidField(absl::StrCat(field_prefix, "name"),
                        absl::StrCat("must be 1..", kMaxNameChars, " characters"));
  }
  if (!channel_valid) {
    return InvalidField(absl::StrCat(field_prefix, "channel"), "a channel is required");
  }
  std::string subject_field = absl::StrCat(field_prefix, "subject");
  if (t.channel == Channel::kEmail) {
    int subject_chars = CountChars(t.subject);
    if (subject_chars < 1 || subject_chars > kMaxSubjectChars) {
      return InvalidField(subject_field, absl::StrCat("an e-mail needs a subject of 1..",
                                                      kMaxSubjectChars, " characters"));
    }
    absl::StatusOr<std::vector<std::string>> used = ParsePlaceholders(t.subject, subject_field);
    if (!used.ok()) return used.status();
  } else if (!t.subject.empty()) {
    return InvalidField(subject_field, "only e-mail templates have a subject");
  }
  int body_chars = CountChars(t.body);
  if (body_chars < 1 || body_chars > kMaxBodyChars) {
    return InvalidField(absl::StrCat(field_prefix, "body"),
                        absl::StrCat("must be 1..", kMaxBodyChars, " characters"));
  }
  absl::StatusOr<std::vector<std::string>> used =
      ParsePlaceholders(t.body, absl::StrCat(field_prefix, "body"));
  if (!used.ok()) return used.status();
  return absl::OkStatus();
}

}  // namespace loyalty::notifications
