#include "services/identity/storage/identity_store.h"

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/outbox/outbox.h"
#include "services/identity/storage/attribute_store.h"
#include "loyalty/identity/v1/events.pb.h"
#include "services/identity/storage/api_key_store.h"
#include "services/identity/storage/audit_writer.h"
#include "services/identity/storage/client_rows.h"
#include "services/identity/storage/client_writes.h"
#include "services/identity/storage/consent_store.h"

namespace loyalty::identity {
namespace {

std::string EncodePageToken(const Client& last) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(absl::ToUnixMicros(last.create_time), ",", last.client_id));
}

absl::Status DecodePageToken(const std::string& token, int64_t& micros, std::string& client_id) {
  std::string raw;
  std::vector<std::string> parts;
  if (absl::WebSafeBase64Unescape(token, &raw)) {
    parts = absl::StrSplit(raw, ',');
  }
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &micros) || !IsUuid(parts[1])) {
    return InvalidField("page_token", "not a token from a previous response");
  }
  client_id = parts[1];
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Program> IdentityStore::CreateProgram(const Program& program,
                                                     const AuditActor& actor) {
  Program created = program;
  created.program_id = NewUuid();
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    pqxx::row row = tx.exec_params1(
        "INSERT INTO programs (program_id, name, time_zone, default_country_code)"
        " VALUES ($1, $2, $3, $4)"
        " RETURNING (extract(epoch FROM created_at) * 1000000)::bigint",
        created.program_id, created.name, created.time_zone, created.default_country_code);
    created.create_time = absl::FromUnixMicros(row[0].as<int64_t>());
    AuditChange change{
        .action = "program.create", .object_type = "program", .object_id = created.program_id};
    change.after.Text("name", created.name)
        .Text("time_zone", created.time_zone)
        .Text("default_country_code", created.default_country_code);
    WriteAudit(tx, created.program_id, actor, change);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<Program> IdentityStore::GetProgram(const std::string& program_id) {
  if (!IsUuid(program_id)) return absl::NotFoundError("no such program");
  std::optional<Program> program;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    pqxx::result rows = tx.exec_params(
        "SELECT program_id::text, name, time_zone, default_country_code,"
        " (extract(epoch FROM created_at) * 1000000)::bigint"
        " FROM programs WHERE program_id = $1",
        program_id);
    if (rows.empty()) return absl::OkStatus();
    program = Program{rows[0][0].as<std::string>(), rows[0][1].as<std::string>(),
                      rows[0][2].as<std::string>(), rows[0][3].as<std::string>(),
                      absl::FromUnixMicros(rows[0][4].as<int64_t>())};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!program) return absl::NotFoundError("no such program");
  return *program;
}

absl::StatusOr<ApiKey> IdentityStore::CreateApiKey(const ApiKey& key,
                                                   const std::string& secret_hash,
                                                   const AuditActor& actor) {
  ApiKey created = key;
  created.api_key_id = NewUuid();
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    pqxx::result program =
        tx.exec_params("SELECT 1 FROM programs WHERE program_id = $1", created.program_id);
    if (program.empty()) return InvalidField("program_id", "no such program");
    tx.exec_params(
        "INSERT INTO api_keys (api_key_id, program_id, display_name, role, store_id,"
        " partner_id, secret_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        created.api_key_id, created.program_id, created.display_name, created.role,
        created.store_id, created.partner_id, secret_hash);
    WriteAudit(tx, created.program_id, actor, ApiKeyCreated(created));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<ApiKey> IdentityStore::FindApiKey(const std::string& secret_hash) {
  std::optional<ApiKey> key;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    pqxx::result rows = tx.exec_params(
        "SELECT api_key_id::text, program_id::text, display_name, role, store_id,"
        " partner_id FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL",
        secret_hash);
    if (rows.empty()) return absl::OkStatus();
    const pqxx::row& row = rows[0];
    key = ApiKey{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
                 row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>()};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!key) return absl::NotFoundError("unknown or revoked API key");
  return *key;
}

