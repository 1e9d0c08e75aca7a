#include "services/identity/storage/import_apply.h"

#include <algorithm>
#include <utility>

#include <pqxx/pqxx>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/pg/array_literal.h"
#include "libs/pg/prepared.h"
#include "services/identity/domain/client_fields.h"
#include "services/identity/storage/attribute_store.h"
#include "services/identity/storage/client_rows.h"

namespace loyalty::identity {
namespace {

// Refusals caused by the row's content (a taken phone, an invalid merged
// profile): reported for the row. Anything else stops the whole apply.
bool IsRowProblem(const absl::Status& status) {
  return absl::IsInvalidArgument(status) || absl::IsAlreadyExists(status);
}

// Every client of the program that has one of the keys: erased and merged
// ones too (they still hold unique keys; `live` tells whether a dedupe
// key may find them). Locked, and in id order so that two imports lock
// alike: the rows are applied in this transaction.
constexpr char kKnownClients[] =
    "SELECT client_id::text, coalesce(phone, ''), coalesce(email, ''),"
    " coalesce(external_id, ''), coalesce(referral_code, ''),"
    " erased_at IS NULL AND merged_into IS NULL"
    " FROM clients WHERE program_id = $1 AND (client_id = ANY($2::uuid[])"
    " OR phone = ANY($3::text[]) OR email = ANY($4::text[]) OR external_id = ANY($5::text[])"
    " OR referral_code = ANY($6::text[]))"
    " ORDER BY client_id FOR UPDATE";

}  // namespace

void InsertImportErrors(pg::Tx& tx, const std::string& operation_id,
                        const std::vector<ImportRowError>& errors) {
  if (errors.empty()) return;
  std::vector<int64_t> lines;
  std::vector<std::string> columns, fields, messages;
  for (const ImportRowError& error : errors) {
    lines.push_back(error.line);
    columns.push_back(error.column);
    fields.push_back(error.field);
    messages.push_back(error.message);
  }
  tx.exec_params(
      "INSERT INTO client_import_errors (operation_id, line, column_name, field, message)"
      " SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[])"
      " ON CONFLICT (operation_id, line) DO UPDATE SET column_name = excluded.column_name,"
      " field = excluded.field, message = excluded.message",
      operation_id, pg::IntArray(lines), pg::TextArray(columns), pg::TextArray(fields),
      pg::TextArray(messages));
}

ImportApplier::ImportApplier(pg::Tx& tx, const std::string& program_id,
                             const std::string& operation_id, const ImportOptions& options,
                             const std::string& default_country_code, absl::CivilDay today,
                             const std::vector<Attribute>& schema, ImportCounts& counts)
    : tx_(tx),
      program_id_(program_id),
      operation_id_(operation_id),
      options_(options),
      default_country_code_(default_country_code),
      today_(today),
      schema_(schema),
      counts_(counts) {}

absl::Status ImportApplier::Add(ImportRow row) {
  group_.push_back(std::move(row));
  if (group_.size() >= kImportApplyGroupRows) return ApplyGroup();
  return absl::OkStatus();
}

absl::Status ImportApplier::Finish() {
  RETURN_IF_ERROR(ApplyGroup());
  InsertImportErrors(tx_, operation_id_, errors_);
  errors_.clear();
  return absl::OkStatus();
}

absl::Status ImportApplier::ApplyGroup() {
  if (group_.empty()) return absl::OkStatus();
  std::vector<std::pair<int64_t, ImportedRow>> parsed;
  parsed.reserve(group_.size());
  for (const ImportRow& row : group_) {
    absl::StatusOr<ImportedRow> imported =
        ParseImportRow(options_.columns, row.cells, default_country_code_, today_, schema_);
    if (!imported.ok()) {
      Reject(row.line, imported.status());
      continue;
    }
    // A client id in any case finds the client (ids are read back in
    // lower case).
    absl::AsciiStrToLower(&imported->client_id);
    parsed.emplace_back(row.line, *std::move(imported));
  }
  group_.clear();
  RefreshPlannerStatistics();
  LoadKnownClients(parsed);
  // In file order: a later row finds the client an earlier one created or
  // sees the keys an earlier one changed.
  for (auto& [line, row] : parsed) RETURN_IF_ERROR(ApplyRow(line, row));
  FlushPending();
  return absl::OkStatus();
}

void ImportApplier::RefreshPlannerStatistics() {
  // The statistics the planner has of `clients` (from before this
  // transaction, often of an empty table) do not count the rows the
  // import inserted: it would soon read the table whole for every group's
  // lookup. ANALYZE in the transaction counts them; at doubling sizes it
  // runs about 10 times for a million rows.
  if (counts_.created < analyze_at_created_) return;
  tx_.exec("ANALYZE clients, client_attribute_values");
  analyze_at_created_ = 2 * counts_.created;
}

void ImportApplier::LoadKnownClients(const std::vector<std::pair<int64_t, ImportedRow>>& rows) {
  known_.clear();
  by_key_.clear();
  std::vector<std::string> ids, phones, emails, external_ids, referral_codes;
  auto add = [](std::vector<std::string>& values, const std::string& value) {
    if (!value.empty()) values.push_back(value);
  };
  for (const auto& [line, row] : rows) {
    add(ids, row.client_id);
    add(phones, row.profile.phone);
    add(emails, row.profile.email);
    add(external_ids, row.profile.external_id);
    add(referral_codes, row.profile.referral_code);
  }
  for (const pqxx::row& found : pg::ExecPrepared(
           tx_, kKnownClients, program_id_, pg::TextArray(ids), pg::TextArray(phones),
           pg::TextArray(emails), pg::TextArray(external_ids), pg::TextArray(referral_codes))) {
    Remember(KnownClient{.client_id = found[0].as<std::string>(),
                         .phone = found[1].as<std::string>(),
                         .email = found[2].as<std::string>(),
                         .external_id = found[3].as<std::string>(),
                         .referral_code = found[4].as<std::string>(),
                         .live = found[5].as<bool>()});
  }
}

std::vector<std::pair<ImportApplier::KeyKind, const std::string*>> ImportApplier::KeysOf(
    const KnownClient& client) {
  std::vector<std::pair<KeyKind, const std::string*>> keys;
  for (auto key :
       {std::pair{kClientIdKey, &client.client_id}, std::pair{kPhoneKey, &client.phone},
        std::pair{kEmailKey, &client.email}, std::pair{kExternalIdKey, &client.external_id},
        std::pair{kReferralCodeKey, &client.referral_code}}) {
    if (!key.second->empty()) keys.push_back(key);
  }
  return keys;
}

void ImportApplier::Remember(KnownClient client) {
  const size_t index = known_.size();
  known_.push_back(std::move(client));
  for (auto [kind, value] : KeysOf(known_.back())) {
    by_key_[absl::StrCat(std::string(1, kind), *value)].push_back(index);
  }
}

void ImportApplier::Forget(size_t index) {
  for (auto [kind, value] : KeysOf(known_[index])) {
    auto entry = by_key_.find(absl::StrCat(std::string(1, kind), *value));
    if (entry == by_key_.end()) continue;
    std::vector<size_t>& indexes = entry->second;
    indexes.erase(std::remove(indexes.begin(), indexes.end(), index), indexes.end());
  }
}

std::vector<size_t> ImportApplier::Holders(KeyKind kind, const std::string& value) const {
  if (value.empty()) return {};
  auto found = by_key_.find(absl::StrCat(std::string(1, kind), value));
  if (found == by_key_.end()) return {};
  return found->second;
}

absl::Status ImportApplier::ApplyRow(int64_t line, ImportedRow& row) {
  // The clients the row's keys find (options are checked at start: each
  // key is one of these four).
  std::vector<size_t> found;
  absl::string_view found_by;
  for (const std::string& key : options_.dedupe_keys) {
    std::vector<size_t> holders;
    if (key == "client_id") holders = Holders(kClientIdKey, row.client_id);
    if (key == "phone") holders = Holders(kPhoneKey, row.profile.phone);
    if (key == "email") holders = Holders(kEmailKey, row.profile.email);
    if (key == "external_id") holders = Holders(kExternalIdKey, row.profile.external_id);
    for (size_t index : holders) {
      // Erased and merged clients are no one's match (a merged one kept
      // its keys).
      if (!known_[index].live) continue;
      if (std::find(found.begin(), found.end(), index) == found.end()) {
        found.push_back(index);
        found_by = key;
      }
    }
  }
  if (found.size() > 1) {
    Reject(line, InvalidField(found_by, "the row's keys find more than one client"));
    return absl::OkStatus();
  }
  if (found.empty()) return CreateClient(line, row);
  if (options_.mode == DuplicateMode::kSkip) {
    ++counts_.skipped;
    return absl::OkStatus();
  }
  return UpdateClient(line, row, found[0]);
}

absl::Status ImportApplier::CreateClient(int64_t line, ImportedRow& row) {
  if (options_.on_new == NewClientMode::kSkip) {
    ++counts_.skipped;
    return absl::OkStatus();
  }
  if (!row.client_id.empty()) {
    Reject(line, InvalidField("client_id", "no client of this program has this id"));
    return absl::OkStatus();
  }
  // Everything RegisterClientInTx would refuse, refused before the client
  // joins the group's insert.
  if (absl::Status status = RequireContact(row.profile, ""); !status.ok()) {
    Reject(line, status);
    return absl::OkStatus();
  }
  if (absl::Status status = CheckRequiredAtRegistration(schema_, row.attributes, "attributes");
      !status.ok()) {
    Reject(line, status);
    return absl::OkStatus();
  }
  for (const UniqueKey& key : UniqueKeysOf(row.profile)) {
    const KeyKind kind = key.field == "phone"         ? kPhoneKey
                         : key.field == "external_id" ? kExternalIdKey
                                                      : kReferralCodeKey;
    if (!Holders(kind, key.value).empty()) {
      Reject(line, FieldError(absl::StatusCode::kAlreadyExists, absl::StrCat("client.", key.field),
                              absl::StrCat("another client of this program has this ", key.field)));
      return absl::OkStatus();
    }
  }
  if (absl::Status status = CheckReferrerExists(tx_, program_id_, row.profile.referrer_client_id,
                                                "client.referrer_client_id");
      !status.ok()) {
    Reject(line, status);
    return absl::OkStatus();
  }
  absl::StatusOr<AttributeChanges> attributes =
      ValidateAttributeChanges(schema_, row.attributes, {}, AttributeWriter::kOperator,
                               "client.attributes", "client.attributes");
  if (!attributes.ok()) {
    Reject(line, attributes.status());
    return absl::OkStatus();
  }
  Remember(KnownClient{.phone = row.profile.phone,
                       .email = row.profile.email,
                       .external_id = row.profile.external_id,
                       .referral_code = row.profile.referral_code});
  pending_known_.push_back(known_.size() - 1);
  pending_.push_back(
      ClientToRegister{.profile = std::move(row.profile),
                       .request_id = absl::StrCat("import:", operation_id_, ":", line),
                       .attributes = *std::move(attributes)});
  ++counts_.created;
  return absl::OkStatus();
}

absl::Status ImportApplier::UpdateClient(int64_t line, const ImportedRow& row, size_t known_index) {
  if (row.filled_fields.empty() && row.attributes.empty()) {
    ++counts_.skipped;
    return absl::OkStatus();
  }
  // UpdateClientInTx checks unique keys in the table, and the client may
  // be one this group creates.
  FlushPending();
  const std::string client_id = known_[known_index].client_id;
  bool changed = false;
  if (!row.filled_fields.empty()) {
    Client updated;
    absl::Status status = UpdateClientInTx(
        tx_, program_id_, client_id, 0,
        [&](ClientProfile& stored) -> absl::Status {
          RETURN_IF_ERROR(ApplyClientMask(row.filled_fields, row.profile, stored));
          return NormalizeProfile(stored, default_country_code_, today_, "");
        },
        options_.started_by, updated, &changed);
    if (!status.ok()) {
      if (!IsRowProblem(status)) return status;
      Reject(line, status);
      return absl::OkStatus();
    }
    if (changed) {
      // Later rows of the group find the client by its new keys only.
      Forget(known_index);
      Remember(KnownClient{.client_id = client_id,
                           .phone = updated.profile.phone,
                           .email = updated.profile.email,
                           .external_id = updated.profile.external_id,
                           .referral_code = updated.profile.referral_code});
    }
  }
  const AttributeChangeOrigin batch_origin{.source = AttributeChangeSource::kBatch,
                                           .actor = options_.started_by};
  if (!row.attributes.empty() &&
      WriteAttributeChanges(tx_, program_id_, client_id, schema_,
                            AttributeChanges{.set = row.attributes}, batch_origin)) {
    changed = true;
  }
  ++(changed ? counts_.updated : counts_.skipped);
  return absl::OkStatus();
}

void ImportApplier::FlushPending() {
  if (pending_.empty()) return;
  const std::vector<std::string> ids = RegisterClientsInTx(
      tx_, program_id_, pending_, options_.started_by, ConsentSource::kImport, schema_);
  for (size_t i = 0; i < ids.size(); ++i) {
    KnownClient& client = known_[pending_known_[i]];
    client.client_id = ids[i];
    by_key_[absl::StrCat(std::string(1, kClientIdKey), ids[i])].push_back(pending_known_[i]);
  }
  pending_.clear();
  pending_known_.clear();
}

void ImportApplier::Reject(int64_t line, const absl::Status& status) {
  ++counts_.failed;
  errors_.push_back(RowErrorOf(options_.columns, line, status));
  if (errors_.size() >= kImportApplyGroupRows) {
    InsertImportErrors(tx_, operation_id_, errors_);
    errors_.clear();
  }
}

}  // namespace loyalty::identity
