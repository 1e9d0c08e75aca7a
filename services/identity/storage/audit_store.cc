#include "services/identity/storage/audit_store.h"

#include <optional>

#include <pqxx/pqxx>

#include "libs/common/errors.h"
#include "libs/common/status_macros.h"

namespace loyalty::identity {
namespace {

// Times travel as microseconds since the epoch (PostgreSQL's precision);
// an absent bound or position is NULL, so that one statement serves every
// combination of filters.
constexpr char kListSql[] =
    "SELECT entry_id, (extract(epoch FROM recorded_at) * 1000000)::bigint, actor_kind,"
    " actor_id, actor_role, action, object_type, object_id, COALESCE(client_id::text, ''),"
    " COALESCE(before::text, ''), COALESCE(after::text, ''), request_id, trace_id"
    " FROM audit_log"
    " WHERE program_id = $1"
    "   AND ($2 = '' OR client_id = NULLIF($2, '')::uuid)"
    "   AND ($3 = '' OR actor_id = $3)"
    "   AND ($4 = '' OR action = $4)"
    "   AND ($5 = '' OR object_type = $5)"
    "   AND ($6::bigint IS NULL"
    "        OR recorded_at >= 'epoch'::timestamptz + $6::bigint * interval '1 microsecond')"
    "   AND ($7::bigint IS NULL"
    "        OR recorded_at < 'epoch'::timestamptz + $7::bigint * interval '1 microsecond')"
    "   AND ($8::bigint IS NULL OR (recorded_at, entry_id) <"
    "        ('epoch'::timestamptz + $8::bigint * interval '1 microsecond', $9::bigint))"
    " ORDER BY recorded_at DESC, entry_id DESC LIMIT $10";

std::optional<int64_t> MicrosOf(const std::optional<absl::Time>& time) {
  if (!time) return std::nullopt;
  return absl::ToUnixMicros(*time);
}

AuditEntry EntryFromRow(const pqxx::row& row) {
  AuditEntry entry{
      .entry_id = row[0].as<int64_t>(),
      .record_time = absl::FromUnixMicros(row[1].as<int64_t>()),
      .actor = {.kind = ActorKindFromName(row[2].as<std::string>()).value_or(ActorKind::kSystem),
                .principal_id = row[3].as<std::string>(),
                .role = row[4].as<std::string>(),
                .request_id = row[11].as<std::string>(),
                .trace_id = row[12].as<std::string>()},
      .action = row[5].as<std::string>(),
      .object_type = row[6].as<std::string>(),
      .object_id = row[7].as<std::string>(),
      .client_id = row[8].as<std::string>(),
      .before_json = row[9].as<std::string>(),
      .after_json = row[10].as<std::string>()};
  return entry;
}

}  // namespace

absl::StatusOr<AuditPage> AuditStore::List(absl::string_view program_id, const AuditFilter& filter,
                                           int page_size, absl::string_view page_token) {
  std::optional<AuditPosition> after;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(after, DecodeAuditPosition(page_token));
  }
  std::optional<int64_t> after_micros;
  std::optional<int64_t> after_id;
  if (after) {
    after_micros = absl::ToUnixMicros(after->record_time);
    after_id = after->entry_id;
  }
  AuditPage page;
  bool client_known = true;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page.entries.clear();
    client_known = true;
    pqxx::result rows =
        tx.exec_params(kListSql, std::string(program_id), filter.client_id, filter.actor_id,
                       filter.action, filter.object_type, MicrosOf(filter.start_time),
                       MicrosOf(filter.end_time), after_micros, after_id, page_size + 1);
    for (const auto& row : rows) page.entries.push_back(EntryFromRow(row));
    // Nothing about a client that is not the program's is NOT_FOUND, as
    // elsewhere. A client with entries stays readable after it is gone.
    if (!filter.client_id.empty() && page.entries.empty() && !after) {
      client_known =
          !tx.exec_params("SELECT 1 FROM clients WHERE program_id = $1 AND client_id = $2",
                          std::string(program_id), filter.client_id)
               .empty();
    }
    return absl::OkStatus();
  }));
  if (!client_known) {
    return FieldError(absl::StatusCode::kNotFound, "client_id", "no such client in this program");
  }
  if (static_cast<int>(page.entries.size()) > page_size) {
    page.entries.pop_back();
    const AuditEntry& last = page.entries.back();
    page.next_page_token = EncodeAuditPosition({last.record_time, last.entry_id});
  }
  return page;
}

}  // namespace loyalty::identity
