#include "services/identity/domain/client_fields.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "libs/common/errors.h"
#include "libs/common/json.h"
#include "libs/common/random_ids.h"
#include "services/identity/domain/free_text.h"

namespace loyalty::identity {
namespace {

constexpr size_t kMaxUrlBytes = 2048;
constexpr size_t kMaxExternalIdCharacters = 128;
constexpr size_t kMaxCardNumberCharacters = 64;
constexpr absl::string_view kEtagPrefix = "v";

// Free text a person types: a field path, where it lives, and its most
// characters.
struct TextField {
  absl::string_view path;
  std::string ClientProfile::*member;
  size_t max_characters;
};

constexpr TextField kTextFields[] = {
    {"city", &ClientProfile::city, 100},
    {"car_number", &ClientProfile::car_number, 20},
    {"extra_key1", &ClientProfile::extra_key1, 255},
    {"extra_key2", &ClientProfile::extra_key2, 255},
    {"extra_key3", &ClientProfile::extra_key3, 255},
    {"extra_key4", &ClientProfile::extra_key4, 255},
    {"extra_key5", &ClientProfile::extra_key5, 255},
    {"extra_key6", &ClientProfile::extra_key6, 255},
    {"external_id", &ClientProfile::external_id, kMaxExternalIdCharacters},
    {"utm_source", &ClientProfile::utm_source, 255},
    {"utm_medium", &ClientProfile::utm_medium, 255},
    {"utm_campaign", &ClientProfile::utm_campaign, 255},
    {"utm_content", &ClientProfile::utm_content, 255},
    {"utm_term", &ClientProfile::utm_term, 255},
    {"registration_store_id", &ClientProfile::registration_store_id, 64},
};

// A code of `min`..`max` ASCII letters, digits and `extra` characters,
// trimmed and case-folded (`upper` or lower), so that people typing it in
// another case still mean the same code.
absl::Status NormalizeCode(absl::string_view field, size_t min, size_t max,
                           absl::string_view extra, bool upper, std::string& code) {
  code = std::string(absl::StripAsciiWhitespace(code));
  const bool allowed = std::all_of(code.begin(), code.end(), [&](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
           extra.find(c) != absl::string_view::npos;
  });
  if (code.size() < min || code.size() > max || !allowed) {
    return InvalidField(field, absl::StrCat(min, "..", max, " of letters A-Z, digits and '",
                                            extra, "'"));
  }
  upper ? absl::AsciiStrToUpper(&code) : absl::AsciiStrToLower(&code);
  return absl::OkStatus();
}

// An absolute http or https URL with a host, no white space or control
// characters; the scheme is lower-cased.
absl::Status NormalizeProfileUrl(absl::string_view field, std::string& url) {
  url = std::string(absl::StripAsciiWhitespace(url));
  if (url.empty()) return InvalidField(field, "required");
  if (url.size() > kMaxUrlBytes) {
    return InvalidField(field, absl::StrCat("at most ", kMaxUrlBytes, " bytes"));
  }
  const bool printable = std::all_of(url.begin(), url.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte != 0x7f;
  });
  size_t scheme_end = url.find("://");
  std::string scheme =
      scheme_end == std::string::npos ? "" : absl::AsciiStrToLower(url.substr(0, scheme_end));
  if (!printable || (scheme != "http" && scheme != "https")) {
    return InvalidField(field, "must be an http:// or https:// address without spaces");
  }
  absl::string_view rest = absl::string_view(url).substr(scheme_end + 3);
  absl::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = host.rfind('@'); at != absl::string_view::npos) host.remove_prefix(at + 1);
  if (host.empty() || host.front() == '.' || host.front() == ':') {
    return InvalidField(field, "has no host");
  }
  url = absl::StrCat(scheme, url.substr(scheme_end));
  return absl::OkStatus();
}

