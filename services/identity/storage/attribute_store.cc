#include "services/identity/storage/attribute_store.h"

#include <optional>
#include <tuple>

#include <pqxx/pqxx>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/common/status_macros.h"
#include "libs/outbox/outbox.h"
#include "libs/pg/array_literal.h"
#include "services/identity/storage/attribute_proto.h"
#include "services/identity/storage/audit_writer.h"

namespace loyalty::identity {
namespace {

constexpr char kAttributeColumns[] =
    "key, display_name, type, number_scale, allowed_keys, allowed_labels,"
    " required_at_registration, editable_by, kind, archived,"
    " (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM updated_at) * 1000000)::bigint";

// Values with what decoding them needs from their attribute.
constexpr char kValueSelect[] =
    "SELECT v.key, a.type, a.number_scale, v.text_value, v.number_value, v.bool_value,"
    " v.date_value::text, v.list_value"
    " FROM client_attribute_values v JOIN attributes a USING (program_id, key)";

std::vector<std::string> ParseTextArray(const pqxx::field& field) {
  std::vector<std::string> out;
  if (field.is_null()) return out;
  pqxx::array_parser parser = field.as_array();
  for (auto [juncture, text] = parser.get_next(); juncture != pqxx::array_parser::done;
       std::tie(juncture, text) = parser.get_next()) {
    if (juncture == pqxx::array_parser::string_value) out.push_back(std::move(text));
  }
  return out;
}

Attribute AttributeFromRow(const pqxx::row& row) {
  Attribute attribute;
  AttributeSpec& spec = attribute.spec;
  spec.key = row[0].as<std::string>();
  spec.display_name = row[1].as<std::string>();
  spec.type = static_cast<AttributeType>(row[2].as<int>());
  spec.number_scale = row[3].as<int>();
  const std::vector<std::string> keys = ParseTextArray(row[4]);
  const std::vector<std::string> labels = ParseTextArray(row[5]);
  for (size_t i = 0; i < keys.size() && i < labels.size(); ++i) {
    spec.allowed_values.push_back(AllowedValue{.key = keys[i], .label = labels[i]});
  }
  spec.required_at_registration = row[6].as<bool>();
  spec.editable_by = static_cast<AttributeEditor>(row[7].as<int>());
  spec.kind = static_cast<AttributeKind>(row[8].as<int>());
  attribute.archived = row[9].as<bool>();
  attribute.create_time = absl::FromUnixMicros(row[10].as<int64_t>());
  attribute.update_time = absl::FromUnixMicros(row[11].as<int64_t>());
  return attribute;
}

AttributeValue ValueFromRow(const pqxx::row& row) {
  AttributeValue value{.key = row[0].as<std::string>(),
                       .type = static_cast<AttributeType>(row[1].as<int>())};
  switch (value.type) {
    case AttributeType::kString:
    case AttributeType::kEnum:
      value.text = row[3].as<std::string>("");
      break;
    case AttributeType::kNumber:
      value.number = row[4].as<int64_t>(0);
      value.text = FormatAttributeNumber(value.number, row[2].as<int>());
      break;
    case AttributeType::kBool:
      value.boolean = row[5].as<bool>(false);
      break;
    case AttributeType::kDate:
      value.text = row[6].as<std::string>("");
      break;
    case AttributeType::kList:
      value.list = ParseTextArray(row[7]);
      break;
    case AttributeType::kUnspecified:
      break;
  }
  return value;
}

std::vector<std::string> AllowedKeys(const AttributeSpec& spec) {
  std::vector<std::string> keys;
  for (const AllowedValue& allowed : spec.allowed_values) keys.push_back(allowed.key);
  return keys;
}

std::vector<std::string> AllowedLabels(const AttributeSpec& spec) {
  std::vector<std::string> labels;
  for (const AllowedValue& allowed : spec.allowed_values) labels.push_back(allowed.label);
  return labels;
}

absl::Status NoSuchAttribute(absl::string_view field) {
  return FieldError(absl::StatusCode::kNotFound, field, "no such attribute in this program");
}

absl::Status NoSuchClient() {
  return FieldError(absl::StatusCode::kNotFound, "client_id", "no such client in this program");
}

std::optional<Attribute> FindAttribute(pg::Tx& tx, absl::string_view program_id,
                                       absl::string_view key, bool lock) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kAttributeColumns,
                   " FROM attributes WHERE program_id = $1 AND key = $2",
                   lock ? " FOR UPDATE" : ""),
      std::string(program_id), std::string(key));
  if (rows.empty()) return std::nullopt;
  return AttributeFromRow(rows[0]);
}

