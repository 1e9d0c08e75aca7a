// RegisterClientsInTx: many registrations in one multi-row statement per
// table (libpqxx 6 has no array parameters: each column is one array
// literal, read back with unnest).

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/common/random_ids.h"
#include "libs/outbox/outbox.h"
#include "libs/pg/array_literal.h"
#include "libs/pg/prepared.h"
#include "loyalty/identity/v1/events.pb.h"
#include "services/identity/domain/client_fields.h"
#include "services/identity/storage/attribute_store.h"
#include "services/identity/storage/audit_writer.h"
#include "services/identity/storage/client_rows.h"
#include "services/identity/storage/client_writes.h"

namespace loyalty::identity {
namespace {

// The profile columns as arrays $2..$28 (kProfileColumns' order), the ids
// $29 and request ids $30; empty text is NULL where the single-row insert
// passes NULL (unique keys, the birth date, the referrer).
constexpr char kInsertClients[] =
    "WITH inserted AS ("
    " INSERT INTO clients (client_id, program_id, last_name, first_name, middle_name, phone,"
    " email, birth_date, gender, marketing_consent, city, car_number, extra_key1, extra_key2,"
    " extra_key3, extra_key4, extra_key5, extra_key6, external_id, referral_code,"
    " referrer_client_id, utm_source, utm_medium, utm_campaign, utm_content, utm_term, device,"
    " issuance_form, registration_store_id, request_id)"
    " SELECT u.client_id, $1, u.last_name, u.first_name, u.middle_name, NULLIF(u.phone, ''),"
    " NULLIF(u.email, ''), NULLIF(u.birth_date, '')::date, u.gender, u.marketing_consent <> 0,"
    " u.city, u.car_number, u.extra_key1, u.extra_key2, u.extra_key3, u.extra_key4,"
    " u.extra_key5, u.extra_key6, NULLIF(u.external_id, ''), NULLIF(u.referral_code, ''),"
    " NULLIF(u.referrer_client_id, '')::uuid, u.utm_source, u.utm_medium, u.utm_campaign,"
    " u.utm_content, u.utm_term, u.device, u.issuance_form, u.registration_store_id,"
    " NULLIF(u.request_id, '')"
    " FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],"
    " $8::int[], $9::int[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],"
    " $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[],"
    " $21::text[], $22::text[], $23::text[], $24::text[], $25::text[], $26::int[],"
    " $27::text[], $28::text[], $29::uuid[], $30::text[])"
    " AS u (last_name, first_name, middle_name, phone, email, birth_date, gender,"
    " marketing_consent, city, car_number, extra_key1, extra_key2, extra_key3, extra_key4,"
    " extra_key5, extra_key6, external_id, referral_code, referrer_client_id, utm_source,"
    " utm_medium, utm_campaign, utm_content, utm_term, device, issuance_form,"
    " registration_store_id, client_id, request_id)"
    " RETURNING created_at)"
    " SELECT (extract(epoch FROM min(created_at)) * 1000000)::bigint FROM inserted";

// Columns of `clients` as arrays, one element per new client.
struct ClientColumns {
  std::vector<std::string> last_name, first_name, middle_name, phone, email, birth_date, city,
      car_number, extra_key1, extra_key2, extra_key3, extra_key4, extra_key5, extra_key6,
      external_id, referral_code, referrer_client_id, utm_source, utm_medium, utm_campaign,
      utm_content, utm_term, issuance_form, registration_store_id, client_id, request_id;
  std::vector<int64_t> gender, marketing_consent, device;

