#include "services/identity/storage/client_rows.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/pg/array_literal.h"

namespace loyalty::identity {

const char kClientColumns[] =
    "client_id::text, program_id::text, last_name, first_name, middle_name,"
    " coalesce(phone, ''), coalesce(email, ''),"
    " coalesce(extract(year FROM birth_date)::int, 0),"
    " coalesce(extract(month FROM birth_date)::int, 0),"
    " coalesce(extract(day FROM birth_date)::int, 0),"
    " gender, marketing_consent,"
    " (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM updated_at) * 1000000)::bigint,"
    " phone_verified, email_verified, city, car_number,"
    " extra_key1, extra_key2, extra_key3, extra_key4, extra_key5, extra_key6,"
    " coalesce(external_id, ''), coalesce(referral_code, ''),"
    " coalesce(referrer_client_id::text, ''),"
    " utm_source, utm_medium, utm_campaign, utm_content, utm_term,"
    " device, issuance_form, registration_store_id, version,"
    " coalesce(merged_into::text, '')";

const char kProfileColumns[] =
    "last_name, first_name, middle_name, phone, email, birth_date, gender, marketing_consent,"
    " city, car_number, extra_key1, extra_key2, extra_key3, extra_key4, extra_key5, extra_key6,"
    " external_id, referral_code, referrer_client_id,"
    " utm_source, utm_medium, utm_campaign, utm_content, utm_term,"
    " device, issuance_form, registration_store_id";
const char kProfileValues[] =
    "$3, $4, $5, $6, $7, $8::date, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,"
    " $19, $20, $21::uuid, $22, $23, $24, $25, $26, $27, $28, $29";

Client ClientFromRow(const pqxx::row& row) {
  Client client;
  client.client_id = row[0].as<std::string>();
  client.program_id = row[1].as<std::string>();
  ClientProfile& profile = client.profile;
  profile.last_name = row[2].as<std::string>();
  profile.first_name = row[3].as<std::string>();
  profile.middle_name = row[4].as<std::string>();
  profile.phone = row[5].as<std::string>();
  profile.email = row[6].as<std::string>();
  if (int year = row[7].as<int>(); year != 0) {
    profile.birth_date = BirthDate{year, row[8].as<int>(), row[9].as<int>()};
  }
  profile.gender = static_cast<Gender>(row[10].as<int>());
  profile.marketing_consent = row[11].as<bool>();
  client.create_time = absl::FromUnixMicros(row[12].as<int64_t>());
  client.update_time = absl::FromUnixMicros(row[13].as<int64_t>());
  client.phone_verified = row[14].as<bool>();
  client.email_verified = row[15].as<bool>();
  int column = 16;
  for (std::string* text :
       {&profile.city, &profile.car_number, &profile.extra_key1, &profile.extra_key2,
        &profile.extra_key3, &profile.extra_key4, &profile.extra_key5, &profile.extra_key6,
        &profile.external_id, &profile.referral_code, &profile.referrer_client_id,
        &profile.utm_source, &profile.utm_medium, &profile.utm_campaign, &profile.utm_content,
        &profile.utm_term}) {
    *text = row[column++].as<std::string>();
  }
  profile.device = static_cast<Device>(row[column++].as<int>());
  profile.issuance_form = row[column++].as<std::string>();
  profile.registration_store_id = row[column++].as<std::string>();
  client.version = row[column++].as<int64_t>();
  client.merged_into_client_id = row[column++].as<std::string>();
  return client;
}

void LoadSocialProfiles(pqxx::transaction_base& tx, std::vector<Client>& clients) {
  if (clients.empty()) return;
  std::vector<std::string> ids;
  absl::flat_hash_map<std::string, Client*> by_id;
  for (Client& client : clients) {
    client.profile.social_profiles.clear();
    ids.push_back(client.client_id);
    by_id[client.client_id] = &client;
  }
  for (const auto& row : tx.exec_params(
           "SELECT client_id::text, network, url FROM client_social_profiles"
           " WHERE client_id = ANY($1::uuid[]) ORDER BY client_id, position",
           pg::TextArray(ids))) {
    by_id[row[0].as<std::string>()]->profile.social_profiles.push_back(
        SocialProfile{row[1].as<std::string>(), row[2].as<std::string>()});
  }
}

Client LoadClient(pqxx::transaction_base& tx, const pqxx::row& row) {
  std::vector<Client> clients{ClientFromRow(row)};
  LoadSocialProfiles(tx, clients);
  return std::move(clients[0]);
}

void WriteSocialProfiles(pqxx::transaction_base& tx, const std::string& client_id,
                         const std::vector<SocialProfile>& profiles) {
  tx.exec_params("DELETE FROM client_social_profiles WHERE client_id = $1", client_id);
  if (profiles.empty()) return;
  std::vector<std::string> networks;
  std::vector<std::string> urls;
  for (const SocialProfile& profile : profiles) {
    networks.push_back(profile.network);
    urls.push_back(profile.url);
  }
  tx.exec_params(
      "INSERT INTO client_social_profiles (client_id, position, network, url)"
      " SELECT $1, ordinality - 1, network, url"
      " FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(network, url, ordinality)",
      client_id, pg::TextArray(networks), pg::TextArray(urls));
}

std::vector<UniqueKey> UniqueKeysOf(const ClientProfile& profile) {
  std::vector<UniqueKey> keys;
  if (!profile.phone.empty()) keys.push_back({"phone", profile.phone});
  if (!profile.external_id.empty()) keys.push_back({"external_id", profile.external_id});
  if (!profile.referral_code.empty()) keys.push_back({"referral_code", profile.referral_code});
  return keys;
}

std::optional<pqxx::row> FindKeyHolder(pqxx::transaction_base& tx, const std::string& program_id,
                                       const UniqueKey& key, const std::string& except_client_id) {
  // `key.field` comes from UniqueKeysOf, never from a request.
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kClientColumns,
                   ", coalesce(request_id, '') FROM clients WHERE program_id = $1 AND ",
                   key.field, " = $2 AND client_id::text <> $3"),
      program_id, key.value, except_client_id);
  if (rows.empty()) return std::nullopt;
  return rows[0];
}

absl::Status CheckReferrerExists(pqxx::transaction_base& tx, const std::string& program_id,
                                 const std::string& referrer_client_id, absl::string_view field) {
  if (referrer_client_id.empty()) return absl::OkStatus();
  pqxx::result rows =
      tx.exec_params("SELECT 1 FROM clients WHERE program_id = $1 AND client_id = $2::uuid",
                     program_id, referrer_client_id);
  if (rows.empty()) return InvalidField(field, "no such client in this program");
  return absl::OkStatus();
}

std::optional<std::string> BirthDateParam(const ClientProfile& profile) {
  if (!profile.birth_date) return std::nullopt;
  return absl::StrCat(profile.birth_date->year, "-", profile.birth_date->month, "-",
                      profile.birth_date->day);
}

std::optional<std::string> NullIfEmpty(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value;
}

}  // namespace loyalty::identity
