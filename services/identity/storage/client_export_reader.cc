#include "services/identity/storage/client_export_reader.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/pg/array_literal.h"
#include "services/identity/storage/client_rows.h"

namespace loyalty::identity {
namespace {

std::optional<int64_t> MicrosOf(const std::optional<absl::Time>& time) {
  if (!time) return std::nullopt;
  return absl::ToUnixMicros(*time);
}

}  // namespace

absl::StatusOr<ExportPage> ClientExportReader::ReadPage(const std::string& program_id,
                                                        const ClientSelection& selection,
                                                        const std::optional<ExportCursor>& after,
                                                        int page_size) {
  const ClientExportFilter& filter = selection.filter;
  // Every condition is optional: a NULL parameter switches it off, so one
  // statement serves every selection.
  static const std::string kSql = absl::StrCat(
      "SELECT ", kClientColumns,
      " FROM clients c WHERE program_id = $1 AND erased_at IS NULL"
      " AND merged_into IS NULL"
      " AND ($2::uuid[] IS NULL OR client_id = ANY($2::uuid[]))"
      " AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM client_tags t WHERE t.program_id = $1"
      "      AND t.tag_id = $3::uuid AND t.client_id = c.client_id))"
      " AND ($4::bigint IS NULL OR"
      "      created_at >= 'epoch'::timestamptz + $4::bigint * interval '1 microsecond')"
      " AND ($5::bigint IS NULL OR"
      "      created_at < 'epoch'::timestamptz + $5::bigint * interval '1 microsecond')"
      " AND ($6::text IS NULL OR registration_store_id = $6)"
      " AND ($7::bigint IS NULL OR (created_at, client_id) <"
      "      ('epoch'::timestamptz + $7::bigint * interval '1 microsecond', $8::uuid))"
      " ORDER BY created_at DESC, client_id DESC LIMIT $9");
  std::optional<std::string> ids;
  if (!selection.client_ids.empty()) ids = pg::TextArray(selection.client_ids);
  std::optional<int64_t> after_micros;
  std::optional<std::string> after_id;
  if (after) {
    after_micros = absl::ToUnixMicros(after->create_time);
    after_id = after->client_id;
  }
  ExportPage page;
  bool more = false;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    page.clients.clear();
    pqxx::result rows = tx.exec_params(
        kSql, program_id, ids, NullIfEmpty(filter.tag_id), MicrosOf(filter.create_start_time),
        MicrosOf(filter.create_end_time), NullIfEmpty(filter.registration_store_id),
        after_micros, after_id, page_size + 1);
    for (const auto& row : rows) page.clients.push_back(ClientFromRow(row));
    more = static_cast<int>(page.clients.size()) > page_size;
    if (more) page.clients.pop_back();
    LoadSocialProfiles(tx, page.clients);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (more) page.next = ExportCursor{page.clients.back().create_time, page.clients.back().client_id};
  return page;
}

}  // namespace loyalty::identity