  void Add(const std::string& id, const ClientToRegister& client) {
    const ClientProfile& p = client.profile;
    last_name.push_back(p.last_name);
    first_name.push_back(p.first_name);
    middle_name.push_back(p.middle_name);
    phone.push_back(p.phone);
    email.push_back(p.email);
    birth_date.push_back(BirthDateParam(p).value_or(""));
    gender.push_back(static_cast<int64_t>(p.gender));
    marketing_consent.push_back(p.marketing_consent ? 1 : 0);
    city.push_back(p.city);
    car_number.push_back(p.car_number);
    extra_key1.push_back(p.extra_key1);
    extra_key2.push_back(p.extra_key2);
    extra_key3.push_back(p.extra_key3);
    extra_key4.push_back(p.extra_key4);
    extra_key5.push_back(p.extra_key5);
    extra_key6.push_back(p.extra_key6);
    external_id.push_back(p.external_id);
    referral_code.push_back(p.referral_code);
    referrer_client_id.push_back(p.referrer_client_id);
    utm_source.push_back(p.utm_source);
    utm_medium.push_back(p.utm_medium);
    utm_campaign.push_back(p.utm_campaign);
    utm_content.push_back(p.utm_content);
    utm_term.push_back(p.utm_term);
    device.push_back(static_cast<int64_t>(p.device));
    issuance_form.push_back(p.issuance_form);
    registration_store_id.push_back(p.registration_store_id);
    client_id.push_back(id);
    request_id.push_back(client.request_id);
  }
};

// Inserts the rows; returns their creation time (the transaction's).
absl::Time InsertClients(pg::Tx& tx, const std::string& program_id, const ClientColumns& c) {
  using pg::IntArray;
  using pg::TextArray;
  pqxx::row row = pg::ExecPrepared1(
      tx, kInsertClients, program_id, TextArray(c.last_name), TextArray(c.first_name),
      TextArray(c.middle_name), TextArray(c.phone), TextArray(c.email), TextArray(c.birth_date),
      IntArray(c.gender), IntArray(c.marketing_consent), TextArray(c.city), TextArray(c.car_number),
      TextArray(c.extra_key1), TextArray(c.extra_key2), TextArray(c.extra_key3),
      TextArray(c.extra_key4), TextArray(c.extra_key5), TextArray(c.extra_key6),
      TextArray(c.external_id), TextArray(c.referral_code), TextArray(c.referrer_client_id),
      TextArray(c.utm_source), TextArray(c.utm_medium), TextArray(c.utm_campaign),
      TextArray(c.utm_content), TextArray(c.utm_term), IntArray(c.device),
      TextArray(c.issuance_form), TextArray(c.registration_store_id), TextArray(c.client_id),
      TextArray(c.request_id));
  return absl::FromUnixMicros(row[0].as<int64_t>());
}

// The marketing consent the new clients gave, as the first record of
// their consent history (the clients' column is already its projection).
void InsertMarketingConsents(pg::Tx& tx, const std::string& program_id,
                             const std::vector<std::string>& client_ids, absl::Time consent_time,
                             ConsentSource source, const Principal& recorded_by) {
  if (client_ids.empty()) return;
  std::vector<std::string> record_ids;
  record_ids.reserve(client_ids.size());
  for (size_t i = 0; i < client_ids.size(); ++i) record_ids.push_back(NewUuid());
  pg::ExecPrepared(
      tx,
      "INSERT INTO client_consents (record_id, program_id, client_id, kind, given, source,"
      " consent_time, recorded_by_principal_id, recorded_by_role)"
      " SELECT u.record_id, $1, u.client_id, $2, true, $3,"
      " 'epoch'::timestamptz + $4::bigint * interval '1 microsecond', $5, $6"
      " FROM unnest($7::uuid[], $8::uuid[]) WITH ORDINALITY AS u (record_id, client_id, ord)"
      " ORDER BY ord",
      program_id, static_cast<int>(ConsentKind::kMarketing), static_cast<int>(source),
      absl::ToUnixMicros(consent_time), recorded_by.principal_id, recorded_by.role,
      pg::TextArray(record_ids), pg::TextArray(client_ids));
}

}  // namespace

std::vector<std::string> RegisterClientsInTx(pg::Tx& tx, const std::string& program_id,
                                             const std::vector<ClientToRegister>& clients,
                                             const AuditActor& actor, ConsentSource consent_source,
                                             absl::Span<const Attribute> schema) {
  std::vector<std::string> ids;
  if (clients.empty()) return ids;
  ids.reserve(clients.size());
  ClientColumns columns;
  for (const ClientToRegister& client : clients) {
    ids.push_back(NewUuid());
    columns.Add(ids.back(), client);
  }
  const absl::Time create_time = InsertClients(tx, program_id, columns);

  // Events in the order RegisterClientInTx writes them for each client:
  // ClientRegistered, then the consent it gave.
  std::vector<v1::ClientRegistered> registered(clients.size());
  std::vector<v1::ClientConsentChanged> consented;
  consented.reserve(clients.size());
  std::vector<const google::protobuf::Message*> events;
  std::vector<std::string> consenting;
  std::vector<AuditChange> audits;
  audits.reserve(clients.size());
  for (size_t i = 0; i < clients.size(); ++i) {
    const ClientProfile& profile = clients[i].profile;
    registered[i].set_client_id(ids[i]);
    registered[i].mutable_create_time()->set_seconds(absl::ToUnixSeconds(create_time));
    registered[i].set_marketing_consent(profile.marketing_consent);
    events.push_back(&registered[i]);
    if (profile.marketing_consent) {
      consenting.push_back(ids[i]);
      v1::ClientConsentChanged& consent = consented.emplace_back();
      consent.set_client_id(ids[i]);
      consent.add_changed_kinds(static_cast<int>(ConsentKind::kMarketing));
      consent.add_given_kinds(static_cast<int>(ConsentKind::kMarketing));
      consent.set_marketing_consent(true);
      const int64_t micros = absl::ToUnixMicros(create_time);
      consent.mutable_change_time()->set_seconds(micros / 1000000);
      consent.mutable_change_time()->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
      events.push_back(&consent);
    }
    AuditChange& change = audits.emplace_back(AuditChange{.action = "client.create",
                                                          .object_type = "client",
                                                          .object_id = ids[i],
                                                          .client_id = ids[i]});
    AddClientFieldsToAudit(profile, ChangedClientFields(ClientProfile{}, profile), change.after);
  }
  outbox::AppendAll(tx, outbox::StreamFor("identity"), program_id, events);
  InsertMarketingConsents(tx, program_id, consenting, create_time, consent_source,
                          actor.principal());
  // Social profiles and attribute values are rare in files: a statement
  // or a few per client that has them.
  const AttributeChangeOrigin origin{.source = AttributeChangeSource::kRegistration,
                                     .actor = actor};
  for (size_t i = 0; i < clients.size(); ++i) {
    if (!clients[i].profile.social_profiles.empty()) {
      WriteSocialProfiles(tx, ids[i], clients[i].profile.social_profiles);
    }
    WriteAttributeChanges(tx, program_id, ids[i], schema, clients[i].attributes, origin);
  }
  WriteAudits(tx, program_id, actor, audits);
  return ids;
}

}  // namespace loyalty::identity
