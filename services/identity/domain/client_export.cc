#include "services/identity/domain/client_export.h"

#include <array>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/xlsx/xlsx.h"

namespace loyalty::identity {
namespace {

struct ColumnInfo {
  ClientColumn column;
  absl::string_view name;
  absl::string_view label;
};

// In ClientColumn order.
constexpr std::array<ColumnInfo, 33> kColumns = {{
    {ClientColumn::kClientId, "client_id", "Client id"},
    {ClientColumn::kLastName, "last_name", "Last name"},
    {ClientColumn::kFirstName, "first_name", "First name"},
    {ClientColumn::kMiddleName, "middle_name", "Middle name"},
    {ClientColumn::kPhone, "phone", "Phone"},
    {ClientColumn::kEmail, "email", "E-mail"},
    {ClientColumn::kBirthDate, "birth_date", "Birth date"},
    {ClientColumn::kGender, "gender", "Gender"},
    {ClientColumn::kMarketingConsent, "marketing_consent", "Marketing consent"},
    {ClientColumn::kPhoneVerified, "phone_verified", "Phone verified"},
    {ClientColumn::kEmailVerified, "email_verified", "E-mail verified"},
    {ClientColumn::kCity, "city", "City"},
    {ClientColumn::kCarNumber, "car_number", "Car number"},
    {ClientColumn::kExtraKey1, "extra_key1", "Extra key 1"},
    {ClientColumn::kExtraKey2, "extra_key2", "Extra key 2"},
    {ClientColumn::kExtraKey3, "extra_key3", "Extra key 3"},
    {ClientColumn::kExtraKey4, "extra_key4", "Extra key 4"},
    {ClientColumn::kExtraKey5, "extra_key5", "Extra key 5"},
    {ClientColumn::kExtraKey6, "extra_key6", "Extra key 6"},
    {ClientColumn::kExternalId, "external_id", "External id"},
    {ClientColumn::kReferralCode, "referral_code", "Referral code"},
    {ClientColumn::kReferrerClientId, "referrer_client_id", "Referrer client id"},
    {ClientColumn::kUtmSource, "utm_source", "UTM source"},
    {ClientColumn::kUtmMedium, "utm_medium", "UTM medium"},
    {ClientColumn::kUtmCampaign, "utm_campaign", "UTM campaign"},
    {ClientColumn::kUtmContent, "utm_content", "UTM content"},
    {ClientColumn::kUtmTerm, "utm_term", "UTM term"},
    {ClientColumn::kDevice, "device", "Device"},
    {ClientColumn::kIssuanceForm, "issuance_form", "Issuance form"},
    {ClientColumn::kRegistrationStoreId, "registration_store_id", "Registration store"},
    {ClientColumn::kSocialProfiles, "social_profiles", "Social profiles"},
    {ClientColumn::kCreateTime, "create_time", "Registered"},
    {ClientColumn::kUpdateTime, "update_time", "Updated"},
}};

const ColumnInfo& InfoOf(ClientColumn column) { return kColumns[static_cast<size_t>(column)]; }

std::optional<ClientColumn> ColumnNamed(absl::string_view name) {
  for (const ColumnInfo& info : kColumns) {
    if (info.name == name) return info.column;
  }
  return std::nullopt;
}

ExportCell TextCell(std::string text) {
  return {.kind = ExportCell::Kind::kText, .text = std::move(text)};
}
ExportCell BoolCell(bool value) { return TextCell(value ? "true" : "false"); }

absl::string_view GenderName(Gender gender) {
  switch (gender) {
    case Gender::kFemale:
      return "FEMALE";
    case Gender::kMale:
      return "MALE";
    case Gender::kUnspecified:
      break;
  }
  return "";
}

absl::string_view DeviceName(Device device) {
  switch (device) {
    case Device::kIos:
      return "IOS";
    case Device::kAndroid:
      return "ANDROID";
    case Device::kWeb:
      return "WEB";
    case Device::kUnspecified:
      break;
  }
  return "";
}

ExportCell CellOf(const Client& client, ClientColumn column) {
  const ClientProfile& p = client.profile;
  switch (column) {
    case ClientColumn::kClientId: return TextCell(client.client_id);
    case ClientColumn::kLastName: return TextCell(p.last_name);
    case ClientColumn::kFirstName: return TextCell(p.first_name);
    case ClientColumn::kMiddleName: return TextCell(p.middle_name);
    case ClientColumn::kPhone: return TextCell(p.phone);
    case ClientColumn::kEmail: return TextCell(p.email);
    case ClientColumn::kBirthDate:
      if (!p.birth_date) return TextCell("");
      return {.kind = ExportCell::Kind::kDate,
              .day = absl::CivilDay(p.birth_date->year, p.birth_date->month, p.birth_date->day)};
    case ClientColumn::kGender: return TextCell(std::string(GenderName(p.gender)));
    case ClientColumn::kMarketingConsent: return BoolCell(p.marketing_consent);
    case ClientColumn::kPhoneVerified: return BoolCell(client.phone_verified);
    case ClientColumn::kEmailVerified: return BoolCell(client.email_verified);
    case ClientColumn::kCity: return TextCell(p.city);
    case ClientColumn::kCarNumber: return TextCell(p.car_number);
    case ClientColumn::kExtraKey1: return TextCell(p.extra_key1);
    case ClientColumn::kExtraKey2: return TextCell(p.extra_key2);
    case ClientColumn::kExtraKey3: return TextCell(p.extra_key3);
    case ClientColumn::kExtraKey4: return TextCell(p.extra_key4);
    case ClientColumn::kExtraKey5: return TextCell(p.extra_key5);
    case ClientColumn::kExtraKey6: return TextCell(p.extra_key6);
    case ClientColumn::kExternalId: return TextCell(p.external_id);
    case ClientColumn::kReferralCode: return TextCell(p.referral_code);
    case ClientColumn::kReferrerClientId: return TextCell(p.referrer_client_id);
    case ClientColumn::kUtmSource: return TextCell(p.utm_source);
    case ClientColumn::kUtmMedium: return TextCell(p.utm_medium);
    case ClientColumn::kUtmCampaign: return TextCell(p.utm_campaign);
    case ClientColumn::kUtmContent: return TextCell(p.utm_content);
    case ClientColumn::kUtmTerm: return TextCell(p.utm_term);
    case ClientColumn::kDevice: return TextCell(std::string(DeviceName(p.device)));
    case ClientColumn::kIssuanceForm: return TextCell(p.issuance_form);
    case ClientColumn::kRegistrationStoreId: return TextCell(p.registration_store_id);
    case ClientColumn::kSocialProfiles:
      return TextCell(absl::StrJoin(p.social_profiles, "; ",
                                    [](std::string* out, const SocialProfile& profile) {
                                      absl::StrAppend(out, profile.network, " ", profile.url);
                                    }));
    case ClientColumn::kCreateTime:
      return {.kind = ExportCell::Kind::kTime, .time = client.create_time};
    case ClientColumn::kUpdateTime:
      return {.kind = ExportCell::Kind::kTime, .time = client.update_time};
  }
  return TextCell("");
}

absl::Status BadParams(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("not client export parameters: ", why));
}

}  // namespace

