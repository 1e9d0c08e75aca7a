#include "services/pos/domain/references.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/common/errors.h"
#include "libs/common/text.h"

namespace loyalty::pos {
namespace {

std::string Field(absl::string_view prefix, absl::string_view name) {
  return absl::StrCat(prefix, ".", name);
}

bool HasControlCharacters(absl::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

absl::Status CheckTimeZone(absl::string_view zone, const std::string& field) {
  if (zone.empty()) return absl::OkStatus();
  absl::TimeZone loaded;
  if (zone.size() > 64 || !absl::LoadTimeZone(std::string(zone), &loaded)) {
    return InvalidField(field, "not an IANA time zone, e.g. Europe/Moscow");
  }
  return absl::OkStatus();
}

// Russian INN: 10 digits for organisations, 12 for individual entrepreneurs.
absl::Status CheckTaxId(absl::string_view tax_id, const std::string& field) {
  if (tax_id.empty()) return absl::OkStatus();
  const bool digits = std::all_of(tax_id.begin(), tax_id.end(),
                                  [](unsigned char c) { return absl::ascii_isdigit(c); });
  if (!digits || (tax_id.size() != 10 && tax_id.size() != 12)) {
    return InvalidField(field, "must be 10 or 12 digits");
  }
  return absl::OkStatus();
}

absl::Status MustBeEmpty(absl::string_view value, const std::string& field,
                         absl::string_view kinds) {
  if (value.empty()) return absl::OkStatus();
  return InvalidField(field, absl::StrCat("only for ", kinds));
}

absl::Status CheckOptionalId(absl::string_view id, const std::string& field) {
  return id.empty() ? absl::OkStatus() : ValidateCode(id, field);
}

}  // namespace

absl::Status ValidateText(absl::string_view text, size_t max_chars, bool required,
                          absl::string_view field) {
  const std::string name(field);
  std::optional<size_t> length = Utf8Length(text);
  if (!length) return InvalidField(name, "not UTF-8");
  if (required && *length == 0) return InvalidField(name, "must not be empty");
  if (*length > max_chars) {
    return InvalidField(name, absl::StrCat("longer than ", max_chars, " characters"));
  }
  if (HasControlCharacters(text)) return InvalidField(name, "contains control characters");
  return absl::OkStatus();
}

absl::string_view KindName(ReferenceKind kind) {
  switch (kind) {
    case ReferenceKind::kPartner:
      return "partner";
    case ReferenceKind::kStoreType:
      return "store_type";
    case ReferenceKind::kSalesChannel:
      return "sales_channel";
    case ReferenceKind::kCity:
      return "city";
  }
  return "";
}

absl::Status ValidateCode(absl::string_view id, absl::string_view field) {
  const std::string name(field);
  std::optional<size_t> length = Utf8Length(id);
  if (!length) return InvalidField(name, "not UTF-8");
  if (*length == 0 || *length > 128) return InvalidField(name, "must be 1..128 characters");
  if (HasControlCharacters(id)) return InvalidField(name, "contains control characters");
  if (absl::StrContains(id, '/')) return InvalidField(name, "contains '/'");
  if (absl::StripAsciiWhitespace(id).size() != id.size()) {
    return InvalidField(name, "starts or ends with white space");
  }
  return absl::OkStatus();
}

absl::Status ValidateReference(ReferenceKind kind, Reference& reference,
                               absl::string_view prefix) {
  reference.name = std::string(absl::StripAsciiWhitespace(reference.name));
  if (absl::Status s = ValidateText(reference.name, 200, true, Field(prefix, "name")); !s.ok()) {
    return s;
  }
  const bool partner = kind == ReferenceKind::kPartner;
  const bool city = kind == ReferenceKind::kCity;
  absl::Status status =
      partner ? ValidateText(reference.legal_name, 300, false, Field(prefix, "legal_name"))
              : MustBeEmpty(reference.legal_name, Field(prefix, "legal_name"), "partners");
  if (!status.ok()) return status;
  status = partner ? CheckTaxId(reference.tax_id, Field(prefix, "tax_id"))
                   : MustBeEmpty(reference.tax_id, Field(prefix, "tax_id"), "partners");
  if (!status.ok()) return status;
  status = city ? ValidateText(reference.region, 200, false, Field(prefix, "region"))
                : MustBeEmpty(reference.region, Field(prefix, "region"), "cities");
  if (!status.ok()) return status;
  return city ? CheckTimeZone(reference.time_zone, Field(prefix, "time_zone"))
              : MustBeEmpty(reference.time_zone, Field(prefix, "time_zone"), "cities");
}

absl::Status ValidateStore(Store& store, absl::string_view prefix) {
  store.name = std::string(absl::StripAsciiWhitespace(store.name));
  const absl::Status checks[] = {
      ValidateText(store.name, 200, true, Field(prefix, "name")),
      ValidateText(store.city, 100, false, Field(prefix, "city")),
      ValidateText(store.address, 500, false, Field(prefix, "address")),
      CheckTimeZone(store.time_zone, Field(prefix, "time_zone")),
      CheckOptionalId(store.partner_id, Field(prefix, "partner_id")),
      CheckOptionalId(store.store_type_id, Field(prefix, "store_type_id")),
      CheckOptionalId(store.city_id, Field(prefix, "city_id")),
      CheckOptionalId(store.sales_channel_id, Field(prefix, "sales_channel_id")),
  };
  for (const absl::Status& status : checks) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace loyalty::pos
