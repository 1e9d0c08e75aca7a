#include "services/identity/storage/tag_store.h"

#include <optional>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/outbox/outbox.h"
#include "libs/pg/array_literal.h"
#include "libs/pg/prepared.h"
#include "loyalty/identity/v1/events.pb.h"
#include "services/identity/storage/audit_writer.h"

namespace loyalty::identity {
namespace {

constexpr char kTagColumns[] =
    "tag_id::text, name, colour,"
    " (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM updated_at) * 1000000)::bigint";

Tag TagFromRow(const pqxx::row& row) {
  return Tag{.tag_id = row[0].as<std::string>(),
             .spec = {.name = row[1].as<std::string>(), .colour = row[2].as<std::string>()},
             .create_time = absl::FromUnixMicros(row[3].as<int64_t>()),
             .update_time = absl::FromUnixMicros(row[4].as<int64_t>())};
}

absl::Status NoSuchTag(absl::string_view field) {
  return FieldError(absl::StatusCode::kNotFound, field, "no such tag in this program");
}

std::optional<Tag> FindTag(pg::Tx& tx, absl::string_view program_id, absl::string_view tag_id,
                           bool lock) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kTagColumns, " FROM tags WHERE program_id = $1 AND tag_id = $2",
                   lock ? " FOR UPDATE" : ""),
      std::string(program_id), std::string(tag_id));
  if (rows.empty()) return std::nullopt;
  return TagFromRow(rows[0]);
}

// ALREADY_EXISTS naming `tag.name` when another tag of the program has
// `name` in any case.
absl::Status CheckNameFree(pg::Tx& tx, absl::string_view program_id, absl::string_view name,
                           absl::string_view except_tag_id) {
  pqxx::result rows = tx.exec_params(
      "SELECT name FROM tags WHERE program_id = $1 AND lower(name) = lower($2)"
      " AND tag_id::text <> $3",
      std::string(program_id), std::string(name), std::string(except_tag_id));
  if (rows.empty()) return absl::OkStatus();
  return FieldError(
      absl::StatusCode::kAlreadyExists, "tag.name",
      absl::StrCat("the program already has a tag named '", rows[0][0].as<std::string>(), "'"));
}

void AppendTagEvents(pg::Tx& tx, absl::string_view program_id, absl::string_view tag_id,
                     const std::vector<std::string>& client_ids, bool added) {
  if (client_ids.empty()) return;
  const int64_t now_micros = absl::ToUnixMicros(absl::Now());
  std::vector<v1::ClientTagsChanged> events(client_ids.size());
  std::vector<const google::protobuf::Message*> pointers;
  pointers.reserve(events.size());
  for (size_t i = 0; i < client_ids.size(); ++i) {
    v1::ClientTagsChanged& event = events[i];
    event.set_client_id(client_ids[i]);
    (added ? event.add_added_tag_ids() : event.add_removed_tag_ids())
        ->assign(tag_id.data(), tag_id.size());
    event.mutable_change_time()->set_seconds(now_micros / 1000000);
    event.mutable_change_time()->set_nanos(static_cast<int32_t>(now_micros % 1000000) * 1000);
    pointers.push_back(&event);
  }
  outbox::AppendAll(tx, outbox::StreamFor("identity"), program_id, pointers);
}

// One statement per call: the distinct ids in the order sent, whether each
// is a client of the program, and whether the insert (delete) changed it.
// Erased clients and merged duplicates (their tags went to the survivor)
// count as no client.
constexpr char kInputCtes[] =
    "WITH input AS (SELECT client_id, min(ord) AS ord"
    "               FROM unnest($3::uuid[]) WITH ORDINALITY AS u (client_id, ord)"
    "               GROUP BY client_id),"
    " known AS (SELECT c.client_id FROM clients c JOIN input USING (client_id)"
    "           WHERE c.program_id = $1::uuid AND c.erased_at IS NULL"
    "             AND c.merged_into IS NULL),";
