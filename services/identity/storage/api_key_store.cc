#include "services/identity/storage/api_key_store.h"

#include <pqxx/pqxx>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "services/identity/storage/audit_writer.h"

namespace loyalty::identity {
namespace {

constexpr char kKeyColumns[] =
    "api_key_id::text, program_id::text, display_name, role, store_id, partner_id,"
    " (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM revoked_at) * 1000000)::bigint";

ApiKeyRecord RecordFromRow(const pqxx::row& row) {
  ApiKeyRecord record{.key = {.api_key_id = row[0].as<std::string>(),
                              .program_id = row[1].as<std::string>(),
                              .display_name = row[2].as<std::string>(),
                              .role = row[3].as<std::string>(),
                              .store_id = row[4].as<std::string>(),
                              .partner_id = row[5].as<std::string>()},
                      .create_time = absl::FromUnixMicros(row[6].as<int64_t>())};
  if (!row[7].is_null()) record.revoke_time = absl::FromUnixMicros(row[7].as<int64_t>());
  return record;
}

absl::Status NoSuchKey() {
  return FieldError(absl::StatusCode::kNotFound, "api_key_id", "no such API key in this program");
}

// Position after which a page starts: "<created micros>/<id>".
absl::Status ParsePosition(absl::string_view token, int64_t& micros, std::string& id) {
  ASSIGN_OR_RETURN(std::string position, DecodePageToken(token));
  std::vector<std::string> parts = absl::StrSplit(position, '/');
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &micros) || !IsUuid(parts[1])) {
    return InvalidField("page_token", "not a token of this list");
  }
  id = parts[1];
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CreatedApiKey> ApiKeyStore::Create(const ApiKey& key, absl::string_view secret_hash,
                                                  absl::string_view request_id,
                                                  const AuditActor& actor) {
  CreatedApiKey created;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    if (!request_id.empty()) {
      pqxx::result previous = tx.exec_params(
          absl::StrCat("SELECT ", kKeyColumns,
                       " FROM api_keys WHERE program_id = $1 AND request_id = $2"),
          key.program_id, std::string(request_id));
      if (!previous.empty()) {
        created = CreatedApiKey{RecordFromRow(previous[0]), /*replayed=*/true};
        const ApiKey& first = created.record.key;
        if (first.display_name == key.display_name && first.role == key.role &&
            first.store_id == key.store_id && first.partner_id == key.partner_id) {
          return absl::OkStatus();
        }
        return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                          "already used by a request with other content");
      }
    }
    pqxx::row row = tx.exec_params1(
        absl::StrCat("INSERT INTO api_keys (api_key_id, program_id, display_name, role, store_id,"
                     " partner_id, secret_hash, request_id)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7, NULLIF($8, '')) RETURNING ",
                     kKeyColumns),
        NewUuid(), key.program_id, key.display_name, key.role, key.store_id, key.partner_id,
        std::string(secret_hash), std::string(request_id));
    created = CreatedApiKey{RecordFromRow(row), /*replayed=*/false};
    WriteAudit(tx, key.program_id, actor, ApiKeyCreated(created.record.key));
    return absl::OkStatus();
  }));
  return created;
}

absl::StatusOr<ApiKeyRecord> ApiKeyStore::Get(absl::string_view program_id,
                                              absl::string_view api_key_id) {
  std::optional<ApiKeyRecord> found;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kKeyColumns,
                     " FROM api_keys WHERE program_id = $1 AND api_key_id = $2"),
        std::string(program_id), std::string(api_key_id));
    if (!rows.empty()) found = RecordFromRow(rows[0]);
    return absl::OkStatus();
  }));
  if (!found) return NoSuchKey();
  return *std::move(found);
}

absl::StatusOr<ApiKeyPage> ApiKeyStore::List(absl::string_view program_id, int page_size,
                                             absl::string_view page_token) {
  int64_t after_micros = 0;
  std::string after_id;
  if (!page_token.empty()) RETURN_IF_ERROR(ParsePosition(page_token, after_micros, after_id));
  ApiKeyPage page;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page.keys.clear();
    pqxx::result rows = tx.exec_params(
        absl::StrCat(
            "SELECT ", kKeyColumns, " FROM api_keys WHERE program_id = $1 AND ($2 = '' OR",
            " (created_at, api_key_id) <",
            " ('epoch'::timestamptz + $3::bigint * interval '1 microsecond', NULLIF($2, '')::uuid))",
            " ORDER BY created_at DESC, api_key_id DESC LIMIT $4"),
        std::string(program_id), after_id, after_micros, page_size + 1);
    for (const auto& row : rows) page.keys.push_back(RecordFromRow(row));
    return absl::OkStatus();
  }));
  if (static_cast<int>(page.keys.size()) > page_size) {
    page.keys.pop_back();
    const ApiKeyRecord& last = page.keys.back();
    page.next_page_token = EncodePageToken(
        absl::StrCat(absl::ToUnixMicros(last.create_time), "/", last.key.api_key_id));
  }
  return page;
}

absl::StatusOr<ApiKeyRecord> ApiKeyStore::Revoke(absl::string_view program_id,
                                                 absl::string_view api_key_id,
                                                 const AuditActor& actor) {
  std::optional<ApiKeyRecord> revoked;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    revoked.reset();
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kKeyColumns,
                     " FROM api_keys WHERE program_id = $1 AND api_key_id = $2 FOR UPDATE"),
        std::string(program_id), std::string(api_key_id));
    if (rows.empty()) return absl::OkStatus();
    revoked = RecordFromRow(rows[0]);
    // The first revocation time stays: a retry changes nothing.
    if (revoked->revoke_time) return absl::OkStatus();
    revoked = RecordFromRow(
        tx.exec_params1(absl::StrCat("UPDATE api_keys SET revoked_at = now()"
                                     " WHERE program_id = $1 AND api_key_id = $2 RETURNING ",
                                     kKeyColumns),
                        std::string(program_id), std::string(api_key_id)));
    AuditChange change{
        .action = "api_key.revoke", .object_type = "api_key", .object_id = std::string(api_key_id)};
    change.before.Bool("revoked", false);
    change.after.Bool("revoked", true);
    WriteAudit(tx, program_id, actor, change);
    return absl::OkStatus();
  }));
  if (!revoked) return NoSuchKey();
  return *std::move(revoked);
}

AuditChange ApiKeyCreated(const ApiKey& key) {
  AuditChange change{
      .action = "api_key.create", .object_type = "api_key", .object_id = key.api_key_id};
  // Never the secret nor its hash.
  change.after.Text("display_name", key.display_name).Text("role", key.role);
  if (!key.store_id.empty()) change.after.Text("store_id", key.store_id);
  if (!key.partner_id.empty()) change.after.Text("partner_id", key.partner_id);
  return change;
}

}  // namespace loyalty::identity
