#pragma once

// Members of a program: the profile and the rules it must satisfy.
// Pure logic, no I/O.

#include "absl/strings/string_view.h"
#include <optional>
#include <string>
#include <string_view>

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

struct ClientProfile {
  std::string last_name;
  std::string first_name;
  std::string middle_name;
  std::string phone;  // E.164 after Validate
  std::string email;  // lower-cased after Validate
  std::optional<BirthDate> birth_date;
  Gender gender = Gender::kUnspecified;
  bool marketing_consent = false;
};

struct Client {
  std::string client_id;
  std::string program_id;
  ClientProfile profile;
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

}  // namespace loyalty::identity
