#pragma once

// CLI-9 export of clients to a file (CSV or XLSX) as a background
// operation (libs/operations) with one item, the export itself: which
// clients (the selection), which profile columns in which order, and the
// cells of one client's row. The file is written by the handler
// (api/client_export.h). Pure logic, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/operations/table_cell.h"
#include "services/identity/domain/client.h"

namespace loyalty::identity {

inline constexpr char kClientExportKind[] = "identity.client_export";
// The operation's one item.
inline constexpr char kClientExportItem[] = "clients";
inline constexpr size_t kMaxExportClientIds = 100000;

enum class ClientExportFormat { kCsv, kXlsx };

// The profile fields a caller may export, each named as its Client field.
enum class ClientColumn {
  kClientId, kLastName, kFirstName, kMiddleName, kPhone, kEmail, kBirthDate, kGender,
  kMarketingConsent, kPhoneVerified, kEmailVerified, kCity, kCarNumber, kExtraKey1, kExtraKey2,
  kExtraKey3, kExtraKey4, kExtraKey5, kExtraKey6, kExternalId, kReferralCode,
  kReferrerClientId, kUtmSource, kUtmMedium, kUtmCampaign, kUtmContent, kUtmTerm, kDevice,
  kIssuanceForm, kRegistrationStoreId, kSocialProfiles, kCreateTime, kUpdateTime,
};

// "last_name"; and its header label, "Last name".
absl::string_view ColumnName(ClientColumn column);
absl::string_view ColumnLabel(ClientColumn column);

// The columns by name, in the order given. INVALID_ARGUMENT naming
// `columns` when there are none, or `columns[i]` for an unknown or
// repeated name.
absl::StatusOr<std::vector<ClientColumn>> ParseClientColumns(
    const std::vector<std::string>& names);

// The console's filter: clients matching every condition set.
struct ClientExportFilter {
  std::string tag_id;
  std::optional<absl::Time> create_start_time;  // inclusive
  std::optional<absl::Time> create_end_time;    // exclusive
  std::string registration_store_id;
  bool operator==(const ClientExportFilter&) const = default;
};

// Which clients: the listed ids when there are any, else the filter (an
// empty filter is the whole program). Erased clients never are.
struct ClientSelection {
  std::vector<std::string> client_ids;
  ClientExportFilter filter;
  bool operator==(const ClientSelection&) const = default;
};

struct ClientExport {
  ClientExportFormat format = ClientExportFormat::kCsv;
  std::vector<ClientColumn> columns;
  ClientSelection selection;
  bool operator==(const ClientExport&) const = default;
};

// Checks a selection: ids are UUIDs (`client_ids[i]`; repeats are dropped,
// at most kMaxExportClientIds remain), ids and a filter are not both given
// (`filter`), the tag is a UUID (`filter.tag_id`), the period's end is
// after its start (`filter.create_end_time`).
absl::Status NormalizeSelection(ClientSelection& selection);

// The operation's parameters, one `key=value` a line; part of the
// idempotency digest, so it must stay stable.
std::string EncodeClientExport(const ClientExport& export_request);
absl::StatusOr<ClientExport> DecodeClientExport(absl::string_view params);

// "clients-<operation id>.csv" / ".xlsx"; and the content type.
std::string ClientExportFileName(absl::string_view operation_id, ClientExportFormat format);
absl::string_view ClientExportContentType(ClientExportFormat format);

// One cell of an exported row: what kind of value it is decides how each
// format writes it (text is guarded against formulas, dates are dates).
using ExportCell = operations::TableCell;

// A client's cells for `columns`. Booleans are "true"/"false", enums
// their value names without prefix ("FEMALE", "IOS"), social profiles
// "network url" joined by "; ", an unset birth date empty text.
std::vector<ExportCell> ClientRowCells(const Client& client,
                                       const std::vector<ClientColumn>& columns);

}  // namespace loyalty::identity