absl::string_view ColumnName(ClientColumn column) { return InfoOf(column).name; }
absl::string_view ColumnLabel(ClientColumn column) { return InfoOf(column).label; }

absl::StatusOr<std::vector<ClientColumn>> ParseClientColumns(
    const std::vector<std::string>& names) {
  if (names.empty()) return InvalidField("columns", "required: at least one column");
  std::vector<ClientColumn> columns;
  absl::flat_hash_set<ClientColumn> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string field = absl::StrCat("columns[", i, "]");
    std::optional<ClientColumn> column = ColumnNamed(names[i]);
    if (!column) {
      return InvalidField(field, "not a client field that can be exported, e.g. last_name");
    }
    if (!seen.insert(*column).second) return InvalidField(field, "repeats an earlier column");
    columns.push_back(*column);
  }
  return columns;
}

absl::Status NormalizeSelection(ClientSelection& selection) {
  const ClientExportFilter& filter = selection.filter;
  if (!selection.client_ids.empty() && filter != ClientExportFilter{}) {
    return InvalidField("filter", "give either client_ids or a filter, not both");
  }
  std::vector<std::string> ids;
  absl::flat_hash_set<std::string> seen;
  for (size_t i = 0; i < selection.client_ids.size(); ++i) {
    if (!IsUuid(selection.client_ids[i])) {
      return InvalidField(absl::StrCat("client_ids[", i, "]"), "not a UUID");
    }
    if (seen.insert(selection.client_ids[i]).second) ids.push_back(selection.client_ids[i]);
  }
  if (ids.size() > kMaxExportClientIds) {
    return InvalidField("client_ids", absl::StrCat("at most ", kMaxExportClientIds, " clients"));
  }
  selection.client_ids = std::move(ids);
  if (!filter.tag_id.empty() && !IsUuid(filter.tag_id)) {
    return InvalidField("filter.tag_id", "not a UUID");
  }
  if (filter.create_start_time && filter.create_end_time &&
      *filter.create_end_time <= *filter.create_start_time) {
    return InvalidField("filter.create_end_time", "must be after filter.create_start_time");
  }
  return absl::OkStatus();
}

