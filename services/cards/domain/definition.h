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

// The etag of a stored version: its decimal form. Opaque to clients.
std::string EtagOf(int64_t version);

// The version an etag from a client names; nullopt for an empty etag (no
// check wanted). INVALID_ARGUMENT naming `field` for anything we never
// handed out.
absl::StatusOr<std::optional<int64_t>> ParseEtag(absl::string_view field, absl::string_view etag);

// ABORTED naming `field` when the client's version is not the stored one:
// someone changed the resource since the client read it.
absl::Status CheckVersion(absl::string_view field, std::optional<int64_t> expected, int64_t stored);

// Lower-cases an id that must be a UUID, or INVALID_ARGUMENT naming `field`.
// Empty is "required" unless `optional`.
absl::Status NormalizeUuid(absl::string_view field, std::string& id, bool optional = false);

// INVALID_ARGUMENT naming `request_id` unless it is at most
// kMaxRequestIdLength characters without control characters.
absl::Status ValidateRequestId(absl::string_view request_id);

}  // namespace loyalty::cards
