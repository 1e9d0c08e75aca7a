#pragma once

// Custom client attributes (CLI-2): the schema a program defines and the
// rules a client's values must follow. Pure logic: no gRPC, SQL or Redis.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace loyalty::identity {

inline constexpr int64_t kMaxAttributesPerProgram = 200;  // archived ones included
inline constexpr size_t kMaxAttributeKeyLength = 64;
inline constexpr size_t kMaxAttributeNameLength = 200;  // display names and labels
inline constexpr size_t kMaxAllowedValues = 500;
inline constexpr size_t kMaxStringValueLength = 1000;  // characters
inline constexpr size_t kMaxListValueItems = 100;
inline constexpr size_t kMaxValuesPerCall = 200;  // set and clear, each
inline constexpr size_t kMaxChangeReasonLength = 500;
inline constexpr int kMaxNumberScale = 6;
// Digits of a NUMBER in all: 10^18 - 1 units still fit an int64.
inline constexpr int kMaxNumberDigits = 18;

// The numbers are those of the proto enums (loyalty.identity.v1), which the
// storage keeps as they are.
enum class AttributeType { kUnspecified, kString, kNumber, kBool, kDate, kEnum, kList };
enum class AttributeKind { kUnspecified, kQuestionnaire, kSystem, kPartner, kStatusSystem };
enum class AttributeEditor { kUnspecified, kClient, kOperator, kSystem };
enum class AttributeChangeSource {
  kUnspecified,
  kSchedule,
  kCampaign,
  kOperator,
  kBatch,
  kRegistration
};

struct AllowedValue {
  std::string key;
  std::string label;

  friend bool operator==(const AllowedValue&, const AllowedValue&) = default;
};

// What a caller sets on an attribute.
struct AttributeSpec {
  std::string key;
  std::string display_name;
  AttributeType type = AttributeType::kUnspecified;
  int number_scale = 0;
  std::vector<AllowedValue> allowed_values;
  bool required_at_registration = false;
  AttributeEditor editable_by = AttributeEditor::kUnspecified;
  AttributeKind kind = AttributeKind::kUnspecified;

  friend bool operator==(const AttributeSpec&, const AttributeSpec&) = default;
};

struct Attribute {
  AttributeSpec spec;
  bool archived = false;
  absl::Time create_time;
  absl::Time update_time;
};

// Validates a spec and fills its defaults (kind QUESTIONNAIRE; editor
// SYSTEM for system attributes, OPERATOR otherwise), naming fields under
// `prefix` (e.g. "attribute."). Rules beyond the single fields: allowed
// values only for ENUM and LIST (and required there), a scale only for
// NUMBER, a status system is an ENUM, a system attribute is edited by the
// system only, and a system-edited attribute cannot be required at
// registration (no registration could give it).
absl::Status NormalizeAttributeSpec(AttributeSpec& spec, absl::string_view prefix);

// Applies a required update mask: the named paths take their value from
// `input`. INVALID_ARGUMENT naming `update_mask` when it is empty, names
// `key` (immutable) or an unknown path. The result needs
// NormalizeAttributeSpec.
absl::Status ApplyAttributeMask(const std::vector<std::string>& paths, const AttributeSpec& input,
                                AttributeSpec& stored);

// What a definition change would do to clients' values: FAILED_PRECONDITION
// naming `attribute.<field>` when type, scale or kind change while
// `has_values`, or when an allowed value that `held_keys` lists (keys some
// client holds) disappears.
absl::Status CheckAttributeChange(const AttributeSpec& before, const AttributeSpec& after,
                                  bool has_values, absl::Span<const std::string> held_keys);

// FAILED_PRECONDITION when a program that has `existing` attributes may not
// get another.
absl::Status CheckAttributeLimit(int64_t existing);

// A value of one attribute. As input, `type` says which value field the
// caller set (kUnspecified: none) and `text` carries the raw string of a
// STRING, NUMBER, DATE or ENUM. Normalised, `type` is the attribute's,
// `text` a trimmed STRING, an ENUM key, a DATE as YYYY-MM-DD or a NUMBER
// with exactly the scale's fraction digits ("12.50"), and `number` the
// NUMBER in 10^-scale units (1250).
struct AttributeValue {
  std::string key;
  AttributeType type = AttributeType::kUnspecified;
  std::string text;
  int64_t number = 0;
  bool boolean = false;
  std::vector<std::string> list;

  friend bool operator==(const AttributeValue&, const AttributeValue&) = default;
};

// Who writes values: console roles (admin, marketer, operator), or a
// client-facing channel (POS and partner keys, at registration).
enum class AttributeWriter { kOperator, kClientChannel };

// Values (and keys to clear) as sent. The store validates them against the
// program's attributes inside the writing transaction, so that a concurrent
// change of the schema cannot slip between check and write.
struct AttributeValuesInput {
  std::vector<AttributeValue> values;
  std::vector<std::string> clear_keys;
  AttributeWriter writer = AttributeWriter::kOperator;
};

// A validated set of changes of one client's values.
struct AttributeChanges {
  std::vector<AttributeValue> set;  // normalised, each key once
  std::vector<std::string> clear;   // each key once, none of them set
};

// Validates values to set and keys to clear against the program's
// attributes. Errors are INVALID_ARGUMENT naming `<values_field>[i]` (or a
// value field under it, e.g. `values[2].number_value`) and
// `<clear_field>[i]`: an unknown or archived key, a key given twice, a
// value of another type than the attribute's, a value outside its rules,
// an attribute `writer` may not write.
absl::StatusOr<AttributeChanges> ValidateAttributeChanges(
    absl::Span<const Attribute> schema, absl::Span<const AttributeValue> values,
    absl::Span<const std::string> clear_keys, AttributeWriter writer,
    absl::string_view values_field, absl::string_view clear_field);

// INVALID_ARGUMENT naming `field` when an active attribute required at
// registration has no value in `values`.
absl::Status CheckRequiredAtRegistration(absl::Span<const Attribute> schema,
                                         absl::Span<const AttributeValue> values,
                                         absl::string_view field);

// A NUMBER in units of 10^-scale as a decimal with exactly `scale` fraction
// digits: (1250, 2) -> "12.50".
std::string FormatAttributeNumber(int64_t units, int scale);

// The inverse: "12.5" at scale 2 -> 1250. More fraction digits than
// `scale`, more than kMaxNumberDigits digits or anything but
// [-]digits[.digits] is INVALID_ARGUMENT naming `field`.
absl::StatusOr<int64_t> ParseAttributeNumber(absl::string_view field, absl::string_view text,
                                             int scale);

// A status value as the history keeps it: the ENUM key, or "" for none.
std::string StatusText(const AttributeValue* value);

// Which sources a SetClientAttributes caller may name: OPERATOR (the
// default for kUnspecified), SCHEDULE, CAMPAIGN; BATCH and REGISTRATION are
// the platform's own (INVALID_ARGUMENT naming `field`).
absl::StatusOr<AttributeChangeSource> ResolveRequestedSource(absl::string_view field,
                                                             AttributeChangeSource requested);

}  // namespace loyalty::identity
