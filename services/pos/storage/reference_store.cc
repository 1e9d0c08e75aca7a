#include "services/pos/storage/reference_store.h"

#include <optional>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/common/random_ids.h"

namespace loyalty::pos {
namespace {

// Columns ReferenceFromRow expects, in order.
constexpr char kColumns[] =
    "item_id, name, legal_name, tax_id, region, time_zone, archived,"
    " (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM updated_at) * 1000000)::bigint";

Reference ReferenceFromRow(const pqxx::row& row) {
  return Reference{.id = row[0].as<std::string>(),
                   .name = row[1].as<std::string>(),
                   .legal_name = row[2].as<std::string>(),
                   .tax_id = row[3].as<std::string>(),
                   .region = row[4].as<std::string>(),
                   .time_zone = row[5].as<std::string>(),
                   .archived = row[6].as<bool>(),
                   .create_time = absl::FromUnixMicros(row[7].as<int64_t>()),
                   .update_time = absl::FromUnixMicros(row[8].as<int64_t>())};
}

std::string Kind(ReferenceKind kind) { return std::string(KindName(kind)); }

std::optional<Reference> Load(pg::Tx& tx, const std::string& program_id, ReferenceKind kind,
                              const std::string& id, bool for_update) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kColumns,
                   " FROM reference_items WHERE program_id = $1 AND kind = $2 AND item_id = $3",
                   for_update ? " FOR UPDATE" : ""),
      program_id, Kind(kind), id);
  if (rows.empty()) return std::nullopt;
  return ReferenceFromRow(rows[0]);
}

absl::Status NotFound(ReferenceKind kind, const std::string& id) {
  return absl::NotFoundError(absl::StrCat(KindName(kind), " ", id, " not found"));
}

}  // namespace

absl::StatusOr<Reference> ReferenceStore::Create(const std::string& program_id,
                                                 ReferenceKind kind, const Reference& reference,
                                                 const std::string& request_id) {
  Reference created;
  auto attempt = [&](pg::Tx& tx) -> absl::Status {
    if (!request_id.empty()) {
      pqxx::result previous = tx.exec_params(
          absl::StrCat("SELECT ", kColumns,
                       " FROM reference_items"
                       " WHERE program_id = $1 AND kind = $2 AND request_id = $3"),
          program_id, Kind(kind), request_id);
      if (!previous.empty()) {
        created = ReferenceFromRow(previous[0]);
        return absl::OkStatus();
      }
    }
    created = reference;
    if (created.id.empty()) created.id = NewUuid();
    pqxx::result rows = tx.exec_params(
        absl::StrCat("INSERT INTO reference_items (program_id, kind, item_id, name, legal_name,"
                     " tax_id, region, time_zone, request_id)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                     " ON CONFLICT (program_id, kind, item_id) DO NOTHING RETURNING ",
                     kColumns),
        program_id, Kind(kind), created.id, created.name, created.legal_name, created.tax_id,
        created.region, created.time_zone,
        request_id.empty() ? std::optional<std::string>() : request_id);
    if (rows.empty()) {
      return FieldError(absl::StatusCode::kAlreadyExists, "reference.id",
                        absl::StrCat(KindName(kind), " ", created.id, " already exists"));
    }
    created = ReferenceFromRow(rows[0]);
    return absl::OkStatus();
  };
  absl::Status status = pool_.TransactIdempotent(attempt);
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<Reference> ReferenceStore::Get(const std::string& program_id, ReferenceKind kind,
                                              const std::string& id) {
  std::optional<Reference> found;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    found = Load(tx, program_id, kind, id, false);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return NotFound(kind, id);
  return *found;
}

absl::StatusOr<ReferencePage> ReferenceStore::List(const std::string& program_id,
                                                   ReferenceKind kind, int page_size,
                                                   const std::string& page_token,
                                                   bool show_archived) {
  std::optional<std::string> after_name;
  std::string after_id;
  if (!page_token.empty()) {
    absl::StatusOr<std::string> position = DecodePageToken(page_token);
    if (!position.ok()) return position.status();
    std::vector<std::string> parts = absl::StrSplit(*position, absl::MaxSplits('\n', 1));
    if (parts.size() != 2) return InvalidField("page_token", "not a token from a previous response");
    after_name = parts[0];
    after_id = parts[1];
  }
  ReferencePage page;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    page.references.clear();
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kColumns,
                     " FROM reference_items WHERE program_id = $1 AND kind = $2"
                     " AND ($3 OR NOT archived)"
                     " AND ($4::text IS NULL OR (name, item_id) > ($4, $5))"
                     " ORDER BY name, item_id LIMIT $6"),
        program_id, Kind(kind), show_archived, after_name, after_id, page_size + 1);
    for (const auto& row : rows) page.references.push_back(ReferenceFromRow(row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (static_cast<int>(page.references.size()) > page_size) {
    page.references.pop_back();
    const Reference& last = page.references.back();
    page.next_page_token = EncodePageToken(absl::StrCat(last.name, "\n", last.id));
  }
  return page;
}

absl::StatusOr<Reference> ReferenceStore::Update(
    const std::string& program_id, ReferenceKind kind, const std::string& id,
    const std::function<absl::Status(Reference&)>& change) {
  Reference saved;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    std::optional<Reference> current = Load(tx, program_id, kind, id, true);
    if (!current) return NotFound(kind, id);
    saved = *current;
    if (absl::Status changed = change(saved); !changed.ok()) return changed;
    pqxx::row row = tx.exec_params1(
        absl::StrCat("UPDATE reference_items SET name = $4, legal_name = $5, tax_id = $6,"
                     " region = $7, time_zone = $8, archived = $9, updated_at = now()"
                     " WHERE program_id = $1 AND kind = $2 AND item_id = $3 RETURNING ",
                     kColumns),
        program_id, Kind(kind), id, saved.name, saved.legal_name, saved.tax_id, saved.region,
        saved.time_zone, saved.archived);
    saved = ReferenceFromRow(row);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return saved;
}

absl::StatusOr<Reference> ReferenceStore::SetArchived(const std::string& program_id,
                                                      ReferenceKind kind, const std::string& id,
                                                      bool archived) {
  return Update(program_id, kind, id, [archived](Reference& reference) {
    reference.archived = archived;
    return absl::OkStatus();
  });
}

absl::Status CheckUsableReference(pg::Tx& tx, const std::string& program_id, ReferenceKind kind,
                                  const std::string& id, const std::string& field) {
  if (id.empty()) return absl::OkStatus();
  pqxx::result rows = tx.exec_params(
      "SELECT archived FROM reference_items"
      " WHERE program_id = $1 AND kind = $2 AND item_id = $3 FOR SHARE",
      program_id, Kind(kind), id);
  if (rows.empty()) return InvalidField(field, absl::StrCat("no ", KindName(kind), " ", id));
  if (rows[0][0].as<bool>()) {
    return InvalidField(field, absl::StrCat(KindName(kind), " ", id, " is archived"));
  }
  return absl::OkStatus();
}

}  // namespace loyalty::pos