// The program's attributes by key. Writers of values take them under a
// share lock (`lock`): values are written against the schema as it is until
// commit (an update of a definition waits).
std::vector<Attribute> LoadSchema(pg::Tx& tx, absl::string_view program_id, bool lock = true) {
  std::vector<Attribute> schema;
  for (const auto& row :
       tx.exec_params(absl::StrCat("SELECT ", kAttributeColumns,
                                   " FROM attributes WHERE program_id = $1 ORDER BY key",
                                   lock ? " FOR SHARE" : ""),
                      std::string(program_id))) {
    schema.push_back(AttributeFromRow(row));
  }
  return schema;
}

std::vector<AttributeValue> LoadValues(pg::Tx& tx, absl::string_view program_id,
                                       absl::string_view client_id) {
  std::vector<AttributeValue> values;
  for (const auto& row : tx.exec_params(
           absl::StrCat(kValueSelect, " WHERE v.program_id = $1 AND v.client_id = $2 ORDER BY v.key"),
           std::string(program_id), std::string(client_id))) {
    values.push_back(ValueFromRow(row));
  }
  return values;
}

// Locks a client whose values may change: NOT_FOUND for no such client
// (or an erased one), FAILED_PRECONDITION for a merged duplicate, whose
// values went to the survivor.
absl::Status LockClient(pg::Tx& tx, absl::string_view program_id, absl::string_view client_id) {
  pqxx::result rows = tx.exec_params(
      "SELECT coalesce(merged_into::text, '') FROM clients"
      " WHERE program_id = $1 AND client_id = $2 AND erased_at IS NULL FOR UPDATE",
      std::string(program_id), std::string(client_id));
  if (rows.empty()) return NoSuchClient();
  if (const std::string survivor = rows[0][0].as<std::string>(); !survivor.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "client ", client_id, " was merged into ", survivor, " and cannot change"));
  }
  return absl::OkStatus();
}

void UpsertValue(pg::Tx& tx, absl::string_view program_id, absl::string_view client_id,
                 const AttributeValue& value) {
  const bool textual = value.type == AttributeType::kString || value.type == AttributeType::kEnum;
  // Unused parameters still get valid literals: a CASE branch that is not
  // taken may be folded at planning time, cast and all.
  tx.exec_params(
      "INSERT INTO client_attribute_values (program_id, client_id, key, text_value,"
      " number_value, bool_value, date_value, list_value)"
      " VALUES ($1, $2, $3, NULLIF($4, ''), CASE WHEN $6 THEN $5::bigint END,"
      " CASE WHEN $8 THEN $7::boolean END, NULLIF($9, '')::date,"
      " CASE WHEN $11 THEN $10::text[] END)"
      " ON CONFLICT (program_id, client_id, key) DO UPDATE SET"
      " text_value = EXCLUDED.text_value, number_value = EXCLUDED.number_value,"
      " bool_value = EXCLUDED.bool_value, date_value = EXCLUDED.date_value,"
      " list_value = EXCLUDED.list_value, updated_at = now()",
      std::string(program_id), std::string(client_id), value.key,
      textual ? value.text : std::string(), value.number, value.type == AttributeType::kNumber,
      value.boolean, value.type == AttributeType::kBool,
      value.type == AttributeType::kDate ? value.text : std::string(), pg::TextArray(value.list),
      value.type == AttributeType::kList);
}

void AppendStatusChange(pg::Tx& tx, absl::string_view program_id, absl::string_view client_id,
                        absl::string_view key, const std::string& old_value,
                        const std::string& new_value, const AttributeChangeOrigin& origin) {
  tx.exec_params(
      "INSERT INTO client_status_history (program_id, client_id, key, old_value, new_value,"
      " source, changed_by, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      std::string(program_id), std::string(client_id), std::string(key), old_value, new_value,
      static_cast<int>(origin.source), origin.actor.principal_id, origin.reason);
}