// One field of the profile as an update mask sees it.
struct MaskField {
  absl::string_view path;
  void (*copy)(const ClientProfile& from, ClientProfile& to);
  bool (*differs)(const ClientProfile& a, const ClientProfile& b);
  // The value as JSON, as the HTTP API spells it (for the audit log).
  void (*to_audit)(const ClientProfile& profile, absl::string_view path, AuditFields& out);
};

void AddAuditValue(absl::string_view path, const std::string& value, AuditFields& out) {
  out.Text(path, value);
}

void AddAuditValue(absl::string_view path, bool value, AuditFields& out) { out.Bool(path, value); }

void AddAuditValue(absl::string_view path, const std::optional<BirthDate>& value,
                   AuditFields& out) {
  if (!value) {
    out.Json(path, "null");
    return;
  }
  out.Text(path, absl::StrFormat("%04d-%02d-%02d", value->year, value->month, value->day));
}

void AddAuditValue(absl::string_view path, Gender value, AuditFields& out) {
  switch (value) {
    case Gender::kUnspecified:
      out.Text(path, "GENDER_UNSPECIFIED");
      return;
    case Gender::kFemale:
      out.Text(path, "GENDER_FEMALE");
      return;
    case Gender::kMale:
      out.Text(path, "GENDER_MALE");
      return;
  }
}

void AddAuditValue(absl::string_view path, Device value, AuditFields& out) {
  switch (value) {
    case Device::kUnspecified:
      out.Text(path, "DEVICE_UNSPECIFIED");
      return;
    case Device::kIos:
      out.Text(path, "DEVICE_IOS");
      return;
    case Device::kAndroid:
      out.Text(path, "DEVICE_ANDROID");
      return;
    case Device::kWeb:
      out.Text(path, "DEVICE_WEB");
      return;
  }
}

void AddAuditValue(absl::string_view path, const std::vector<SocialProfile>& value,
                   AuditFields& out) {
  std::string json = "[";
  for (size_t i = 0; i < value.size(); ++i) {
    if (i > 0) json += ",";
    json += "{\"network\":";
    AppendJsonString(json, value[i].network);
    json += ",\"url\":";
    AppendJsonString(json, value[i].url);
    json += "}";
  }
  json += "]";
  out.Json(path, json);
}

template <auto Member>
void CopyMember(const ClientProfile& from, ClientProfile& to) {
  to.*Member = from.*Member;
}

template <auto Member>
bool MemberDiffers(const ClientProfile& a, const ClientProfile& b) {
  return !(a.*Member == b.*Member);
}

template <auto Member>
void MemberToAudit(const ClientProfile& profile, absl::string_view path, AuditFields& out) {
  AddAuditValue(path, profile.*Member, out);
}

template <auto Member>
constexpr MaskField Field(absl::string_view path) {
  return MaskField{path, &CopyMember<Member>, &MemberDiffers<Member>, &MemberToAudit<Member>};
}

// In Client field order: ChangedClientFields reports in this order.
constexpr MaskField kMaskFields[] = {
    Field<&ClientProfile::last_name>("last_name"),
    Field<&ClientProfile::first_name>("first_name"),
    Field<&ClientProfile::middle_name>("middle_name"),
    Field<&ClientProfile::phone>("phone"),
    Field<&ClientProfile::email>("email"),
    Field<&ClientProfile::birth_date>("birth_date"),
    Field<&ClientProfile::gender>("gender"),
    Field<&ClientProfile::marketing_consent>("marketing_consent"),
    Field<&ClientProfile::city>("city"),
    Field<&ClientProfile::car_number>("car_number"),
    Field<&ClientProfile::extra_key1>("extra_key1"),
    Field<&ClientProfile::extra_key2>("extra_key2"),
    Field<&ClientProfile::extra_key3>("extra_key3"),
    Field<&ClientProfile::extra_key4>("extra_key4"),
    Field<&ClientProfile::extra_key5>("extra_key5"),
    Field<&ClientProfile::extra_key6>("extra_key6"),
    Field<&ClientProfile::external_id>("external_id"),
    Field<&ClientProfile::referral_code>("referral_code"),
    Field<&ClientProfile::referrer_client_id>("referrer_client_id"),
    Field<&ClientProfile::utm_source>("utm_source"),
    Field<&ClientProfile::utm_medium>("utm_medium"),
    Field<&ClientProfile::utm_campaign>("utm_campaign"),
    Field<&ClientProfile::utm_content>("utm_content"),
    Field<&ClientProfile::utm_term>("utm_term"),
    Field<&ClientProfile::device>("device"),
    Field<&ClientProfile::issuance_form>("issuance_form"),
    Field<&ClientProfile::registration_store_id>("registration_store_id"),
    Field<&ClientProfile::social_profiles>("social_profiles"),
};