constexpr char kAssignCte[] =
    " changed AS (INSERT INTO client_tags (program_id, tag_id, client_id, assigned_by)"
    "             SELECT $1::uuid, $2::uuid, client_id, $4::text FROM known"
    "             ON CONFLICT DO NOTHING RETURNING client_id)";
constexpr char kRemoveCte[] =
    " changed AS (DELETE FROM client_tags t USING known"
    "             WHERE t.program_id = $1::uuid AND t.tag_id = $2::uuid"
    "               AND t.client_id = known.client_id"
    "             RETURNING t.client_id)";
constexpr char kReport[] =
    " SELECT input.client_id::text, known.client_id IS NOT NULL, changed.client_id IS NOT NULL"
    " FROM input LEFT JOIN known USING (client_id) LEFT JOIN changed USING (client_id)"
    " ORDER BY input.ord";

// A client's entry of a tag assigned (`add`) or removed: the tag is in its
// `after` or `before`.
AuditChange TagAssignmentChange(const Tag& tag, bool add) {
  AuditChange change{
      .action = add ? "tag.assign" : "tag.remove", .object_type = "tag", .object_id = tag.tag_id};
  (add ? change.after : change.before).Text("tag_id", tag.tag_id).Text("tag_name", tag.spec.name);
  return change;
}

const std::string& ChangeSql(bool add) {
  static const std::string* const kAssign =
      new std::string(absl::StrCat(kInputCtes, kAssignCte, kReport));
  static const std::string* const kRemove =
      new std::string(absl::StrCat(kInputCtes, kRemoveCte, kReport));
  return add ? *kAssign : *kRemove;
}

}  // namespace

absl::StatusOr<Tag> TagStore::Create(absl::string_view program_id, const TagSpec& spec,
                                     absl::string_view request_id, const AuditActor& actor) {
  Tag created;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    if (!request_id.empty()) {
      pqxx::result previous =
          tx.exec_params(absl::StrCat("SELECT ", kTagColumns,
                                      " FROM tags WHERE program_id = $1 AND request_id = $2"),
                         std::string(program_id), std::string(request_id));
      if (!previous.empty()) {
        created = TagFromRow(previous[0]);
        if (created.spec == spec) return absl::OkStatus();
        return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                          "already used by a request with other content");
      }
    }
    // Serialises the program's creates, so that the limit holds under races.
    tx.exec_params("SELECT 1 FROM programs WHERE program_id = $1 FOR UPDATE",
                   std::string(program_id));
    RETURN_IF_ERROR(CheckTagLimit(tx.exec_params1("SELECT count(*) FROM tags WHERE program_id = $1",
                                                  std::string(program_id))[0]
                                      .as<int64_t>()));
    RETURN_IF_ERROR(CheckNameFree(tx, program_id, spec.name, ""));
    pqxx::row row = tx.exec_params1(
        absl::StrCat("INSERT INTO tags (program_id, tag_id, name, colour, request_id)"
                     " VALUES ($1, $2, $3, $4, NULLIF($5, '')) RETURNING ",
                     kTagColumns),
        std::string(program_id), NewUuid(), spec.name, spec.colour, std::string(request_id));
    created = TagFromRow(row);
    AuditChange change{.action = "tag.create", .object_type = "tag", .object_id = created.tag_id};
    change.after.Text("name", created.spec.name).Text("colour", created.spec.colour);
    WriteAudit(tx, program_id, actor, change);
    return absl::OkStatus();
  }));
  return created;
}

absl::StatusOr<Tag> TagStore::Get(absl::string_view program_id, absl::string_view tag_id) {
  std::optional<Tag> found;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    found = FindTag(tx, program_id, tag_id, /*lock=*/false);
    return absl::OkStatus();
  }));
  if (!found) return NoSuchTag("tag_id");
  return *std::move(found);
}