// A value as an audit entry shows it under its key; null for none.
void AddValueToAudit(const std::string& key, const AttributeValue* value, AuditFields& fields) {
  if (value == nullptr) {
    fields.Json(key, "null");
  } else if (value->type == AttributeType::kBool) {
    fields.Bool(key, value->boolean);
  } else if (value->type == AttributeType::kList) {
    fields.TextList(key, value->list);
  } else {
    fields.Text(key, value->text);  // NUMBER as its exact decimal
  }
}

// The spec's fields an audit entry of a schema change shows.
void AddSpecToAudit(const AttributeSpec& spec, AuditFields& fields) {
  std::vector<std::string> allowed;
  for (const AllowedValue& value : spec.allowed_values) allowed.push_back(value.key);
  fields.Text("display_name", spec.display_name)
      .Int("type", static_cast<int>(spec.type))
      .Int("number_scale", spec.number_scale)
      .TextList("allowed_values", allowed)
      .Bool("required_at_registration", spec.required_at_registration)
      .Int("editable_by", static_cast<int>(spec.editable_by))
      .Int("kind", static_cast<int>(spec.kind));
}

// Writes the values that differ from the stored ones, a history row per
// changed status, one event and one audit entry if anything changed; false
// if nothing did.
bool ApplyChanges(pg::Tx& tx, absl::string_view program_id, absl::string_view client_id,
                  absl::Span<const Attribute> schema, const AttributeChanges& changes,
                  const AttributeChangeOrigin& origin) {
  // Nothing to read either (a registration without attributes).
  if (changes.set.empty() && changes.clear.empty()) return false;
  absl::flat_hash_map<std::string, const Attribute*> by_key;
  for (const Attribute& attribute : schema) by_key[attribute.spec.key] = &attribute;
  absl::flat_hash_map<std::string, AttributeValue> current;
  for (AttributeValue& value : LoadValues(tx, program_id, client_id)) {
    current[value.key] = std::move(value);
  }
  auto is_status = [&](const std::string& key) {
    auto found = by_key.find(key);
    return found != by_key.end() && found->second->spec.kind == AttributeKind::kStatusSystem;
  };
  v1::ClientAttributesChanged event;
  AuditChange audit{.action = "client.attributes",
                    .object_type = "client",
                    .object_id = std::string(client_id),
                    .client_id = std::string(client_id)};
  for (const AttributeValue& value : changes.set) {
    auto stored = current.find(value.key);
    const AttributeValue* before = stored == current.end() ? nullptr : &stored->second;
    if (before && *before == value) continue;
    AddValueToAudit(value.key, before, audit.before);
    AddValueToAudit(value.key, &value, audit.after);
    UpsertValue(tx, program_id, client_id, value);
    if (is_status(value.key)) {
      AppendStatusChange(tx, program_id, client_id, value.key, StatusText(before), value.text,
                         origin);
    }
    AttributeValueToProto(value, *event.add_values());
  }
  for (const std::string& key : changes.clear) {
    auto stored = current.find(key);
    if (stored == current.end()) continue;
    AddValueToAudit(key, &stored->second, audit.before);
    AddValueToAudit(key, nullptr, audit.after);
    tx.exec_params(
        "DELETE FROM client_attribute_values WHERE program_id = $1 AND client_id = $2 AND key = $3",
        std::string(program_id), std::string(client_id), key);
    if (is_status(key)) {
      AppendStatusChange(tx, program_id, client_id, key, StatusText(&stored->second), "", origin);
    }
    event.add_cleared_keys(key);
  }
  if (event.values_size() == 0 && event.cleared_keys_size() == 0) return false;
  event.set_client_id(std::string(client_id));
  event.set_source(static_cast<v1::AttributeChangeSource>(origin.source));
  const int64_t now_micros = absl::ToUnixMicros(absl::Now());
  event.mutable_change_time()->set_seconds(now_micros / 1000000);
  event.mutable_change_time()->set_nanos(static_cast<int32_t>(now_micros % 1000000) * 1000);
  outbox::Append(tx, outbox::StreamFor("identity"), program_id, event);
  WriteAudit(tx, program_id, origin.actor, audit);
  return true;
}

}  // namespace

