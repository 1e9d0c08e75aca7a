#pragma once

// Import of clients from files (CLI-8): which client field a column fills,
// how a row becomes a profile (validated by the same rules as
// registration, NormalizeProfile), the options an import runs with and
// the batches it is validated in. Pure logic, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "services/identity/domain/attribute.h"
#include "services/identity/domain/audit.h"
#include "services/identity/domain/client.h"

namespace loyalty::identity {

// What a row whose dedupe key finds a client does to it.
enum class DuplicateMode { kUpdate, kSkip };
// What a row whose dedupe keys find no client does: a file that only
// updates (attribute values by external id, CLI-2) skips them.
enum class NewClientMode { kCreate, kSkip };

// How a file's bytes are rows: CSV text, or the first worksheet of an XLSX
// workbook (where a row's line is its sheet row number).
enum class ImportFormat { kCsv, kXlsx };

// A file column mapped to a client field.
struct ImportColumn {
  int index = 0;       // of the cell in each row
  std::string column;  // header name, for error reports
  // ClientProfile field name (= Client field path), "client_id" (a key
  // only), or "attributes.<key>" for a custom attribute's value.
  std::string field;
};

// The field of a custom attribute's column: "attributes.<key>".
inline constexpr absl::string_view kAttributeFieldPrefix = "attributes.";

// What an import was asked to do, stored with its operation.
struct ImportOptions {
  std::string file_id;
  ImportFormat format = ImportFormat::kCsv;
  char delimiter = ',';  // CSV only
  std::vector<ImportColumn> columns;
  std::vector<std::string> dedupe_keys;  // "client_id", "phone", "email", "external_id"
  DuplicateMode mode = DuplicateMode::kSkip;
  NewClientMode on_new = NewClientMode::kCreate;
  // Where the first data row (after the header) starts (XLSX: offset 0,
  // the line after the header row's).
  int64_t data_offset = 0;
  int64_t data_line = 2;
  // Who started the import: the author of its clients' audit entries and
  // consent records. Not part of what makes two imports the same.
  AuditActor started_by;
};

// The client fields a column may fill, in Client field order.
const std::vector<std::string>& ImportFieldNames();

// A requested mapping of a header column to a field, before it is checked.
struct RequestedColumn {
  std::string column;
  std::string field;
};

// Checks a request's mapping against the file's header row and the
// program's attributes and returns the columns by index. INVALID_ARGUMENT
// naming `columns[i].column` (not in the header, or twice in it),
// `columns[i].field` (not an import field, an unknown, archived or
// system-written attribute, or mapped twice), `columns` (none), or
// `dedupe_keys[i]` (not client_id, phone, email or external_id, or not
// mapped).
absl::StatusOr<std::vector<ImportColumn>> ResolveColumns(
    const std::vector<std::string>& header, const std::vector<RequestedColumn>& requested,
    const std::vector<std::string>& dedupe_keys, absl::Span<const Attribute> schema);

// A data row as the import applies it.
struct ImportedRow {
  // The mapped fields, each validated and normalised as registration does
  // (NormalizeProfileFields). A phone or an e-mail is required only of a
  // row that creates a client, which the apply step decides.
  ClientProfile profile;
  // The profile fields whose cell is not empty: what the row changes in a
  // client it updates (an empty cell leaves a field as it is).
  std::vector<std::string> filled_fields;
  std::string client_id;  // the client_id column, a UUID, or ""
  // Values of the attribute columns whose cell is not empty, validated
  // against `schema` (an empty cell leaves a client's value as it is).
  std::vector<AttributeValue> attributes;
};

// A row's cells as an ImportedRow. An error names the field as mapped
// ("phone", "attributes.level"; no prefix). A cell that is a spreadsheet
// error value (IsSpreadsheetError) is an error of its field.
absl::StatusOr<ImportedRow> ParseImportRow(const std::vector<ImportColumn>& columns,
                                           const std::vector<std::string>& cells,
                                           absl::string_view default_country_code,
                                           absl::CivilDay today,
                                           absl::Span<const Attribute> schema);

// Whether a cell is what a spreadsheet shows for a formula that failed
// ("#N/A", "#REF!", ...): never data, whichever field it is in.
bool IsSpreadsheetError(absl::string_view cell);

// The column a field error of a row refers to ("" when none maps it).
std::string ColumnOfField(const std::vector<ImportColumn>& columns, absl::string_view field);

// A birth date as people write it: YYYY-MM-DD or DD.MM.YYYY.
absl::StatusOr<BirthDate> ParseBirthDate(absl::string_view text);

// The options as the operation's params, and back (INTERNAL when the text
// is not an encoding of ours).
std::string EncodeImportOptions(const ImportOptions& options);
absl::StatusOr<ImportOptions> DecodeImportOptions(absl::string_view text);

// A data row of the file.
struct ImportRow {
  int64_t line = 0;
  std::vector<std::string> cells;
};

// The rows of a file in order, read as they are asked for.
class ImportRowSource {
 public:
  virtual ~ImportRowSource() = default;
  // The next row; nullopt at the end. An error is about the file as a
  // whole (e.g. a quote left open), not a row.
  virtual absl::StatusOr<std::optional<ImportRow>> Next() = 0;
};

// A rejected row of the error report.
struct ImportRowError {
  int64_t line = 0;
  std::string column;  // header name of the field's column, if mapped
  std::string field;   // client field
  std::string message;
};

// The report entry for a row refused with `status` (an error naming a
// client field, possibly as `client.<field>`).
ImportRowError RowErrorOf(const std::vector<ImportColumn>& columns, int64_t line,
                          const absl::Status& status);

// What applying a file did, row by row.
struct ImportCounts {
  int64_t created = 0;
  int64_t updated = 0;
  int64_t skipped = 0;
  int64_t failed = 0;
};

// Rows are validated a batch per operation item; the last item applies the
// file. A CSV batch starts at a record boundary of the file (`offset`); an
// XLSX batch at a sheet row (`first_line`; `offset` 0), the rows before it
// read and passed over, since a zipped sheet cannot be entered midway.
struct ImportBatch {
  int64_t first_line = 0;
  int64_t offset = 0;
  int64_t rows = 0;
};
inline constexpr int64_t kImportBatchRows = 10'000;
// A batch of an XLSX file reads the sheet from its start (a zipped sheet
// cannot be entered midway): larger batches, so that a million rows are
// read 10 times rather than 100.
inline constexpr int64_t kXlsxImportBatchRows = 100'000;
inline constexpr absl::string_view kApplyItemKey = "apply";

// "rows:<first_line>:<offset>:<rows>", and back (nullopt for another key,
// e.g. kApplyItemKey).
std::string BatchItemKey(const ImportBatch& batch);
std::optional<ImportBatch> ParseBatchItemKey(absl::string_view key);

}  // namespace loyalty::identity