absl::StatusOr<TagPage> TagStore::List(absl::string_view program_id, int page_size,
                                       absl::string_view page_token) {
  std::string after_name;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(after_name, DecodePageToken(page_token));
  }
  TagPage page;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page.tags.clear();
    // Names are unique ignoring case, so lower(name) is a key to page by.
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kTagColumns,
                     " FROM tags WHERE program_id = $1 AND ($2 = '' OR lower(name) > lower($2))"
                     " ORDER BY lower(name) LIMIT $3"),
        std::string(program_id), after_name, page_size + 1);
    for (const auto& row : rows) page.tags.push_back(TagFromRow(row));
    return absl::OkStatus();
  }));
  if (static_cast<int>(page.tags.size()) > page_size) {
    page.tags.pop_back();
    page.next_page_token = EncodePageToken(page.tags.back().spec.name);
  }
  return page;
}

absl::StatusOr<Tag> TagStore::Update(absl::string_view program_id, absl::string_view tag_id,
                                     absl::FunctionRef<absl::Status(TagSpec&)> change,
                                     const AuditActor& actor) {
  Tag updated;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    std::optional<Tag> found = FindTag(tx, program_id, tag_id, /*lock=*/true);
    if (!found) return NoSuchTag("tag.tag_id");
    TagSpec spec = found->spec;
    RETURN_IF_ERROR(change(spec));
    RETURN_IF_ERROR(CheckNameFree(tx, program_id, spec.name, tag_id));
    pqxx::row row =
        tx.exec_params1(absl::StrCat("UPDATE tags SET name = $3, colour = $4, updated_at = now()"
                                     " WHERE program_id = $1 AND tag_id = $2 RETURNING ",
                                     kTagColumns),
                        std::string(program_id), std::string(tag_id), spec.name, spec.colour);
    updated = TagFromRow(row);
    AuditChange audit{.action = "tag.update", .object_type = "tag", .object_id = updated.tag_id};
    if (found->spec.name != spec.name) {
      audit.before.Text("name", found->spec.name);
      audit.after.Text("name", spec.name);
    }
    if (found->spec.colour != spec.colour) {
      audit.before.Text("colour", found->spec.colour);
      audit.after.Text("colour", spec.colour);
    }
    if (!audit.after.empty()) WriteAudit(tx, program_id, actor, audit);
    return absl::OkStatus();
  }));
  return updated;
}

absl::StatusOr<int64_t> TagStore::Delete(absl::string_view program_id, absl::string_view tag_id,
                                         const AuditActor& actor) {
  int64_t removed = 0;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    std::optional<Tag> found = FindTag(tx, program_id, tag_id, /*lock=*/true);
    if (!found) return NoSuchTag("tag_id");
    std::vector<std::string> clients;
    for (const auto& row :
         tx.exec_params("DELETE FROM client_tags WHERE program_id = $1 AND tag_id = $2"
                        " RETURNING client_id::text",
                        std::string(program_id), std::string(tag_id))) {
      clients.push_back(row[0].as<std::string>());
    }
    tx.exec_params("DELETE FROM tags WHERE program_id = $1 AND tag_id = $2",
                   std::string(program_id), std::string(tag_id));
    AppendTagEvents(tx, program_id, tag_id, clients, /*added=*/false);
    removed = static_cast<int64_t>(clients.size());
    AuditChange deleted{.action = "tag.delete", .object_type = "tag", .object_id = found->tag_id};
    deleted.before.Text("name", found->spec.name).Text("colour", found->spec.colour);
    WriteAudit(tx, program_id, actor, deleted);
    // Each client's own history shows the tag going.
    WriteAuditForClients(tx, program_id, actor, TagAssignmentChange(*found, /*add=*/false),
                         clients);
    return absl::OkStatus();
  }));
  return removed;
}