absl::StatusOr<Attribute> AttributeStore::Create(absl::string_view program_id,
                                                 const AttributeSpec& spec,
                                                 absl::string_view request_id,
                                                 const AuditActor& actor) {
  Attribute created;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    if (!request_id.empty()) {
      pqxx::result previous = tx.exec_params(
          absl::StrCat("SELECT ", kAttributeColumns,
                       " FROM attributes WHERE program_id = $1 AND request_id = $2"),
          std::string(program_id), std::string(request_id));
      if (!previous.empty()) {
        created = AttributeFromRow(previous[0]);
        if (created.spec == spec) return absl::OkStatus();
        return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                          "already used by a request with other content");
      }
    }
    // Serialises the program's creates, so that the limit holds under races.
    tx.exec_params("SELECT 1 FROM programs WHERE program_id = $1 FOR UPDATE",
                   std::string(program_id));
    RETURN_IF_ERROR(CheckAttributeLimit(
        tx.exec_params1("SELECT count(*) FROM attributes WHERE program_id = $1",
                        std::string(program_id))[0]
            .as<int64_t>()));
    if (FindAttribute(tx, program_id, spec.key, /*lock=*/false)) {
      return FieldError(absl::StatusCode::kAlreadyExists, "attribute.key",
                        absl::StrCat("the program already has an attribute '", spec.key, "'"));
    }
    pqxx::row row = tx.exec_params1(
        absl::StrCat("INSERT INTO attributes (program_id, key, display_name, type, number_scale,"
                     " allowed_keys, allowed_labels, required_at_registration, editable_by, kind,"
                     " request_id) VALUES ($1, $2, $3, $4, $5, $6::text[], $7::text[], $8, $9,"
                     " $10, NULLIF($11, '')) RETURNING ",
                     kAttributeColumns),
        std::string(program_id), spec.key, spec.display_name, static_cast<int>(spec.type),
        spec.number_scale, pg::TextArray(AllowedKeys(spec)), pg::TextArray(AllowedLabels(spec)),
        spec.required_at_registration, static_cast<int>(spec.editable_by),
        static_cast<int>(spec.kind), std::string(request_id));
    created = AttributeFromRow(row);
    AuditChange audit{
        .action = "attribute.create", .object_type = "attribute", .object_id = spec.key};
    AddSpecToAudit(spec, audit.after);
    WriteAudit(tx, program_id, actor, audit);
    return absl::OkStatus();
  }));
  return created;
}

absl::StatusOr<Attribute> AttributeStore::Get(absl::string_view program_id,
                                              absl::string_view key) {
  std::optional<Attribute> found;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    found = FindAttribute(tx, program_id, key, /*lock=*/false);
    return absl::OkStatus();
  }));
  if (!found) return NoSuchAttribute("key");
  return *std::move(found);
}

absl::StatusOr<std::vector<Attribute>> AttributeStore::ListAll(absl::string_view program_id) {
  std::vector<Attribute> schema;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    schema = LoadSchema(tx, program_id, /*lock=*/false);
    return absl::OkStatus();
  }));
  return schema;
}

absl::StatusOr<AttributePage> AttributeStore::List(absl::string_view program_id, int page_size,
                                                   absl::string_view page_token) {
  std::string after_key;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(after_key, DecodePageToken(page_token));
  }
  AttributePage page;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page.attributes.clear();
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kAttributeColumns,
                     " FROM attributes WHERE program_id = $1 AND key > $2 ORDER BY key LIMIT $3"),
        std::string(program_id), after_key, page_size + 1);
    for (const auto& row : rows) page.attributes.push_back(AttributeFromRow(row));
    return absl::OkStatus();
  }));
  if (static_cast<int>(page.attributes.size()) > page_size) {
    page.attributes.pop_back();
    page.next_page_token = EncodePageToken(page.attributes.back().spec.key);
  }
  return page;
}

