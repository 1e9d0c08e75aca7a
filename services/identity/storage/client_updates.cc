// IdentityStore's partial updates and identification lookups (CLI-1,
// CLI-4).

#include <algorithm>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/outbox/outbox.h"
#include "libs/rpc/proto_convert.h"
#include "loyalty/identity/v1/events.pb.h"
#include "services/identity/storage/audit_writer.h"
#include "services/identity/storage/client_rows.h"
#include "services/identity/storage/client_writes.h"
#include "services/identity/storage/identity_store.h"

namespace loyalty::identity {
namespace {

absl::Status NoSuchClient(const std::string& client_id) {
  return absl::NotFoundError(absl::StrCat("client ", client_id, " not found"));
}

bool Contains(const std::vector<std::string>& fields, absl::string_view field) {
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

}  // namespace

absl::Status UpdateClientInTx(pg::Tx& tx, const std::string& program_id,
                              const std::string& client_id, int64_t expected_version,
                              absl::FunctionRef<absl::Status(ClientProfile&)> change,
                              const AuditActor& actor, Client& updated, bool* changed_any) {
  if (changed_any != nullptr) *changed_any = false;
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kClientColumns, ", erased_at IS NOT NULL",
                   " FROM clients WHERE program_id = $1 AND client_id = $2 FOR UPDATE"),
      program_id, client_id);
  if (rows.empty()) return NoSuchClient(client_id);
  if (rows[0][kClientColumnCount].as<bool>()) {
    return absl::FailedPreconditionError(
        absl::StrCat("client ", client_id, " was erased and cannot change"));
  }
  const Client stored = LoadClient(tx, rows[0]);
  // A merged duplicate is history: its profile went to the survivor.
  if (!stored.merged_into_client_id.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("client ", client_id, " was merged into ",
                                                      stored.merged_into_client_id,
                                                      " and cannot change"));
  }
  // Checked after the lock: of two updates from the same read, the second
  // sees the first one's version.
  RETURN_IF_ERROR(CheckVersion(expected_version, stored.version, "client.etag"));
  ClientProfile profile = stored.profile;
  RETURN_IF_ERROR(change(profile));
  const std::vector<std::string> changed = ChangedClientFields(stored.profile, profile);
  if (changed.empty()) {
    updated = stored;
    return absl::OkStatus();
  }
  if (changed_any != nullptr) *changed_any = true;
  for (const UniqueKey& key : UniqueKeysOf(profile)) {
    if (!Contains(changed, key.field)) continue;
    if (FindKeyHolder(tx, program_id, key, client_id)) {
      return FieldError(absl::StatusCode::kAlreadyExists, absl::StrCat("client.", key.field),
                        absl::StrCat("another client of this program has this ", key.field));
    }
  }
  if (Contains(changed, "referrer_client_id")) {
    RETURN_IF_ERROR(CheckReferrerExists(tx, program_id, profile.referrer_client_id,
                                        "client.referrer_client_id"));
  }
  const bool phone_verified = stored.phone_verified && !Contains(changed, "phone");
  const bool email_verified = stored.email_verified && !Contains(changed, "email");
  pqxx::row row = ExecProfileStatement(
      tx,
      absl::StrCat("UPDATE clients SET (", kProfileColumns, ") = (", kProfileValues,
                   "), phone_verified = $30, email_verified = $31, version = version + 1,"
                   " updated_at = now() WHERE client_id = $1 AND program_id = $2 RETURNING ",
                   kClientColumns),
      client_id, program_id, profile, phone_verified, email_verified);
  updated = ClientFromRow(row);
  if (Contains(changed, "social_profiles")) {
    WriteSocialProfiles(tx, client_id, profile.social_profiles);
  }
  updated.profile.social_profiles = profile.social_profiles;

  v1::ClientUpdated event;
  event.set_client_id(client_id);
  for (const std::string& field : changed) event.add_changed_fields(field);
  rpc::SetTimestamp(updated.update_time, event.mutable_update_time());
  outbox::Append(tx, outbox::StreamFor("identity"), program_id, event);

  AuditChange audit{.action = "client.update",
                    .object_type = "client",
                    .object_id = client_id,
                    .client_id = client_id};
  AddClientFieldsToAudit(stored.profile, changed, audit.before);
  AddClientFieldsToAudit(profile, changed, audit.after);
  // Verification flags a contact change cleared are part of the change.
  if (stored.phone_verified != phone_verified) {
    audit.before.Bool("phone_verified", stored.phone_verified);
    audit.after.Bool("phone_verified", phone_verified);
  }
  if (stored.email_verified != email_verified) {
    audit.before.Bool("email_verified", stored.email_verified);
    audit.after.Bool("email_verified", email_verified);
  }
  WriteAudit(tx, program_id, actor, audit);
  return absl::OkStatus();
}

absl::StatusOr<Client> IdentityStore::UpdateClient(
    const std::string& program_id, const std::string& client_id, int64_t expected_version,
    absl::FunctionRef<absl::Status(ClientProfile&)> change, const AuditActor& actor) {
  if (!IsUuid(client_id)) return InvalidField("client.client_id", "not a UUID");
  Client updated;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    return UpdateClientInTx(tx, program_id, client_id, expected_version, change, actor, updated);
  }));
  return updated;
}

absl::StatusOr<Client> IdentityStore::FindClient(const std::string& program_id,
                                                 IdentifyKind kind, const std::string& value) {
  const char* column = nullptr;
  switch (kind) {
    case IdentifyKind::kPhone:
      column = "phone";
      break;
    case IdentifyKind::kEmail:
      column = "email";
      break;
    case IdentifyKind::kExternalId:
      column = "external_id";
      break;
    case IdentifyKind::kCardNumber:
      return absl::InvalidArgumentError("cards resolve card numbers, not identity");
  }
  std::optional<Client> client;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kClientColumns, " FROM clients WHERE program_id = $1 AND ", column,
                     " = $2 AND erased_at IS NULL ORDER BY created_at, client_id LIMIT 2"),
        program_id, value);
    if (rows.size() > 1) {
      // E-mails are not unique (a family may share one). Guessing could
      // credit points to the wrong member.
      return FieldError(absl::StatusCode::kFailedPrecondition, column,
                        "several clients of this program have it; identify by another key");
    }
    if (!rows.empty()) client = LoadClient(tx, rows[0]);
    return absl::OkStatus();
  }));
  if (!client) return absl::NotFoundError("no client of this program has this key");
  return *client;
}

}  // namespace loyalty::identity