absl::Status RegisterClientInTx(pg::Tx& tx, const std::string& program_id,
                                const ClientProfile& profile, const std::string& request_id,
                                const AuditActor& actor, const AttributeValuesInput& attributes,
                                const std::vector<Attribute>* schema, Client& client) {
  if (!request_id.empty()) {
    pqxx::result previous =
        tx.exec_params(absl::StrCat("SELECT ", kClientColumns,
                                    " FROM clients WHERE program_id = $1 AND request_id = $2"),
                       program_id, request_id);
    if (!previous.empty()) {
      client = LoadClient(tx, previous[0]);
      return absl::OkStatus();
    }
  }
  for (const UniqueKey& key : UniqueKeysOf(profile)) {
    std::optional<pqxx::row> taken = FindKeyHolder(tx, program_id, key, "");
    if (!taken) continue;
    // A concurrent retry of this very request may have committed since
    // the lookup above: then the key is ours.
    if (!request_id.empty() && (*taken)[kClientColumnCount].as<std::string>() == request_id) {
      client = LoadClient(tx, *taken);
      return absl::OkStatus();
    }
    return FieldError(absl::StatusCode::kAlreadyExists, absl::StrCat("client.", key.field),
                      absl::StrCat("another client of this program has this ", key.field));
  }
  RETURN_IF_ERROR(
      CheckReferrerExists(tx, program_id, profile.referrer_client_id, "client.referrer_client_id"));
  pqxx::row row =
      ExecProfileStatement(tx,
                           absl::StrCat("INSERT INTO clients (client_id, program_id, ",
                                        kProfileColumns, ", request_id) VALUES ($1, $2, ",
                                        kProfileValues, ", $30) RETURNING ", kClientColumns),
                           NewUuid(), program_id, profile, NullIfEmpty(request_id));
  client = ClientFromRow(row);
  // A new client has no links to replace (saves a statement per imported row).
  if (!profile.social_profiles.empty()) {
    WriteSocialProfiles(tx, client.client_id, profile.social_profiles);
  }
  client.profile.social_profiles = profile.social_profiles;

  v1::ClientRegistered event;
  event.set_client_id(client.client_id);
  event.mutable_create_time()->set_seconds(absl::ToUnixSeconds(client.create_time));
  event.set_marketing_consent(profile.marketing_consent);
  outbox::Append(tx, outbox::StreamFor("identity"), program_id, event);
  // After ClientRegistered, so that consumers see the client first.
  RETURN_IF_ERROR(WriteRegistrationAttributes(tx, program_id, client.client_id, attributes,
                                              actor, schema));
  if (profile.marketing_consent) {
    // The consent history starts with the registration's choice; the
    // client row's column is its projection. Registration carries no
    // consent text version.
    const ConsentChange consent{.kind = ConsentKind::kMarketing,
                                .given = true,
                                .source = ConsentSource::kRegistration,
                                .consent_time = client.create_time};
    AppendConsentRecords(tx, program_id, client.client_id, {&consent, 1}, actor.principal(), "");
  }
  AuditChange change{.action = "client.create",
                     .object_type = "client",
                     .object_id = client.client_id,
                     .client_id = client.client_id};
  AddClientFieldsToAudit(client.profile, ChangedClientFields(ClientProfile{}, client.profile),
                         change.after);
  WriteAudit(tx, program_id, actor, change);
  return absl::OkStatus();
}

absl::StatusOr<Client> IdentityStore::RegisterClient(const std::string& program_id,
                                                     const ClientProfile& profile,
                                                     const std::string& request_id,
                                                     const AuditActor& actor,
                                                     const AttributeValuesInput& attributes) {
  Client client;
  // Racing the same phone or request id: the rerun finds the winner.
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) {
    return RegisterClientInTx(tx, program_id, profile, request_id, actor, attributes, nullptr,
                              client);
  });
  if (!status.ok()) return status;
  return client;
}

absl::StatusOr<Client> IdentityStore::GetClient(const std::string& program_id,
                                                const std::string& client_id) {
  if (!IsUuid(client_id)) return InvalidField("client_id", "not a UUID");
  std::optional<Client> client;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    pqxx::result rows =
        tx.exec_params(absl::StrCat("SELECT ", kClientColumns,
                                    " FROM clients WHERE program_id = $1 AND client_id = $2"
                                    " AND erased_at IS NULL"),
                       program_id, client_id);
    if (!rows.empty()) client = LoadClient(tx, rows[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!client) return absl::NotFoundError(absl::StrCat("client ", client_id, " not found"));
  return *client;
}

absl::StatusOr<ClientPage> IdentityStore::ListClients(const std::string& program_id, int page_size,
                                                      const std::string& page_token) {
  int64_t after_micros = 0;
  std::string after_id;
  if (!page_token.empty()) {
    if (absl::Status status = DecodePageToken(page_token, after_micros, after_id); !status.ok()) {
      return status;
    }
  }
  ClientPage page;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    page.clients.clear();
    // Keyset pagination: stable under concurrent inserts, no OFFSET scans.
    pqxx::result rows =
        page_token.empty()
            ? tx.exec_params(absl::StrCat("SELECT ", kClientColumns,
                                          " FROM clients WHERE program_id = $1 AND erased_at IS NULL"
                                          " ORDER BY created_at DESC, client_id DESC"
                                          " LIMIT $2"),
                             program_id, page_size + 1)
            : tx.exec_params(
                  absl::StrCat(
                      "SELECT ", kClientColumns,
                      " FROM clients WHERE program_id = $1 AND erased_at IS NULL"
                      " AND (created_at, client_id) <"
                      " ('epoch'::timestamptz + $2::bigint * interval '1 microsecond', $3::uuid)"
                      " ORDER BY created_at DESC, client_id DESC LIMIT $4"),
                  program_id, after_micros, after_id, page_size + 1);
    for (const auto& row : rows) page.clients.push_back(ClientFromRow(row));
    LoadSocialProfiles(tx, page.clients);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (static_cast<int>(page.clients.size()) > page_size) {
    page.clients.pop_back();
    page.next_page_token = EncodePageToken(page.clients.back());
  }
  return page;
}

}  // namespace loyalty::identity
