#include "services/identity/domain/attribute.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "libs/common/errors.h"
#include "services/identity/domain/free_text.h"

namespace loyalty::identity {
namespace {

bool IsLowerAlnum(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); }

// Attribute keys: a letter, then a-z, 0-9, `_`. No `-`, so that a key is
// also a plain column name in files and filters.
bool IsAttributeKey(absl::string_view key) {
  return !key.empty() && key.size() <= kMaxAttributeKeyLength && absl::ascii_islower(key[0]) &&
         std::all_of(key.begin(), key.end(), [](char c) { return IsLowerAlnum(c) || c == '_'; });
}

bool IsAllowedValueKey(absl::string_view key) {
  return !key.empty() && key.size() <= kMaxAttributeKeyLength && IsLowerAlnum(key[0]) &&
         std::all_of(key.begin(), key.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '_' || c == '-'; });
}

absl::Status NormalizeName(absl::string_view field, std::string& name) {
  if (absl::Status status = NormalizeFreeText(field, kMaxAttributeNameLength, name);
      !status.ok()) {
    return status;
  }
  if (name.empty()) return InvalidField(field, "required");
  return absl::OkStatus();
}

bool HasAllowedValues(AttributeType type) {
  return type == AttributeType::kEnum || type == AttributeType::kList;
}

absl::string_view ValueFieldOf(AttributeType type) {
  switch (type) {
    case AttributeType::kString:
      return "string_value";
    case AttributeType::kNumber:
      return "number_value";
    case AttributeType::kBool:
      return "bool_value";
    case AttributeType::kDate:
      return "date_value";
    case AttributeType::kEnum:
      return "enum_value";
    case AttributeType::kList:
      return "list_value";
    case AttributeType::kUnspecified:
      break;
  }
  return "value";
}

bool IsAllowed(const AttributeSpec& spec, absl::string_view key) {
  return std::any_of(spec.allowed_values.begin(), spec.allowed_values.end(),
                     [&](const AllowedValue& allowed) { return allowed.key == key; });
}

absl::Status NormalizeDate(absl::string_view field, std::string& text) {
  absl::CivilDay day;
  // ParseCivilTime accepts only YYYY-MM-DD and real dates; the format check
  // refuses forms it might take that are not zero-padded.
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) || day.year() < 1900 ||
      day.year() > 2999) {
    return InvalidField(field, "must be a date YYYY-MM-DD from 1900 to 2999");
  }
  text = absl::FormatCivilTime(day);
  return absl::OkStatus();
}

// Normalises one value of `attribute` in place; errors name `field`.
absl::Status NormalizeValue(const Attribute& attribute, absl::string_view field,
                            AttributeValue& value) {
  const AttributeSpec& spec = attribute.spec;
  const std::string value_field = absl::StrCat(field, ".", ValueFieldOf(spec.type));
  if (value.type == AttributeType::kUnspecified) {
    return InvalidField(field, absl::StrCat("a value is required (", ValueFieldOf(spec.type),
                                            "); use clear_keys to remove one"));
  }
  if (value.type != spec.type) {
    return InvalidField(absl::StrCat(field, ".", ValueFieldOf(value.type)),
                        absl::StrCat("attribute '", spec.key, "' takes ",
                                     ValueFieldOf(spec.type)));
  }
  switch (spec.type) {
    case AttributeType::kString: {
      if (absl::Status status = NormalizeFreeText(value_field, kMaxStringValueLength, value.text);
          !status.ok()) {
        return status;
      }
      if (value.text.empty()) return InvalidField(value_field, "empty; use clear_keys instead");
      break;
    }
    case AttributeType::kNumber: {
      absl::StatusOr<int64_t> units =
          ParseAttributeNumber(value_field, value.text, spec.number_scale);
      if (!units.ok()) return units.status();
      value.number = *units;
      value.text = FormatAttributeNumber(*units, spec.number_scale);
      break;
    }
    case AttributeType::kBool:
      break;
    case AttributeType::kDate:
      return NormalizeDate(value_field, value.text);
    case AttributeType::kEnum:
      if (!IsAllowed(spec, value.text)) {
        return InvalidField(value_field,
                            absl::StrCat("'", value.text, "' is not a value of '", spec.key, "'"));
      }
      break;
    case AttributeType::kList: {
      if (value.list.size() > kMaxListValueItems) {
        return InvalidField(value_field, absl::StrCat("at most ", kMaxListValueItems, " values"));
      }
      absl::flat_hash_set<std::string> seen;
      for (size_t i = 0; i < value.list.size(); ++i) {
        const std::string item_field = absl::StrCat(value_field, ".values[", i, "]");
        if (!IsAllowed(spec, value.list[i])) {
          return InvalidField(item_field, absl::StrCat("'", value.list[i],
                                                       "' is not a value of '", spec.key, "'"));
        }
        if (!seen.insert(value.list[i]).second) return InvalidField(item_field, "given twice");
      }
      if (value.list.empty()) return InvalidField(value_field, "empty; use clear_keys instead");
      break;
    }
    case AttributeType::kUnspecified:
      return absl::InternalError(absl::StrCat("attribute '", spec.key, "' has no type"));
  }
  // Only the field of the type carries meaning; drop whatever else came.
  if (spec.type != AttributeType::kBool) value.boolean = false;
  if (spec.type != AttributeType::kList) value.list.clear();
  return absl::OkStatus();
}