absl::StatusOr<Attribute> AttributeStore::Update(
    absl::string_view program_id, absl::string_view key,
    absl::FunctionRef<absl::Status(AttributeSpec&)> change, const AuditActor& actor) {
  Attribute updated;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    std::optional<Attribute> found = FindAttribute(tx, program_id, key, /*lock=*/true);
    if (!found) return NoSuchAttribute("attribute.key");
    AttributeSpec spec = found->spec;
    RETURN_IF_ERROR(change(spec));
    const bool has_values =
        !tx.exec_params("SELECT 1 FROM client_attribute_values"
                        " WHERE program_id = $1 AND key = $2 LIMIT 1",
                        std::string(program_id), std::string(key))
             .empty();
    std::vector<std::string> held_keys;
    if (has_values && spec.type == found->spec.type &&
        spec.allowed_values != found->spec.allowed_values) {
      for (const auto& row : tx.exec_params(
               "SELECT text_value FROM client_attribute_values"
               " WHERE program_id = $1 AND key = $2 AND text_value IS NOT NULL"
               " UNION SELECT unnest(list_value) FROM client_attribute_values"
               " WHERE program_id = $1 AND key = $2",
               std::string(program_id), std::string(key))) {
        held_keys.push_back(row[0].as<std::string>());
      }
    }
    RETURN_IF_ERROR(CheckAttributeChange(found->spec, spec, has_values, held_keys));
    pqxx::row row = tx.exec_params1(
        absl::StrCat("UPDATE attributes SET display_name = $3, type = $4, number_scale = $5,"
                     " allowed_keys = $6::text[], allowed_labels = $7::text[],"
                     " required_at_registration = $8, editable_by = $9, kind = $10,"
                     " updated_at = now() WHERE program_id = $1 AND key = $2 RETURNING ",
                     kAttributeColumns),
        std::string(program_id), std::string(key), spec.display_name,
        static_cast<int>(spec.type), spec.number_scale, pg::TextArray(AllowedKeys(spec)),
        pg::TextArray(AllowedLabels(spec)), spec.required_at_registration,
        static_cast<int>(spec.editable_by), static_cast<int>(spec.kind));
    updated = AttributeFromRow(row);
    if (!(spec == found->spec)) {
      AuditChange audit{
          .action = "attribute.update", .object_type = "attribute", .object_id = spec.key};
      AddSpecToAudit(found->spec, audit.before);
      AddSpecToAudit(spec, audit.after);
      WriteAudit(tx, program_id, actor, audit);
    }
    return absl::OkStatus();
  }));
  return updated;
}

absl::StatusOr<Attribute> AttributeStore::Archive(absl::string_view program_id,
                                                  absl::string_view key,
                                                  const AuditActor& actor) {
  std::optional<Attribute> archived;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    std::optional<Attribute> found = FindAttribute(tx, program_id, key, /*lock=*/true);
    if (!found) return absl::OkStatus();
    if (!found->archived) {
      AuditChange audit{
          .action = "attribute.archive", .object_type = "attribute", .object_id = std::string(key)};
      audit.before.Bool("archived", false);
      audit.after.Bool("archived", true);
      WriteAudit(tx, program_id, actor, audit);
    }
    pqxx::result rows = tx.exec_params(
        absl::StrCat("UPDATE attributes SET archived = true,"
                     " updated_at = CASE WHEN archived THEN updated_at ELSE now() END"
                     " WHERE program_id = $1 AND key = $2 RETURNING ",
                     kAttributeColumns),
        std::string(program_id), std::string(key));
    if (!rows.empty()) archived = AttributeFromRow(rows[0]);
    return absl::OkStatus();
  }));
  if (!archived) return NoSuchAttribute("key");
  return *std::move(archived);
}

absl::StatusOr<std::vector<AttributeValue>> AttributeStore::SetValues(
    absl::string_view program_id, absl::string_view client_id, const AttributeValuesInput& input,
    const AttributeChangeOrigin& origin, absl::string_view request_id,
    absl::string_view fingerprint) {
  std::vector<AttributeValue> values;
  // A concurrent retry that commits first: the rerun finds its request row.
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    RETURN_IF_ERROR(LockClient(tx, program_id, client_id));
    if (!request_id.empty()) {
      pqxx::result previous = tx.exec_params(
          "SELECT client_id::text, fingerprint FROM attribute_value_requests"
          " WHERE program_id = $1 AND request_id = $2",
          std::string(program_id), std::string(request_id));
      if (!previous.empty()) {
        if (previous[0][0].as<std::string>() != client_id ||
            previous[0][1].as<std::string>() != fingerprint) {
          return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                            "already used for another request");
        }
        values = LoadValues(tx, program_id, client_id);
        return absl::OkStatus();
      }
      tx.exec_params(
          "INSERT INTO attribute_value_requests (program_id, request_id, client_id, fingerprint)"
          " VALUES ($1, $2, $3, $4)",
          std::string(program_id), std::string(request_id), std::string(client_id),
          std::string(fingerprint));
    }
    const std::vector<Attribute> schema = LoadSchema(tx, program_id);
    ASSIGN_OR_RETURN(AttributeChanges changes,
                     ValidateAttributeChanges(schema, input.values, input.clear_keys,
                                              input.writer, "values", "clear_keys"));
    ApplyChanges(tx, program_id, client_id, schema, changes, origin);
    values = LoadValues(tx, program_id, client_id);
    return absl::OkStatus();
  }));
  return values;
}