absl::StatusOr<TagChangeResult> TagStore::ChangeClients(absl::string_view program_id,
                                                        absl::string_view tag_id,
                                                        const std::vector<std::string>& client_ids,
                                                        bool add, const AuditActor& actor) {
  TagChangeResult result;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    result = TagChangeResult{};
    // A share lock: concurrent assignments proceed, a delete waits.
    pqxx::result tag =
        tx.exec_params("SELECT name FROM tags WHERE program_id = $1 AND tag_id = $2 FOR SHARE",
                       std::string(program_id), std::string(tag_id));
    if (tag.empty()) return NoSuchTag("tag_id");
    const Tag changed_tag{.tag_id = std::string(tag_id),
                          .spec = {.name = tag[0][0].as<std::string>()}};
    const std::string ids = pg::TextArray(client_ids);
    pqxx::result rows = add ? pg::ExecPrepared(tx, ChangeSql(true), std::string(program_id),
                                               std::string(tag_id), ids, actor.principal_id)
                            : pg::ExecPrepared(tx, ChangeSql(false), std::string(program_id),
                                               std::string(tag_id), ids);
    std::vector<std::string> changed;
    for (const auto& row : rows) {
      if (!row[1].as<bool>()) {
        result.unknown_client_ids.push_back(row[0].as<std::string>());
      } else if (row[2].as<bool>()) {
        changed.push_back(row[0].as<std::string>());
      } else {
        ++result.unchanged;
      }
    }
    result.changed = static_cast<int64_t>(changed.size());
    AppendTagEvents(tx, program_id, tag_id, changed, add);
    WriteAuditForClients(tx, program_id, actor, TagAssignmentChange(changed_tag, add), changed);
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<std::vector<Tag>> TagStore::ListOfClient(absl::string_view program_id,
                                                        absl::string_view client_id) {
  std::vector<Tag> tags;
  bool client_found = false;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    tags.clear();
    client_found = !tx.exec_params("SELECT 1 FROM clients WHERE program_id = $1 AND client_id = $2"
                                   " AND erased_at IS NULL",
                                   std::string(program_id), std::string(client_id))
                        .empty();
    if (!client_found) return absl::OkStatus();
    pqxx::result rows =
        tx.exec_params(absl::StrCat("SELECT ", kTagColumns,
                                    " FROM tags JOIN client_tags USING (program_id, tag_id)"
                                    " WHERE client_tags.client_id = $2 AND program_id = $1"
                                    " ORDER BY lower(name)"),
                       std::string(program_id), std::string(client_id));
    for (const auto& row : rows) tags.push_back(TagFromRow(row));
    return absl::OkStatus();
  }));
  if (!client_found) {
    return FieldError(absl::StatusCode::kNotFound, "client_id", "no such client in this program");
  }
  return tags;
}

absl::StatusOr<TagAssignmentPage> TagStore::ListClients(absl::string_view program_id,
                                                        absl::string_view tag_id, int page_size,
                                                        absl::string_view page_token) {
  std::string after_id;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(after_id, DecodePageToken(page_token));
    if (!IsUuid(after_id))
      return InvalidField("page_token", "not a token from a previous response");
  }
  TagAssignmentPage page;
  bool tag_found = false;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page.assignments.clear();
    tag_found = FindTag(tx, program_id, tag_id, /*lock=*/false).has_value();
    if (!tag_found) return absl::OkStatus();
    pqxx::result rows = tx.exec_params(
        "SELECT client_id::text, (extract(epoch FROM assigned_at) * 1000000)::bigint, assigned_by"
        " FROM client_tags WHERE program_id = $1 AND tag_id = $2"
        " AND ($3 = '' OR client_id > NULLIF($3, '')::uuid)"
        " ORDER BY client_id LIMIT $4",
        std::string(program_id), std::string(tag_id), after_id, page_size + 1);
    for (const auto& row : rows) {
      page.assignments.push_back(
          TagAssignment{.client_id = row[0].as<std::string>(),
                        .assign_time = absl::FromUnixMicros(row[1].as<int64_t>()),
                        .assigned_by = row[2].as<std::string>()});
    }
    return absl::OkStatus();
  }));
  if (!tag_found) return NoSuchTag("tag_id");
  if (static_cast<int>(page.assignments.size()) > page_size) {
    page.assignments.pop_back();
    page.next_page_token = EncodePageToken(page.assignments.back().client_id);
  }
  return page;
}

}  // namespace loyalty::identity
