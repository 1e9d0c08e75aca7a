#pragma once

// Rows of `clients` and `client_social_profiles` <-> Client, shared by the
// statements of IdentityStore. Storage-internal: pqxx in the interface.

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/identity/domain/client.h"

namespace loyalty::identity {

// The select list ClientFromRow reads (social profiles come from their own
// table). A statement may select more columns after it: the first of them
// is at index kClientColumnCount.
extern const char kClientColumns[];
inline constexpr int kClientColumnCount = 37;

Client ClientFromRow(const pqxx::row& row);

// Fills in the social profiles of `clients` (one query for all).
void LoadSocialProfiles(pqxx::transaction_base& tx, std::vector<Client>& clients);

// ClientFromRow with the client's social profiles.
Client LoadClient(pqxx::transaction_base& tx, const pqxx::row& row);

// Replaces a client's social profiles.
void WriteSocialProfiles(pqxx::transaction_base& tx, const std::string& client_id,
                         const std::vector<SocialProfile>& profiles);

// A profile's unique keys (phone, external id, referral code) each as its
// Client field name, which is also its column, and value; empty values are
// no key.
struct UniqueKey {
  absl::string_view field;
  std::string value;
};
std::vector<UniqueKey> UniqueKeysOf(const ClientProfile& profile);

// The client of `program_id` other than `except_client_id` that has
// `key`, with its request id as the extra last column, if any.
std::optional<pqxx::row> FindKeyHolder(pqxx::transaction_base& tx, const std::string& program_id,
                                       const UniqueKey& key, const std::string& except_client_id);

// INVALID_ARGUMENT naming `field` unless `referrer_client_id` (when set) is
// a client of `program_id`.
absl::Status CheckReferrerExists(pqxx::transaction_base& tx, const std::string& program_id,
                                 const std::string& referrer_client_id, absl::string_view field);

// The birth date as a date literal for `$n::date`, or NULL.
std::optional<std::string> BirthDateParam(const ClientProfile& profile);

// NULL for an empty string: unique keys are NULL when not set.
std::optional<std::string> NullIfEmpty(const std::string& value);

// The columns a profile writes, and their placeholders $3..$29 in the
// order ExecProfileStatement passes them.
extern const char kProfileColumns[];
extern const char kProfileValues[];

// Runs `sql` (one row back) with $1 = `client_id`, $2 = `program_id`,
// $3..$29 = the profile (kProfileColumns) and $30... = `extra`.
template <typename... Extra>
pqxx::row ExecProfileStatement(pqxx::transaction_base& tx, const std::string& sql,
                               const std::string& client_id, const std::string& program_id,
                               const ClientProfile& p, const Extra&... extra) {
  return tx.exec_params1(
      sql, client_id, program_id, p.last_name, p.first_name, p.middle_name, NullIfEmpty(p.phone),
      NullIfEmpty(p.email), BirthDateParam(p), static_cast<int>(p.gender), p.marketing_consent,
      p.city, p.car_number, p.extra_key1, p.extra_key2, p.extra_key3, p.extra_key4, p.extra_key5,
      p.extra_key6, NullIfEmpty(p.external_id), NullIfEmpty(p.referral_code),
      NullIfEmpty(p.referrer_client_id), p.utm_source, p.utm_medium, p.utm_campaign,
      p.utm_content, p.utm_term, static_cast<int>(p.device), p.issuance_form,
      p.registration_store_id, extra...);
}

}  // namespace loyalty::identity
