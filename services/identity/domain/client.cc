#include "absl/strings/string_view.h"
#include "services/identity/domain/client.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "services/identity/domain/client_fields.h"

namespace loyalty::identity {
namespace {

constexpr size_t kMaxNameLength = 100;

}  // namespace

absl::StatusOr<std::string> NormalizePhone(absl::string_view input,
                                           absl::string_view default_country_code) {
  absl::string_view text = absl::StripAsciiWhitespace(input);
  bool international = false;
  if (absl::ConsumePrefix(&text, "+")) {
    international = true;
  } else if (absl::ConsumePrefix(&text, "00")) {
    international = true;
  }
  std::string digits;
  for (char c : text) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if (c != ' ' && c != '-' && c != '(' && c != ')' && c != '.') {
      return absl::InvalidArgumentError(
          absl::StrCat("'", input, "' contains characters other than digits"));
    }
  }
  if (digits.empty()) return absl::InvalidArgumentError("phone has no digits");
  if (!international) {
    if (default_country_code == "7" && digits.size() == 11 &&
        (digits[0] == '8' || digits[0] == '7')) {
      // Russian national notation 8XXXXXXXXXX, or 7XXXXXXXXXX without "+".
      digits = digits.substr(1);
    } else if (!default_country_code.empty() && digits[0] == '0') {
      digits = digits.substr(1);  // trunk prefix of most other countries
    }
    digits = absl::StrCat(default_country_code, digits);
  }
  if (digits[0] == '0') {
    return absl::InvalidArgumentError("country code cannot start with 0");
  }
  if (digits.size() < 8 || digits.size() > 15) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", input, "' is not a phone number (E.164 has 8 to 15 digits)"));
  }
  if (default_country_code == "7" && digits[0] == '7' && digits.size() != 11) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", input, "' is not a +7 number (10 digits after +7)"));
  }
  return absl::StrCat("+", digits);
}

absl::StatusOr<std::string> NormalizeEmail(absl::string_view input) {
  std::string email = absl::AsciiStrToLower(absl::StripAsciiWhitespace(input));
  size_t at = email.find('@');
  if (email.size() > 254 || at == std::string::npos || at == 0 ||
      email.find('@', at + 1) != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", input, "' is not an e-mail address"));
  }
  absl::string_view domain = absl::string_view(email).substr(at + 1);
  size_t dot = domain.rfind('.');
  if (domain.empty() || dot == absl::string_view::npos || dot == 0 ||
      dot == domain.size() - 1 || domain.find("..") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", input, "' has no valid domain"));
  }
  for (char c : email) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) ||
        absl::ascii_iscntrl(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError("e-mail contains white space");
    }
  }
  return email;
}

absl::Status ValidateBirthDate(const BirthDate& date, absl::CivilDay today) {
  absl::CivilDay day(date.year, date.month, date.day);
  if (date.month < 1 || date.month > 12 || date.day < 1 || date.day > 31 ||
      day.year() != date.year || day.month() != date.month || day.day() != date.day) {
    return absl::InvalidArgumentError(absl::StrCat(
        date.year, "-", date.month, "-", date.day, " is not a calendar date"));
  }
  if (date.year < 1900) return absl::InvalidArgumentError("year before 1900");
  if (day > today) return absl::InvalidArgumentError("birth date is in the future");
  return absl::OkStatus();
}

absl::Status RequireContact(const ClientProfile& profile, absl::string_view field_prefix) {
  if (profile.phone.empty() && profile.email.empty()) {
    return InvalidField(absl::StrCat(field_prefix, "phone"), "a phone or an e-mail is required");
  }
  return absl::OkStatus();
}

absl::Status NormalizeProfile(ClientProfile& profile,
                              absl::string_view default_country_code,
                              absl::CivilDay today, absl::string_view field_prefix) {
  RETURN_IF_ERROR(NormalizeProfileFields(profile, default_country_code, today, field_prefix));
  return RequireContact(profile, field_prefix);
}

absl::Status NormalizeProfileFields(ClientProfile& profile,
                                    absl::string_view default_country_code,
                                    absl::CivilDay today, absl::string_view field_prefix) {
  auto field = [&](absl::string_view name) { return absl::StrCat(field_prefix, name); };
  for (auto [name, value] : {std::pair<absl::string_view, std::string*>{"last_name", &profile.last_name},
                             {"first_name", &profile.first_name},
                             {"middle_name", &profile.middle_name}}) {
    *value = std::string(absl::StripAsciiWhitespace(*value));
    if (value->size() > kMaxNameLength) {
      return InvalidField(field(name), absl::StrCat("longer than ", kMaxNameLength, " bytes"));
    }
  }
  if (!profile.phone.empty()) {
    absl::StatusOr<std::string> phone = NormalizePhone(profile.phone, default_country_code);
    if (!phone.ok()) return InvalidField(field("phone"), phone.status().message());
    profile.phone = *std::move(phone);
  }
  if (!profile.email.empty()) {
    absl::StatusOr<std::string> email = NormalizeEmail(profile.email);
    if (!email.ok()) return InvalidField(field("email"), email.status().message());
    profile.email = *std::move(email);
  }
  if (profile.birth_date) {
    if (absl::Status status = ValidateBirthDate(*profile.birth_date, today); !status.ok()) {
      return InvalidField(field("birth_date"), status.message());
    }
  }
  return NormalizeProfileExtras(profile, field_prefix);
}

}  // namespace loyalty::identity