std::string EncodeClientExport(const ClientExport& e) {
  std::vector<std::string> names;
  for (ClientColumn column : e.columns) names.emplace_back(ColumnName(column));
  const ClientExportFilter& f = e.selection.filter;
  std::string out = absl::StrCat(
      "format=", e.format == ClientExportFormat::kXlsx ? "xlsx" : "csv", "\n",
      "columns=", absl::StrJoin(names, ","), "\n");
  if (!f.tag_id.empty()) absl::StrAppend(&out, "tag_id=", f.tag_id, "\n");
  if (f.create_start_time) {
    absl::StrAppend(&out, "create_start=", absl::ToUnixMicros(*f.create_start_time), "\n");
  }
  if (f.create_end_time) {
    absl::StrAppend(&out, "create_end=", absl::ToUnixMicros(*f.create_end_time), "\n");
  }
  if (!f.registration_store_id.empty()) {
    // Free text: escaped so that it stays on its line.
    absl::StrAppend(&out, "store=", absl::CEscape(f.registration_store_id), "\n");
  }
  if (!e.selection.client_ids.empty()) {
    absl::StrAppend(&out, "ids=", absl::StrJoin(e.selection.client_ids, ","), "\n");
  }
  return out;
}

absl::StatusOr<ClientExport> DecodeClientExport(absl::string_view params) {
  ClientExport e;
  bool has_format = false;
  std::vector<std::string> names;
  for (absl::string_view line : absl::StrSplit(params, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    const auto [key, value] = kv;
    ClientExportFilter& f = e.selection.filter;
    int64_t micros = 0;
    if (key == "format") {
      if (value != "csv" && value != "xlsx") return BadParams("format");
      e.format = value == "xlsx" ? ClientExportFormat::kXlsx : ClientExportFormat::kCsv;
      has_format = true;
    } else if (key == "columns") {
      names = std::vector<std::string>(absl::StrSplit(value, ','));
    } else if (key == "tag_id") {
      f.tag_id = std::string(value);
    } else if (key == "create_start" || key == "create_end") {
      if (!absl::SimpleAtoi(value, &micros)) return BadParams(key);
      (key == "create_start" ? f.create_start_time : f.create_end_time) =
          absl::FromUnixMicros(micros);
    } else if (key == "store") {
      if (!absl::CUnescape(value, &f.registration_store_id)) return BadParams("store");
    } else if (key == "ids") {
      e.selection.client_ids = std::vector<std::string>(absl::StrSplit(value, ','));
    } else {
      return BadParams(absl::StrCat("unknown key ", key));
    }
  }
  if (!has_format) return BadParams("no format");
  ASSIGN_OR_RETURN(e.columns, ParseClientColumns(names));
  return e;
}

std::string ClientExportFileName(absl::string_view operation_id, ClientExportFormat format) {
  return absl::StrCat("clients-", operation_id,
                      format == ClientExportFormat::kXlsx ? ".xlsx" : ".csv");
}

absl::string_view ClientExportContentType(ClientExportFormat format) {
  return format == ClientExportFormat::kXlsx ? xlsx::kContentType : "text/csv; charset=utf-8";
}

std::vector<ExportCell> ClientRowCells(const Client& client,
                                       const std::vector<ClientColumn>& columns) {
  std::vector<ExportCell> cells;
  cells.reserve(columns.size());
  for (ClientColumn column : columns) cells.push_back(CellOf(client, column));
  return cells;
}

}  // namespace loyalty::identity