absl::StatusOr<std::vector<AttributeValue>> AttributeStore::GetValues(
    absl::string_view program_id, absl::string_view client_id) {
  std::vector<AttributeValue> values;
  bool found = false;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    found = !tx.exec_params("SELECT 1 FROM clients WHERE program_id = $1 AND client_id = $2",
                            std::string(program_id), std::string(client_id))
                 .empty();
    if (found) values = LoadValues(tx, program_id, client_id);
    return absl::OkStatus();
  }));
  if (!found) return NoSuchClient();
  return values;
}

absl::StatusOr<StatusHistoryPage> AttributeStore::ListStatusHistory(
    absl::string_view program_id, absl::string_view client_id, absl::string_view key,
    int page_size, absl::string_view page_token) {
  ASSIGN_OR_RETURN(int64_t before_seq, DecodeIdPageToken(page_token, INT64_MAX));
  StatusHistoryPage page;
  std::vector<int64_t> seqs;
  bool found = false;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page.changes.clear();
    seqs.clear();
    found = !tx.exec_params("SELECT 1 FROM clients WHERE program_id = $1 AND client_id = $2",
                            std::string(program_id), std::string(client_id))
                 .empty();
    if (!found) return absl::OkStatus();
    for (const auto& row : tx.exec_params(
             "SELECT seq, key, old_value, new_value, source, changed_by, reason,"
             " (extract(epoch FROM changed_at) * 1000000)::bigint"
             " FROM client_status_history WHERE program_id = $1 AND client_id = $2"
             " AND ($3 = '' OR key = $3) AND seq < $4 ORDER BY seq DESC LIMIT $5",
             std::string(program_id), std::string(client_id), std::string(key), before_seq,
             page_size + 1)) {
      seqs.push_back(row[0].as<int64_t>());
      page.changes.push_back(
          StatusChange{.key = row[1].as<std::string>(),
                       .old_value = row[2].as<std::string>(),
                       .new_value = row[3].as<std::string>(),
                       .source = static_cast<AttributeChangeSource>(row[4].as<int>()),
                       .changed_by = row[5].as<std::string>(),
                       .change_time = absl::FromUnixMicros(row[7].as<int64_t>()),
                       .reason = row[6].as<std::string>()});
    }
    return absl::OkStatus();
  }));
  if (!found) return NoSuchClient();
  if (static_cast<int>(page.changes.size()) > page_size) {
    page.changes.pop_back();
    page.next_page_token = EncodePageToken(absl::StrCat(seqs[page.changes.size() - 1]));
  }
  return page;
}

absl::Status WriteRegistrationAttributes(pg::Tx& tx, absl::string_view program_id,
                                         absl::string_view client_id,
                                         const AttributeValuesInput& input,
                                         const AuditActor& registered_by,
                                         const std::vector<Attribute>* schema) {
  std::vector<Attribute> loaded;
  if (schema == nullptr) {
    loaded = LoadSchema(tx, program_id);
    schema = &loaded;
  }
  ASSIGN_OR_RETURN(AttributeChanges changes,
                   ValidateAttributeChanges(*schema, input.values, input.clear_keys, input.writer,
                                            "client.attributes", "client.attributes"));
  RETURN_IF_ERROR(CheckRequiredAtRegistration(*schema, changes.set, "client.attributes"));
  ApplyChanges(tx, program_id, client_id, *schema, changes,
               AttributeChangeOrigin{.source = AttributeChangeSource::kRegistration,
                                     .actor = registered_by});
  return absl::OkStatus();
}

std::vector<Attribute> LoadAttributeSchema(pg::Tx& tx, absl::string_view program_id) {
  return LoadSchema(tx, program_id);
}

bool WriteAttributeChanges(pg::Tx& tx, absl::string_view program_id, absl::string_view client_id,
                           absl::Span<const Attribute> schema, const AttributeChanges& changes,
                           const AttributeChangeOrigin& origin) {
  return ApplyChanges(tx, program_id, client_id, schema, changes, origin);
}

}  // namespace loyalty::identity
