#pragma once

// What templates, level types and levels have in common: a lifecycle state,
// a version behind their etag, and the text fields operators type in. Pure
// logic: no gRPC, SQL or Redis here.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/common/etag.h"  // EtagOf, ParseEtag, CheckVersion: shared with other services

namespace loyalty::cards {

// The value of `values` whose `name_of` is `name`: how every enum of
// this module parses its storage names.
template <typename Enum>
std::optional<Enum> EnumByName(absl::string_view name, std::initializer_list<Enum> values,
                               absl::string_view (*name_of)(Enum)) {
  for (Enum value : values) {
    if (name_of(value) == name) return value;
  }
  return std::nullopt;
}

// Mirrors loyalty.cards.v1.DefinitionState, value for value.
enum class DefinitionState { kUnspecified = 0, kActive = 1, kArchived = 2 };

// Stable names used in storage ("ACTIVE", "ARCHIVED").
absl::string_view DefinitionStateName(DefinitionState state);
std::optional<DefinitionState> ParseDefinitionState(absl::string_view name);

inline constexpr size_t kMaxNameLength = 100;          // characters
inline constexpr size_t kMaxDescriptionLength = 1000;  // characters

// Trims surrounding white space; INVALID_ARGUMENT naming `field` when the
// result is empty, longer than kMaxNameLength characters, not UTF-8 or holds
// control characters.
absl::Status NormalizeName(absl::string_view field, std::string& name);

// As NormalizeName, for optional text of at most `max_length` characters
// (line breaks and tabs allowed).
absl::Status NormalizeText(absl::string_view field, std::string& text, size_t max_length);

// Lower-cases an id that must be a UUID, or INVALID_ARGUMENT naming `field`.
// Empty is "required" unless `optional`.
absl::Status NormalizeUuid(absl::string_view field, std::string& id, bool optional = false);

// INVALID_ARGUMENT naming `request_id` unless it is at most
// kMaxRequestIdLength characters without control characters.
absl::Status ValidateRequestId(absl::string_view request_id);

}  // namespace loyalty::cards