bool CanWrite(AttributeEditor editor, AttributeWriter writer) {
  switch (editor) {
    case AttributeEditor::kClient:
      return true;
    case AttributeEditor::kOperator:
      return writer == AttributeWriter::kOperator;
    case AttributeEditor::kSystem:
    case AttributeEditor::kUnspecified:
      break;
  }
  return false;
}

}  // namespace

absl::Status NormalizeAttributeSpec(AttributeSpec& spec, absl::string_view prefix) {
  auto field = [&](absl::string_view name) { return absl::StrCat(prefix, name); };
  if (!IsAttributeKey(spec.key)) {
    return InvalidField(field("key"),
                        absl::StrCat("must be 1..", kMaxAttributeKeyLength,
                                     " of a-z, 0-9, _ starting with a letter, e.g. shoe_size"));
  }
  if (absl::Status status = NormalizeName(field("display_name"), spec.display_name);
      !status.ok()) {
    return status;
  }
  if (spec.type == AttributeType::kUnspecified || static_cast<int>(spec.type) < 0 ||
      static_cast<int>(spec.type) > static_cast<int>(AttributeType::kList)) {
    return InvalidField(field("type"), "an attribute type is required");
  }
  if (static_cast<int>(spec.kind) < 0 ||
      static_cast<int>(spec.kind) > static_cast<int>(AttributeKind::kStatusSystem)) {
    return InvalidField(field("kind"), "unknown kind");
  }
  if (static_cast<int>(spec.editable_by) < 0 ||
      static_cast<int>(spec.editable_by) > static_cast<int>(AttributeEditor::kSystem)) {
    return InvalidField(field("editable_by"), "unknown editor");
  }
  if (spec.kind == AttributeKind::kUnspecified) spec.kind = AttributeKind::kQuestionnaire;
  if (spec.editable_by == AttributeEditor::kUnspecified) {
    spec.editable_by = spec.kind == AttributeKind::kSystem ? AttributeEditor::kSystem
                                                            : AttributeEditor::kOperator;
  }
  if (spec.kind == AttributeKind::kSystem && spec.editable_by != AttributeEditor::kSystem) {
    return InvalidField(field("editable_by"), "a system attribute is edited by the system only");
  }
  if (spec.kind == AttributeKind::kStatusSystem && spec.type != AttributeType::kEnum) {
    return InvalidField(field("type"), "a status system is an ENUM: its statuses are the values");
  }
  if (spec.required_at_registration && spec.editable_by == AttributeEditor::kSystem) {
    return InvalidField(field("required_at_registration"),
                        "an attribute only the system writes cannot be required at registration");
  }
  if (spec.type == AttributeType::kNumber) {
    if (spec.number_scale < 0 || spec.number_scale > kMaxNumberScale) {
      return InvalidField(field("number_scale"), absl::StrCat("must be 0..", kMaxNumberScale));
    }
  } else if (spec.number_scale != 0) {
    return InvalidField(field("number_scale"), "only NUMBER attributes have a scale");
  }
  if (!HasAllowedValues(spec.type)) {
    if (!spec.allowed_values.empty()) {
      return InvalidField(field("allowed_values"), "only ENUM and LIST attributes have values");
    }
    return absl::OkStatus();
  }
  if (spec.allowed_values.empty() || spec.allowed_values.size() > kMaxAllowedValues) {
    return InvalidField(field("allowed_values"),
                        absl::StrCat("ENUM and LIST attributes need 1..", kMaxAllowedValues,
                                     " allowed values"));
  }
  absl::flat_hash_set<std::string> keys;
  for (size_t i = 0; i < spec.allowed_values.size(); ++i) {
    AllowedValue& allowed = spec.allowed_values[i];
    const std::string item = field(absl::StrCat("allowed_values[", i, "]."));
    if (!IsAllowedValueKey(allowed.key)) {
      return InvalidField(absl::StrCat(item, "key"),
                          absl::StrCat("must be 1..", kMaxAttributeKeyLength,
                                       " of a-z, 0-9, _, - starting with a letter or digit"));
    }
    if (!keys.insert(allowed.key).second) {
      return InvalidField(absl::StrCat(item, "key"), "given twice");
    }
    if (absl::Status status = NormalizeName(absl::StrCat(item, "label"), allowed.label);
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyAttributeMask(const std::vector<std::string>& paths, const AttributeSpec& input,
                                AttributeSpec& stored) {
  if (paths.empty()) {
    return InvalidField("update_mask", "required: name the fields to change");
  }
  for (const std::string& path : paths) {
    if (path == "display_name") {
      stored.display_name = input.display_name;
    } else if (path == "type") {
      stored.type = input.type;
    } else if (path == "number_scale") {
      stored.number_scale = input.number_scale;
    } else if (path == "allowed_values") {
      stored.allowed_values = input.allowed_values;
    } else if (path == "required_at_registration") {
      stored.required_at_registration = input.required_at_registration;
    } else if (path == "editable_by") {
      stored.editable_by = input.editable_by;
    } else if (path == "kind") {
      stored.kind = input.kind;
    } else if (path == "key") {
      return InvalidField("update_mask", "the key of an attribute cannot change");
    } else {
      return InvalidField("update_mask",
                          absl::StrCat("unknown path '", path,
                                       "'; use display_name, type, number_scale, allowed_values,"
                                       " required_at_registration, editable_by, kind"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckAttributeChange(const AttributeSpec& before, const AttributeSpec& after,
                                  bool has_values, absl::Span<const std::string> held_keys) {
  if (has_values) {
    const char* reason = "clients have values of this attribute; define a new attribute instead";
    if (before.type != after.type) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "attribute.type", reason);
    }
    if (before.number_scale != after.number_scale) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "attribute.number_scale", reason);
    }
    if (before.kind != after.kind) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "attribute.kind", reason);
    }
  }
  for (const std::string& held : held_keys) {
    if (!IsAllowed(after, held)) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "attribute.allowed_values",
                        absl::StrCat("clients hold the value '", held, "'; it cannot be removed"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckAttributeLimit(int64_t existing) {
  if (existing >= kMaxAttributesPerProgram) {
    return absl::FailedPreconditionError(
        absl::StrCat("the program has ", existing, " attributes, the most allowed is ",
                     kMaxAttributesPerProgram));
  }
  return absl::OkStatus();
}

absl::StatusOr<AttributeChanges> ValidateAttributeChanges(
    absl::Span<const Attribute> schema, absl::Span<const AttributeValue> values,
    absl::Span<const std::string> clear_keys, AttributeWriter writer,
    absl::string_view values_field, absl::string_view clear_field) {
  if (values.size() > kMaxValuesPerCall) {
    return InvalidField(values_field, absl::StrCat("at most ", kMaxValuesPerCall, " values"));
  }
  if (clear_keys.size() > kMaxValuesPerCall) {
    return InvalidField(clear_field, absl::StrCat("at most ", kMaxValuesPerCall, " keys"));
  }
  absl::flat_hash_map<absl::string_view, const Attribute*> by_key;
  for (const Attribute& attribute : schema) by_key[attribute.spec.key] = &attribute;
  // The attribute `key` names, if it may be written; errors name `field`.
  auto writable = [&](absl::string_view field,
                      absl::string_view key) -> absl::StatusOr<const Attribute*> {
    auto found = by_key.find(key);
    if (found == by_key.end()) {
      return InvalidField(field, absl::StrCat("unknown attribute '", key, "'"));
    }
    const Attribute& attribute = *found->second;
    if (attribute.archived) {
      return InvalidField(field, absl::StrCat("attribute '", key, "' is archived"));
    }
    if (!CanWrite(attribute.spec.editable_by, writer)) {
      return InvalidField(field, absl::StrCat("attribute '", key, "' is not editable by ",
                                              writer == AttributeWriter::kOperator
                                                  ? "operators"
                                                  : "this channel"));
    }
    return &attribute;
  };
  AttributeChanges changes;
  absl::flat_hash_set<std::string> seen;
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string field = absl::StrCat(values_field, "[", i, "]");
    AttributeValue value = values[i];
    absl::StatusOr<const Attribute*> attribute =
        writable(absl::StrCat(field, ".key"), value.key);
    if (!attribute.ok()) return attribute.status();
    if (!seen.insert(value.key).second) {
      return InvalidField(absl::StrCat(field, ".key"), "given twice");
    }
    if (absl::Status status = NormalizeValue(**attribute, field, value); !status.ok()) {
      return status;
    }
    changes.set.push_back(std::move(value));
  }
  for (size_t i = 0; i < clear_keys.size(); ++i) {
    const std::string field = absl::StrCat(clear_field, "[", i, "]");
    absl::StatusOr<const Attribute*> attribute = writable(field, clear_keys[i]);
    if (!attribute.ok()) return attribute.status();
    if (!seen.insert(clear_keys[i]).second) return InvalidField(field, "given twice");
    changes.clear.push_back(clear_keys[i]);
  }
  return changes;
}

absl::Status CheckRequiredAtRegistration(absl::Span<const Attribute> schema,
                                         absl::Span<const AttributeValue> values,
                                         absl::string_view field) {
  for (const Attribute& attribute : schema) {
    if (attribute.archived || !attribute.spec.required_at_registration) continue;
    const bool given = std::any_of(values.begin(), values.end(), [&](const AttributeValue& v) {
      return v.key == attribute.spec.key;
    });
    if (!given) {
      return InvalidField(field, absl::StrCat("attribute '", attribute.spec.key,
                                              "' is required at registration"));
    }
  }
  return absl::OkStatus();
}

std::string FormatAttributeNumber(int64_t units, int scale) {
  // Magnitudes stay below 10^18 (kMaxNumberDigits), so the negation is safe.
  const bool negative = units < 0;
  std::string digits = absl::StrCat(negative ? -units : units);
  const size_t fraction = static_cast<size_t>(scale);
  if (fraction > 0 && digits.size() <= fraction) {
    digits = absl::StrCat(std::string(fraction + 1 - digits.size(), '0'), digits);
  }
  const absl::string_view all(digits);
  const size_t point = all.size() - fraction;
  const std::string text =
      fraction == 0 ? digits : absl::StrCat(all.substr(0, point), ".", all.substr(point));
  return negative ? absl::StrCat("-", text) : text;
}

absl::StatusOr<int64_t> ParseAttributeNumber(absl::string_view field, absl::string_view text,
                                             int scale) {
  absl::string_view rest = absl::StripAsciiWhitespace(text);
  const bool negative = !rest.empty() && rest.front() == '-';
  if (negative) rest.remove_prefix(1);
  const size_t point = rest.find('.');
  absl::string_view whole = rest.substr(0, point);
  absl::string_view fraction =
      point == absl::string_view::npos ? absl::string_view() : rest.substr(point + 1);
  auto all_digits = [](absl::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isdigit(c); });
  };
  if (whole.empty() || !all_digits(whole) || !all_digits(fraction) ||
      (point != absl::string_view::npos && fraction.empty())) {
    return InvalidField(field, "must be a decimal number, e.g. 12.5");
  }
  if (fraction.size() > static_cast<size_t>(scale)) {
    return InvalidField(field, absl::StrCat("at most ", scale, " digits after the point"));
  }
  while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
  if (whole.size() + static_cast<size_t>(scale) > static_cast<size_t>(kMaxNumberDigits)) {
    return InvalidField(field, absl::StrCat("too large: at most ", kMaxNumberDigits - scale,
                                            " digits before the point"));
  }
  std::string units_text(whole);
  units_text.append(fraction.data(), fraction.size());
  units_text.append(static_cast<size_t>(scale) - fraction.size(), '0');
  int64_t units = 0;
  if (!absl::SimpleAtoi(units_text, &units)) {
    return InvalidField(field, "must be a decimal number, e.g. 12.5");
  }
  return negative ? -units : units;
}

std::string StatusText(const AttributeValue* value) { return value ? value->text : ""; }

absl::StatusOr<AttributeChangeSource> ResolveRequestedSource(absl::string_view field,
                                                             AttributeChangeSource requested) {
  switch (requested) {
    case AttributeChangeSource::kUnspecified:
    case AttributeChangeSource::kOperator:
      return AttributeChangeSource::kOperator;
    case AttributeChangeSource::kSchedule:
    case AttributeChangeSource::kCampaign:
      return requested;
    case AttributeChangeSource::kBatch:
    case AttributeChangeSource::kRegistration:
      break;
  }
  return InvalidField(field, "must be OPERATOR, SCHEDULE or CAMPAIGN");
}

}  // namespace loyalty::identity
