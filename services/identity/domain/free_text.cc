#include "services/identity/domain/free_text.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/text.h"

namespace loyalty::identity {

absl::Status NormalizeFreeText(absl::string_view field, size_t max_characters,
                               std::string& text) {
  text = std::string(absl::StripAsciiWhitespace(text));
  std::optional<size_t> length = Utf8Length(text);
  if (!length) return InvalidField(field, "must be UTF-8 text");
  if (*length > max_characters) {
    return InvalidField(field, absl::StrCat("at most ", max_characters, " characters"));
  }
  const bool has_control = std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
  if (has_control) return InvalidField(field, "must not contain control characters");
  return absl::OkStatus();
}

}  // namespace loyalty::identity
