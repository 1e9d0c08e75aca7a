#include "services/cards/domain/definition.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/text.h"
#include "services/cards/domain/card.h"

namespace loyalty::cards {
namespace {

absl::Status CheckText(absl::string_view field, absl::string_view text, size_t max_length,
                       bool allow_line_breaks) {
  std::optional<size_t> length = Utf8Length(text);
  if (!length) return InvalidField(field, "must be UTF-8 text");
  if (*length > max_length) {
    return InvalidField(field, absl::StrCat("at most ", max_length, " characters"));
  }
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (allow_line_breaks && (c == '\n' || c == '\t' || c == '\r')) continue;
    if (byte < 0x20 || byte == 0x7f) {
      return InvalidField(field, "must not contain control characters");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view DefinitionStateName(DefinitionState state) {
  switch (state) {
    case DefinitionState::kActive:
      return "ACTIVE";
    case DefinitionState::kArchived:
      return "ARCHIVED";
    case DefinitionState::kUnspecified:
      break;
  }
  return "";
}

std::optional<DefinitionState> ParseDefinitionState(absl::string_view name) {
  return EnumByName<DefinitionState>(name, {DefinitionState::kActive, DefinitionState::kArchived},
                                     DefinitionStateName);
}

absl::Status NormalizeName(absl::string_view field, std::string& name) {
  name = std::string(absl::StripAsciiWhitespace(name));
  if (name.empty()) return InvalidField(field, "required");
  return CheckText(field, name, kMaxNameLength, /*allow_line_breaks=*/false);
}

absl::Status NormalizeText(absl::string_view field, std::string& text, size_t max_length) {
  text = std::string(absl::StripAsciiWhitespace(text));
  return CheckText(field, text, max_length, /*allow_line_breaks=*/true);
}

absl::Status NormalizeUuid(absl::string_view field, std::string& id, bool optional) {
  if (id.empty()) return optional ? absl::OkStatus() : InvalidField(field, "required");
  if (!IsUuid(id)) return InvalidField(field, "must be a UUID");
  absl::AsciiStrToLower(&id);
  return absl::OkStatus();
}

absl::Status ValidateRequestId(absl::string_view request_id) {
  if (request_id.size() > kMaxRequestIdLength) {
    return InvalidField("request_id", absl::StrCat("at most ", kMaxRequestIdLength, " characters"));
  }
  return ValidateNoControlCharacters("request_id", request_id);
}

}  // namespace loyalty::cards
