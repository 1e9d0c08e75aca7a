#include "services/identity/domain/client_import.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/common/text.h"

namespace loyalty::identity {
namespace {

// Sets a field from a cell; the profile is validated as a whole afterwards.
struct ImportField {
  absl::string_view name;
  std::string ClientProfile::*text = nullptr;  // null for the special ones
};

// Not importable: marketing_consent (consents keep a history with a text
// version, CLI-3), referrer_client_id (ids of this system, not of the
// file's), device and social_profiles (no single-cell form).
constexpr ImportField kImportFields[] = {
    {"last_name", &ClientProfile::last_name},
    {"first_name", &ClientProfile::first_name},
    {"middle_name", &ClientProfile::middle_name},
    {"phone", &ClientProfile::phone},
    {"email", &ClientProfile::email},
    {"birth_date"},
    {"gender"},
    {"city", &ClientProfile::city},
    {"car_number", &ClientProfile::car_number},
    {"extra_key1", &ClientProfile::extra_key1},
    {"extra_key2", &ClientProfile::extra_key2},
    {"extra_key3", &ClientProfile::extra_key3},
    {"extra_key4", &ClientProfile::extra_key4},
    {"extra_key5", &ClientProfile::extra_key5},
    {"extra_key6", &ClientProfile::extra_key6},
    {"external_id", &ClientProfile::external_id},
    {"referral_code", &ClientProfile::referral_code},
    {"utm_source", &ClientProfile::utm_source},
    {"utm_medium", &ClientProfile::utm_medium},
    {"utm_campaign", &ClientProfile::utm_campaign},
    {"utm_content", &ClientProfile::utm_content},
    {"utm_term", &ClientProfile::utm_term},
    {"issuance_form", &ClientProfile::issuance_form},
    {"registration_store_id", &ClientProfile::registration_store_id},
};

// client_id finds a client but sets nothing: an exported file (CLI-9)
// edited and imported back.
constexpr absl::string_view kClientIdField = "client_id";
constexpr absl::string_view kDedupeKeys[] = {"client_id", "phone", "email", "external_id"};

const ImportField* FindField(absl::string_view name) {
  const ImportField* found =
      std::find_if(std::begin(kImportFields), std::end(kImportFields),
                   [&](const ImportField& field) { return field.name == name; });
  return found == std::end(kImportFields) ? nullptr : found;
}

absl::StatusOr<Gender> ParseGender(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (lower.empty()) return Gender::kUnspecified;
  if (lower == "female" || lower == "f") return Gender::kFemale;
  if (lower == "male" || lower == "m") return Gender::kMale;
  return InvalidField("gender", "female, male, f, m or empty");
}

// The program's active attribute named by an "attributes.<key>" field.
const Attribute* FindAttributeField(absl::Span<const Attribute> schema, absl::string_view field) {
  if (!absl::ConsumePrefix(&field, kAttributeFieldPrefix)) return nullptr;
  for (const Attribute& attribute : schema) {
    if (attribute.spec.key == field && !attribute.archived) return &attribute;
  }
  return nullptr;
}

absl::StatusOr<bool> ParseBoolCell(absl::string_view field, absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  // Russian too, in the three ways a spreadsheet has it.
  for (absl::string_view yes : {"true", "yes", "1", "y", "да", "Да", "ДА"}) {
    if (lower == yes) return true;
  }
  for (absl::string_view no : {"false", "no", "0", "n", "нет", "Нет", "НЕТ"}) {
    if (lower == no) return false;
  }
  return InvalidField(field, "true/false, yes/no or 1/0");
}

// A non-empty cell as the value of `attribute`, before validation against
// its rules: dates as people write them, lists separated by '|'.
absl::StatusOr<AttributeValue> AttributeCell(const Attribute& attribute, absl::string_view field,
                                             absl::string_view cell) {
  AttributeValue value{.key = attribute.spec.key, .type = attribute.spec.type};
  switch (attribute.spec.type) {
    case AttributeType::kBool: {
      ASSIGN_OR_RETURN(value.boolean, ParseBoolCell(field, cell));
      break;
    }
    case AttributeType::kDate: {
      absl::StatusOr<BirthDate> date = ParseBirthDate(cell);
      if (!date.ok()) return InvalidField(field, "YYYY-MM-DD or DD.MM.YYYY");
      value.text = absl::StrFormat("%04d-%02d-%02d", date->year, date->month, date->day);
      break;
    }
    case AttributeType::kList:
      for (absl::string_view item : absl::StrSplit(cell, '|', absl::SkipWhitespace())) {
        value.list.emplace_back(absl::StripAsciiWhitespace(item));
      }
      break;
    case AttributeType::kNumber:
      // A decimal comma, as Russian spreadsheets write numbers.
      value.text = absl::StrReplaceAll(cell, {{",", "."}});
      break;
    default:
      value.text = std::string(cell);
  }
  return value;
}

}  // namespace

const std::vector<std::string>& ImportFieldNames() {
  static const auto* const names = [] {
    auto* list = new std::vector<std::string>();
    for (const ImportField& field : kImportFields) list->emplace_back(field.name);
    return list;
  }();
  return *names;
}

absl::StatusOr<std::vector<ImportColumn>> ResolveColumns(
    const std::vector<std::string>& header, const std::vector<RequestedColumn>& requested,
    const std::vector<std::string>& dedupe_keys, absl::Span<const Attribute> schema) {
  if (requested.empty()) return InvalidField("columns", "map at least one column to a field");
  std::vector<ImportColumn> columns;
  for (size_t i = 0; i < requested.size(); ++i) {
    const std::string at = absl::StrCat("columns[", i, "].");
    const std::string name(absl::StripAsciiWhitespace(requested[i].column));
    const absl::string_view wanted = requested[i].field;
    if (absl::StartsWith(wanted, kAttributeFieldPrefix)) {
      const Attribute* attribute = FindAttributeField(schema, wanted);
      if (attribute == nullptr) {
        return InvalidField(absl::StrCat(at, "field"),
                            absl::StrCat("no active attribute '",
                                         wanted.substr(kAttributeFieldPrefix.size()), "'"));
      }
      if (attribute->spec.editable_by == AttributeEditor::kSystem) {
        return InvalidField(absl::StrCat(at, "field"),
                            absl::StrCat("attribute '", attribute->spec.key,
                                         "' is written by the system only"));
      }
    } else if (wanted != kClientIdField && FindField(wanted) == nullptr) {
      return InvalidField(absl::StrCat(at, "field"),
                          absl::StrCat("unknown client field '", wanted, "'"));
    }
    std::vector<int> matches;
    for (size_t c = 0; c < header.size(); ++c) {
      if (absl::StripAsciiWhitespace(header[c]) == name) matches.push_back(static_cast<int>(c));
    }
    if (matches.size() != 1) {
      return InvalidField(absl::StrCat(at, "column"),
                          matches.empty()
                              ? absl::StrCat("the header row has no column '", name, "'")
                              : absl::StrCat("the header row has '", name, "' twice"));
    }
    for (const ImportColumn& earlier : columns) {
      if (earlier.field == requested[i].field) {
        return InvalidField(absl::StrCat(at, "field"),
                            absl::StrCat("'", earlier.field, "' is mapped twice"));
      }
    }
    columns.push_back({.index = matches[0], .column = name, .field = requested[i].field});
  }
  for (size_t i = 0; i < dedupe_keys.size(); ++i) {
    const std::string field = absl::StrCat("dedupe_keys[", i, "]");
    if (std::find(std::begin(kDedupeKeys), std::end(kDedupeKeys), dedupe_keys[i]) ==
        std::end(kDedupeKeys)) {
      return InvalidField(field, "client_id, phone, email or external_id");
    }
    if (ColumnOfField(columns, dedupe_keys[i]).empty()) {
      return InvalidField(field, absl::StrCat("no column is mapped to '", dedupe_keys[i], "'"));
    }
  }
  return columns;
}

absl::StatusOr<BirthDate> ParseBirthDate(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  const std::vector<absl::string_view> iso = absl::StrSplit(text, '-');
  const std::vector<absl::string_view> dotted = absl::StrSplit(text, '.');
  BirthDate date;
  bool ok = false;
  if (iso.size() == 3 && iso[0].size() == 4) {
    ok = absl::SimpleAtoi(iso[0], &date.year) && absl::SimpleAtoi(iso[1], &date.month) &&
         absl::SimpleAtoi(iso[2], &date.day);
  } else if (dotted.size() == 3 && dotted[2].size() == 4) {
    ok = absl::SimpleAtoi(dotted[0], &date.day) && absl::SimpleAtoi(dotted[1], &date.month) &&
         absl::SimpleAtoi(dotted[2], &date.year);
  }
  if (!ok) return InvalidField("birth_date", "YYYY-MM-DD or DD.MM.YYYY");
  return date;
}

absl::StatusOr<ImportedRow> ParseImportRow(const std::vector<ImportColumn>& columns,
                                           const std::vector<std::string>& cells,
                                           absl::string_view default_country_code,
                                           absl::CivilDay today,
                                           absl::Span<const Attribute> schema) {
  ImportedRow row;
  for (const ImportColumn& column : columns) {
    const std::string& cell =
        column.index < static_cast<int>(cells.size()) ? cells[column.index] : std::string();
    if (!Utf8Length(cell)) return InvalidField(column.field, "not UTF-8 text");
    const absl::string_view trimmed = absl::StripAsciiWhitespace(cell);
    if (IsSpreadsheetError(trimmed)) {
      return InvalidField(column.field,
                          absl::StrCat(trimmed, " is a spreadsheet error value (no data)"));
    }
    if (column.field == kClientIdField) {
      if (!trimmed.empty() && !IsUuid(trimmed)) return InvalidField(column.field, "not a UUID");
      row.client_id = std::string(trimmed);
      continue;
    }
    if (absl::StartsWith(column.field, kAttributeFieldPrefix)) {
      const Attribute* attribute = FindAttributeField(schema, column.field);
      if (attribute == nullptr) {
        return InvalidField(column.field, "the attribute was archived or removed");
      }
      if (trimmed.empty()) continue;
      ASSIGN_OR_RETURN(AttributeValue value, AttributeCell(*attribute, column.field, trimmed));
      // Validated one at a time so that an error names its column.
      absl::StatusOr<AttributeChanges> checked = ValidateAttributeChanges(
          schema, {&value, 1}, {}, AttributeWriter::kOperator, "value", "value");
      if (!checked.ok()) {
        const std::string named = ViolatedField(checked.status()).value_or("");
        return RenameViolatedField(checked.status(), named, column.field);
      }
      row.attributes.push_back(std::move(checked->set.front()));
      continue;
    }
    const ImportField* field = FindField(column.field);
    if (field == nullptr) return InvalidField(column.field, "not an import field");
    if (!trimmed.empty()) row.filled_fields.push_back(column.field);
    if (field->text != nullptr) {
      row.profile.*field->text = cell;
    } else if (field->name == "gender") {
      ASSIGN_OR_RETURN(row.profile.gender, ParseGender(cell));
    } else if (!trimmed.empty()) {
      ASSIGN_OR_RETURN(row.profile.birth_date, ParseBirthDate(cell));
    }
  }
  RETURN_IF_ERROR(NormalizeProfileFields(row.profile, default_country_code, today, ""));
  return row;
}

ImportRowError RowErrorOf(const std::vector<ImportColumn>& columns, int64_t line,
                          const absl::Status& status) {
  const std::string named = ViolatedField(status).value_or("");
  absl::string_view message = status.message();
  absl::ConsumePrefix(&message, absl::StrCat(named, ": "));
  absl::string_view field = named;
  absl::ConsumePrefix(&field, "client.");
  return ImportRowError{.line = line,
                        .column = ColumnOfField(columns, field),
                        .field = std::string(field),
                        .message = std::string(message)};
}

bool IsSpreadsheetError(absl::string_view cell) {
  // The error values of Excel and LibreOffice as they store a failed
  // formula's cached result.
  static constexpr absl::string_view kErrors[] = {
      "#N/A",  "#NULL!",  "#DIV/0!", "#VALUE!",       "#REF!",   "#NAME?",
      "#NUM!", "#SPILL!", "#CALC!",  "#GETTING_DATA", "#FIELD!", "#BLOCKED!"};
  return std::find(std::begin(kErrors), std::end(kErrors), cell) != std::end(kErrors);
}

std::string ColumnOfField(const std::vector<ImportColumn>& columns, absl::string_view field) {
  for (const ImportColumn& column : columns) {
    if (column.field == field) return column.column;
  }
  return "";
}

std::string EncodeImportOptions(const ImportOptions& options) {
  // CSV writes no format line, so that the content keys of imports stored
  // before XLSX stay what they were.
  std::string text = absl::StrCat(
      "file=", options.file_id, options.format == ImportFormat::kXlsx ? "\nformat=xlsx" : "",
      "\ndelimiter=", std::string(1, options.delimiter),
      "\nmode=", options.mode == DuplicateMode::kUpdate ? "update" : "skip",
      "\nnew=", options.on_new == NewClientMode::kSkip ? "skip" : "create",
      "\ndata=", options.data_offset, ":", options.data_line, "\n");
  const AuditActor& actor = options.started_by;
  // Base64: the values are any text, commas included.
  absl::StrAppend(&text, "actor=", ActorKindName(actor.kind), ",",
                  absl::WebSafeBase64Escape(actor.role), ",",
                  absl::WebSafeBase64Escape(actor.principal_id), ",",
                  absl::WebSafeBase64Escape(actor.request_id), "\n");
  for (const std::string& key : options.dedupe_keys) absl::StrAppend(&text, "key=", key, "\n");
  for (const ImportColumn& column : options.columns) {
    absl::StrAppend(&text, "column=", column.index, ",", column.field, ",",
                    absl::CEscape(column.column), "\n");
  }
  return text;
}

absl::StatusOr<ImportOptions> DecodeImportOptions(absl::string_view text) {
  ImportOptions options;
  auto bad = [] { return absl::InternalError("import options are not in the stored form"); };
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (kv.first == "file") {
      options.file_id = std::string(kv.second);
    } else if (kv.first == "format" && kv.second == "xlsx") {
      options.format = ImportFormat::kXlsx;
    } else if (kv.first == "delimiter" && kv.second.size() == 1) {
      options.delimiter = kv.second[0];
    } else if (kv.first == "mode") {
      options.mode = kv.second == "update" ? DuplicateMode::kUpdate : DuplicateMode::kSkip;
    } else if (kv.first == "new") {
      options.on_new = kv.second == "skip" ? NewClientMode::kSkip : NewClientMode::kCreate;
    } else if (kv.first == "data") {
      std::pair<absl::string_view, absl::string_view> at = absl::StrSplit(kv.second, ':');
      if (!absl::SimpleAtoi(at.first, &options.data_offset) ||
          !absl::SimpleAtoi(at.second, &options.data_line)) {
        return bad();
      }
    } else if (kv.first == "actor") {
      std::vector<absl::string_view> parts = absl::StrSplit(kv.second, ',');
      std::optional<ActorKind> kind =
          parts.size() == 4 ? ActorKindFromName(parts[0]) : std::nullopt;
      AuditActor& actor = options.started_by;
      if (!kind || !absl::WebSafeBase64Unescape(parts[1], &actor.role) ||
          !absl::WebSafeBase64Unescape(parts[2], &actor.principal_id) ||
          !absl::WebSafeBase64Unescape(parts[3], &actor.request_id)) {
        return bad();
      }
      actor.kind = *kind;
    } else if (kv.first == "key") {
      options.dedupe_keys.emplace_back(kv.second);
    } else if (kv.first == "column") {
      std::vector<absl::string_view> parts = absl::StrSplit(kv.second, absl::MaxSplits(',', 2));
      ImportColumn column;
      if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &column.index) ||
          !absl::CUnescape(parts[2], &column.column)) {
        return bad();
      }
      column.field = std::string(parts[1]);
      options.columns.push_back(std::move(column));
    } else {
      return bad();
    }
  }
  if (options.file_id.empty() || options.columns.empty()) return bad();
  return options;
}

std::string BatchItemKey(const ImportBatch& batch) {
  return absl::StrCat("rows:", batch.first_line, ":", batch.offset, ":", batch.rows);
}

std::optional<ImportBatch> ParseBatchItemKey(absl::string_view key) {
  if (!absl::ConsumePrefix(&key, "rows:")) return std::nullopt;
  std::vector<absl::string_view> parts = absl::StrSplit(key, ':');
  ImportBatch batch;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &batch.first_line) ||
      !absl::SimpleAtoi(parts[1], &batch.offset) || !absl::SimpleAtoi(parts[2], &batch.rows)) {
    return std::nullopt;
  }
  return batch;
}

}  // namespace loyalty::identity
