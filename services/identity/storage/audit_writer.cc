#include "services/identity/storage/audit_writer.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/pg/array_literal.h"
#include "libs/pg/prepared.h"

namespace loyalty::identity {
namespace {

// Columns $1..$11; $12 is the client id (one, or an array to unnest).
// Typed, as INSERT ... SELECT would not infer them.
constexpr char kColumns[] =
    "INSERT INTO audit_log (program_id, actor_kind, actor_id, actor_role, action, object_type,"
    " object_id, before, after, request_id, trace_id, client_id) ";
constexpr char kValues[] =
    "$1::uuid, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text,"
    " NULLIF($8::text, '')::jsonb, NULLIF($9::text, '')::jsonb, $10::text, $11::text";

}  // namespace

void WriteAudit(pg::Tx& tx, absl::string_view program_id, const AuditActor& actor,
                const AuditChange& change) {
  static const std::string* const kSql =
      new std::string(absl::StrCat(kColumns, "VALUES (", kValues, ", NULLIF($12, '')::uuid)"));
  pg::ExecPrepared(tx, *kSql, std::string(program_id), std::string(ActorKindName(actor.kind)),
                   actor.principal_id, actor.role, change.action, change.object_type,
                   change.object_id, change.before.ToJson(), change.after.ToJson(),
                   actor.request_id, actor.trace_id, change.client_id);
}

void WriteAuditForClients(pg::Tx& tx, absl::string_view program_id, const AuditActor& actor,
                          const AuditChange& change, const std::vector<std::string>& client_ids) {
  if (client_ids.empty()) return;
  static const std::string* const kSql = new std::string(
      absl::StrCat(kColumns, "SELECT ", kValues,
                   ", client_id FROM unnest($12::uuid[]) WITH ORDINALITY AS u (client_id, ord)"
                   " ORDER BY ord"));
  pg::ExecPrepared(tx, *kSql, std::string(program_id), std::string(ActorKindName(actor.kind)),
                   actor.principal_id, actor.role, change.action, change.object_type,
                   change.object_id, change.before.ToJson(), change.after.ToJson(),
                   actor.request_id, actor.trace_id, pg::TextArray(client_ids));
}

}  // namespace loyalty::identity