constexpr absl::string_view kOutputOnlyFields[] = {"client_id",   "phone_verified", "email_verified",
                                                   "create_time", "update_time",    "etag"};

}  // namespace

absl::Status NormalizeProfileExtras(ClientProfile& profile, absl::string_view field_prefix) {
  auto field = [&](absl::string_view name) { return absl::StrCat(field_prefix, name); };
  for (const TextField& text : kTextFields) {
    if (absl::Status status =
            NormalizeFreeText(field(text.path), text.max_characters, profile.*text.member);
        !status.ok()) {
      return status;
    }
  }
  if (!profile.referral_code.empty()) {
    if (absl::Status status = NormalizeCode(field("referral_code"), 3, 32, "_-", /*upper=*/true,
                                            profile.referral_code);
        !status.ok()) {
      return status;
    }
  }
  profile.referrer_client_id = absl::AsciiStrToLower(profile.referrer_client_id);
  if (!profile.referrer_client_id.empty() && !IsUuid(profile.referrer_client_id)) {
    return InvalidField(field("referrer_client_id"), "must be a client id (UUID)");
  }
  if (!profile.issuance_form.empty()) {
    if (absl::Status status = NormalizeCode(field("issuance_form"), 1, 64, "_-.", /*upper=*/false,
                                            profile.issuance_form);
        !status.ok()) {
      return status;
    }
  }
  if (profile.social_profiles.size() > kMaxSocialProfiles) {
    return InvalidField(field("social_profiles"),
                        absl::StrCat("at most ", kMaxSocialProfiles, " profiles"));
  }
  for (size_t i = 0; i < profile.social_profiles.size(); ++i) {
    SocialProfile& link = profile.social_profiles[i];
    const std::string item = field(absl::StrCat("social_profiles[", i, "]."));
    if (absl::Status status = NormalizeCode(absl::StrCat(item, "network"), 1, 32, "_-",
                                            /*upper=*/false, link.network);
        !status.ok()) {
      return status;
    }
    if (absl::Status status = NormalizeProfileUrl(absl::StrCat(item, "url"), link.url);
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyClientMask(const std::vector<std::string>& paths, const ClientProfile& input,
                             ClientProfile& stored) {
  if (paths.empty()) {
    // Unlike a tag's two fields, replacing a whole profile because a caller
    // forgot the mask would wipe what it did not send.
    return InvalidField("update_mask", "name the fields to change, e.g. city,externalId");
  }
  for (const std::string& path : paths) {
    if (std::find(std::begin(kOutputOnlyFields), std::end(kOutputOnlyFields), path) !=
        std::end(kOutputOnlyFields)) {
      return InvalidField("update_mask", absl::StrCat("'", path, "' is output only"));
    }
    if (path == "marketing_consent") {
      // Consents keep a history (who, when, which text); a profile edit
      // would bypass it.
      return InvalidField("update_mask",
                          "'marketing_consent' changes through RecordConsents"
                          " (POST /v1/clients/{client_id}/consents)");
    }
    const MaskField* found =
        std::find_if(std::begin(kMaskFields), std::end(kMaskFields),
                     [&](const MaskField& field) { return field.path == path; });
    if (found == std::end(kMaskFields)) {
      return InvalidField("update_mask", absl::StrCat("unknown path '", path, "'"));
    }
    found->copy(input, stored);
  }
  return absl::OkStatus();
}

std::vector<std::string> ChangedClientFields(const ClientProfile& before,
                                             const ClientProfile& after) {
  std::vector<std::string> changed;
  for (const MaskField& field : kMaskFields) {
    if (field.differs(before, after)) changed.emplace_back(field.path);
  }
  return changed;
}

void AddClientFieldsToAudit(const ClientProfile& profile, const std::vector<std::string>& paths,
                            AuditFields& out) {
  for (const MaskField& field : kMaskFields) {
    if (std::find(paths.begin(), paths.end(), field.path) != paths.end()) {
      field.to_audit(profile, field.path, out);
    }
  }
}

std::string EtagOfVersion(int64_t version) { return absl::StrCat(kEtagPrefix, version); }

absl::StatusOr<int64_t> VersionOfEtag(absl::string_view etag, absl::string_view field) {
  int64_t version = 0;
  if (!absl::ConsumePrefix(&etag, kEtagPrefix) || !absl::SimpleAtoi(etag, &version) ||
      version <= 0) {
    return InvalidField(field, "not an etag this service returned");
  }
  return version;
}

absl::Status CheckVersion(int64_t expected, int64_t stored, absl::string_view field) {
  if (expected == 0 || expected == stored) return absl::OkStatus();
  return FieldError(absl::StatusCode::kAborted, field,
                    "the client changed since this etag was read; read it again and reapply "
                    "the change");
}

absl::Status CheckReferrer(absl::string_view client_id, const ClientProfile& profile,
                           absl::string_view field_prefix) {
  if (!profile.referrer_client_id.empty() && profile.referrer_client_id == client_id) {
    return InvalidField(absl::StrCat(field_prefix, "referrer_client_id"),
                        "a client cannot be its own referrer");
  }
  return absl::OkStatus();
}

absl::StatusOr<IdentifyKey> ChooseIdentifyKey(const IdentifyInput& input,
                                              absl::string_view default_country_code) {
  const struct {
    absl::string_view field;
    const std::string& value;
    IdentifyKind kind;
  } keys[] = {{"phone", input.phone, IdentifyKind::kPhone},
              {"card_number", input.card_number, IdentifyKind::kCardNumber},
              {"external_id", input.external_id, IdentifyKind::kExternalId},
              {"email", input.email, IdentifyKind::kEmail}};
  std::vector<absl::string_view> given;
  for (const auto& key : keys) {
    if (!absl::StripAsciiWhitespace(key.value).empty()) given.push_back(key.field);
  }
  if (given.size() != 1) {
    return InvalidField(given.empty() ? "phone" : given[1],
                        given.empty() ? "give one of phone, card_number, external_id, email"
                                      : absl::StrCat("give only one key, not ",
                                                     absl::StrJoin(given, " and ")));
  }
  for (const auto& key : keys) {
    if (key.field != given[0]) continue;
    IdentifyKey chosen{.kind = key.kind, .value = key.value};
    switch (key.kind) {
      case IdentifyKind::kPhone: {
        absl::StatusOr<std::string> phone = NormalizePhone(key.value, default_country_code);
        if (!phone.ok()) return InvalidField(key.field, phone.status().message());
        chosen.value = *std::move(phone);
        break;
      }
      case IdentifyKind::kEmail: {
        absl::StatusOr<std::string> email = NormalizeEmail(key.value);
        if (!email.ok()) return InvalidField(key.field, email.status().message());
        chosen.value = *std::move(email);
        break;
      }
      case IdentifyKind::kExternalId:
        if (absl::Status status = NormalizeFreeText(key.field, kMaxExternalIdCharacters, chosen.value); !status.ok()) {
          return status;
        }
        break;
      case IdentifyKind::kCardNumber:
        if (absl::Status status = NormalizeFreeText(key.field, kMaxCardNumberCharacters, chosen.value); !status.ok()) {
          return status;
        }
        break;
    }
    return chosen;
  }
  return absl::InternalError("unreachable: the given key is one of the keys");
}

}  // namespace loyalty::identity
