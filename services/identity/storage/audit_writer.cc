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

void WriteAudits(pg::Tx& tx, absl::string_view program_id, const AuditActor& actor,
                 const std::vector<AuditChange>& changes) {
  if (changes.empty()) return;
  static const std::string* const kSql = new std::string(absl::StrCat(
      kColumns,
      "SELECT $1::uuid, $2::text, $3::text, $4::text, u.action, u.object_type, u.object_id,"
      " NULLIF(u.before, '')::jsonb, NULLIF(u.after, '')::jsonb, $5::text, $6::text,"
      " NULLIF(u.client_id, '')::uuid"
      " FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])"
      " WITH ORDINALITY AS u (action, object_type, object_id, before, after, client_id, ord)"
      " ORDER BY ord"));
  std::vector<std::string> actions, object_types, object_ids, befores, afters, client_ids;
  for (const AuditChange& change : changes) {
    actions.push_back(change.action);
    object_types.push_back(change.object_type);
    object_ids.push_back(change.object_id);
    befores.push_back(change.before.ToJson());
    afters.push_back(change.after.ToJson());
    client_ids.push_back(change.client_id);
  }
  pg::ExecPrepared(tx, *kSql, std::string(program_id), std::string(ActorKindName(actor.kind)),
                   actor.principal_id, actor.role, actor.request_id, actor.trace_id,
                   pg::TextArray(actions), pg::TextArray(object_types), pg::TextArray(object_ids),
                   pg::TextArray(befores), pg::TextArray(afters), pg::TextArray(client_ids));
}

}  // namespace loyalty::identity
