#pragma once

// Members of a program: the profile and the rules it must satisfy.
// Pure logic, no I/O.

#include "absl/strings/string_view.h"
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace loyalty::identity {

struct BirthDate {
  int year = 0;
  int month = 0;
  int day = 0;
  bool operator==(const BirthDate&) const = default;
};

enum class Gender { kUnspecified, kFemale, kMale };

// Device of the registration (CLI-1).
enum class Device { kUnspecified, kIos, kAndroid, kWeb };

// A link to the member's profile in a social network.
struct SocialProfile {
  std::string network;  // lower-case code, e.g. "vk"
  std::string url;      // absolute http(s) URL
  bool operator==(const SocialProfile&) const = default;
};

struct ClientProfile {
  std::string last_name;
  std::string first_name;
  std::string middle_name;
  std::string phone;  // E.164 after Validate
  std::string email;  // lower-cased after Validate
  std::optional<BirthDate> birth_date;
  Gender gender = Gender::kUnspecified;
  bool marketing_consent = false;
  // The rest of CLI-1; rules in client_fields.h.
  std::string city;
  std::string car_number;
  std::string extra_key1;
  std::string extra_key2;
  std::string extra_key3;
  std::string extra_key4;
  std::string extra_key5;
  std::string extra_key6;
  std::string external_id;         // unique in a program when set
  std::string referral_code;       // upper-case; unique in a program when set
  std::string referrer_client_id;  // another client of the program
  std::string utm_source;
  std::string utm_medium;
  std::string utm_campaign;
  std::string utm_content;
  std::string utm_term;
  Device device = Device::kUnspecified;
  std::string issuance_form;  // lower-case code of the registration channel
  std::string registration_store_id;
  std::vector<SocialProfile> social_profiles;

  bool operator==(const ClientProfile&) const = default;
};

struct Client {
  std::string client_id;
  std::string program_id;
  ClientProfile profile;
  // Set by verification (CLI-5), never by profile edits; a changed phone
  // or e-mail is unverified again.
  bool phone_verified = false;
  bool email_verified = false;
  // Row version, bumped by every change; the etag is made from it.
  int64_t version = 0;
  // Set when this client was merged into another (CLI-7); empty otherwise.
  std::string merged_into_client_id;
  absl::Time create_time;
  absl::Time update_time;
};

// Normalises a phone number to E.164 ("+79161234567"). Accepts spaces,
// dashes, dots and parentheses; a leading "+" or "00" introduces the country
// code; otherwise the number is national and `default_country_code` is
// prefixed (for Russia, "7", a leading trunk "8" is dropped). The result has
// 8 to 15 digits. InvalidArgument otherwise.
absl::StatusOr<std::string> NormalizePhone(absl::string_view input,
                                           absl::string_view default_country_code);

// Checks an e-mail address's syntax (local@domain with a dot in the domain,
// no spaces, at most 254 characters) and lower-cases it.
absl::StatusOr<std::string> NormalizeEmail(absl::string_view input);

// Checks a birth date: a real calendar date, from 1900 on, not after
// `today` (a UTC civil day).
absl::Status ValidateBirthDate(const BirthDate& date, absl::CivilDay today);

// Validates and normalises a profile in place. Field paths in errors are
// prefixed with `field_prefix` (e.g. "client.") so they name the request
// field. A client needs a phone or an e-mail to be reachable and
// identifiable.
absl::Status NormalizeProfile(ClientProfile& profile,
                              absl::string_view default_country_code,
                              absl::CivilDay today, absl::string_view field_prefix);

// NormalizeProfile without the need for a phone or an e-mail: the fields
// of a file row that may update a client which has them (CLI-8).
absl::Status NormalizeProfileFields(ClientProfile& profile,
                                    absl::string_view default_country_code,
                                    absl::CivilDay today, absl::string_view field_prefix);

// INVALID_ARGUMENT naming `<field_prefix>phone` when the profile has
// neither a phone nor an e-mail.
absl::Status RequireContact(const ClientProfile& profile, absl::string_view field_prefix);

}  // namespace loyalty::identity
