#include "services/identity/storage/identity_store.h"

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/outbox/outbox.h"
#include "services/identity/storage/consent_store.h"
#include "loyalty/identity/v1/events.pb.h"

namespace loyalty::identity {
namespace {

constexpr char kClientColumns[] =
    "client_id::text, program_id::text, last_name, first_name, middle_name,"
    " coalesce(phone, ''), coalesce(email, ''),"
    " coalesce(extract(year FROM birth_date)::int, 0),"
    " coalesce(extract(month FROM birth_date)::int, 0),"
    " coalesce(extract(day FROM birth_date)::int, 0),"
    " gender, marketing_consent,"
    " (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM updated_at) * 1000000)::bigint";

Client ClientFromRow(const pqxx::row& row) {
  Client client;
  client.client_id = row[0].as<std::string>();
  client.program_id = row[1].as<std::string>();
  client.profile.last_name = row[2].as<std::string>();
  client.profile.first_name = row[3].as<std::string>();
  client.profile.middle_name = row[4].as<std::string>();
  client.profile.phone = row[5].as<std::string>();
  client.profile.email = row[6].as<std::string>();
  if (int year = row[7].as<int>(); year != 0) {
    client.profile.birth_date = BirthDate{year, row[8].as<int>(), row[9].as<int>()};
  }
  client.profile.gender = static_cast<Gender>(row[10].as<int>());
  client.profile.marketing_consent = row[11].as<bool>();
  client.create_time = absl::FromUnixMicros(row[12].as<int64_t>());
  client.update_time = absl::FromUnixMicros(row[13].as<int64_t>());
  return client;
}

std::optional<std::string> NullIfEmpty(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value;
}

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

absl::StatusOr<Program> IdentityStore::CreateProgram(const Program& program) {
  Program created = program;
  created.program_id = NewUuid();
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    pqxx::row row = tx.exec_params1(
        "INSERT INTO programs (program_id, name, time_zone, default_country_code)"
        " VALUES ($1, $2, $3, $4)"
        " RETURNING (extract(epoch FROM created_at) * 1000000)::bigint",
        created.program_id, created.name, created.time_zone, created.default_country_code);
    created.create_time = absl::FromUnixMicros(row[0].as<int64_t>());
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
                                                   const std::string& secret_hash) {
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

absl::StatusOr<Client> IdentityStore::RegisterClient(const std::string& program_id,
                                                     const ClientProfile& profile,
                                                     const std::string& request_id,
                                                     const Principal& registered_by) {
  Client client;
  auto attempt = [&](pg::Tx& tx) -> absl::Status {
    if (!request_id.empty()) {
      pqxx::result previous =
          tx.exec_params(absl::StrCat("SELECT ", kClientColumns,
                                      " FROM clients WHERE program_id = $1 AND request_id = $2"),
                         program_id, request_id);
      if (!previous.empty()) {
        client = ClientFromRow(previous[0]);
        return absl::OkStatus();
      }
    }
    if (!profile.phone.empty()) {
      pqxx::result taken =
          tx.exec_params(absl::StrCat("SELECT ", kClientColumns,
                                      ", coalesce(request_id, '')"
                                      " FROM clients WHERE program_id = $1 AND phone = $2"),
                         program_id, profile.phone);
      if (!taken.empty()) {
        // A concurrent retry of this very request may have committed since
        // the lookup above: then the phone is ours.
        if (!request_id.empty() && taken[0][14].as<std::string>() == request_id) {
          client = ClientFromRow(taken[0]);
          return absl::OkStatus();
        }
        return FieldError(absl::StatusCode::kAlreadyExists, "client.phone",
                          "another client of this program has this phone");
      }
    }
    std::optional<std::string> birth_date;
    if (profile.birth_date) {
      birth_date = absl::StrCat(profile.birth_date->year, "-", profile.birth_date->month, "-",
                                profile.birth_date->day);
    }
    pqxx::row row = tx.exec_params1(
        absl::StrCat("INSERT INTO clients (client_id, program_id, last_name, first_name,"
                     " middle_name, phone, email, birth_date, gender, marketing_consent,"
                     " request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::date, $9, $10, $11)"
                     " RETURNING ",
                     kClientColumns),
        NewUuid(), program_id, profile.last_name, profile.first_name, profile.middle_name,
        NullIfEmpty(profile.phone), NullIfEmpty(profile.email), birth_date,
        static_cast<int>(profile.gender), profile.marketing_consent, NullIfEmpty(request_id));
    client = ClientFromRow(row);

    v1::ClientRegistered event;
    event.set_client_id(client.client_id);
    event.mutable_create_time()->set_seconds(absl::ToUnixSeconds(client.create_time));
    event.set_marketing_consent(profile.marketing_consent);
    outbox::Append(tx, outbox::StreamFor("identity"), program_id, event);
    if (profile.marketing_consent) {
      // The consent history starts with the registration's choice; the
      // client row's column is its projection. Registration carries no
      // consent text version.
      const ConsentChange consent{.kind = ConsentKind::kMarketing,
                                  .given = true,
                                  .source = ConsentSource::kRegistration,
                                  .consent_time = client.create_time};
      AppendConsentRecords(tx, program_id, client.client_id, {&consent, 1}, registered_by, "");
    }
    return absl::OkStatus();
  };
  // Racing the same phone or request id: the rerun finds the winner.
  absl::Status status = pool_.TransactIdempotent(attempt);
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
                                    " FROM clients WHERE program_id = $1 AND client_id = $2"),
                       program_id, client_id);
    if (!rows.empty()) client = ClientFromRow(rows[0]);
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
                                          " FROM clients WHERE program_id = $1"
                                          " ORDER BY created_at DESC, client_id DESC"
                                          " LIMIT $2"),
                             program_id, page_size + 1)
            : tx.exec_params(
                  absl::StrCat(
                      "SELECT ", kClientColumns,
                      " FROM clients WHERE program_id = $1"
                      " AND (created_at, client_id) <"
                      " ('epoch'::timestamptz + $2::bigint * interval '1 microsecond', $3::uuid)"
                      " ORDER BY created_at DESC, client_id DESC LIMIT $4"),
                  program_id, after_micros, after_id, page_size + 1);
    for (const auto& row : rows) page.clients.push_back(ClientFromRow(row));
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
