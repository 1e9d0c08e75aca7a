#include "services/cards/storage/template_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "services/cards/storage/level_rows.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {
namespace {

using rows::Lock;

absl::Status NoSuchTemplate(absl::string_view field) {
  return FieldError(absl::StatusCode::kNotFound, field, "no such template");
}

// The level type a template points to must exist in the program and be
// active; the share lock holds off a concurrent ArchiveLevelType.
absl::Status CheckLevelTypeUsable(pg::Tx& tx, absl::string_view program_id,
                                  absl::string_view level_type_id, absl::string_view field) {
  if (level_type_id.empty()) return absl::OkStatus();
  std::optional<LevelType> type = rows::FindLevelType(tx, program_id, level_type_id, Lock::kShare);
  if (!type) return FieldError(absl::StatusCode::kNotFound, field, "no such level type");
  if (type->state != DefinitionState::kActive) {
    return FieldError(absl::StatusCode::kFailedPrecondition, field, "the level type is archived");
  }
  return absl::OkStatus();
}

// Every column a client sets, as parameters $3.. of the statements below.
void WriteTemplate(pg::Tx& tx, const std::string& sql, absl::string_view program_id,
                   absl::string_view template_id, const TemplateSpec& spec, absl::Time now,
                   absl::string_view request_id) {
  tx.exec_params(sql, std::string(program_id), std::string(template_id), spec.name,
                 spec.description, std::string(CardKindName(spec.kind)), spec.level_type_id,
                 spec.discount_bp, spec.background_color, spec.foreground_color, spec.label_color,
                 spec.logo_url, spec.wallet.logo_text, spec.wallet.description,
                 spec.wallet.icon_url, spec.wallet.strip_image_url, sql::Micros(now),
                 std::string(request_id));
}

constexpr char kInsert[] =
    "INSERT INTO card_templates (program_id, template_id, name, description, kind,"
    "  level_type_id, discount_bp, background_color, foreground_color, label_color, logo_url,"
    "  wallet_logo_text, wallet_description, wallet_icon_url, wallet_strip_image_url, state,"
    "  version, created_at, updated_at, request_id)"
    " VALUES ($1, $2::uuid, $3, $4, $5, NULLIF($6, '')::uuid, $7, $8, $9, $10, $11, $12, $13,"
    "         $14, $15, 'ACTIVE', 1, micros_to_ts($16), micros_to_ts($16), NULLIF($17, ''))";

constexpr char kUpdate[] =
    "UPDATE card_templates SET name = $3, description = $4, kind = $5,"
    "  level_type_id = NULLIF($6, '')::uuid, discount_bp = $7, background_color = $8,"
    "  foreground_color = $9, label_color = $10, logo_url = $11, wallet_logo_text = $12,"
    "  wallet_description = $13, wallet_icon_url = $14, wallet_strip_image_url = $15,"
    "  version = version + 1, updated_at = micros_to_ts($16),"
    "  request_id = COALESCE(request_id, NULLIF($17, ''))"
    " WHERE program_id = $1 AND template_id = $2::uuid";

// Loads a template for a change, locked, checking it may change.
absl::StatusOr<CardTemplate> LockForChange(pg::Tx& tx, absl::string_view program_id,
                                           absl::string_view template_id,
                                           std::optional<int64_t> expected_version,
                                           absl::string_view id_field,
                                           absl::string_view etag_field) {
  std::optional<CardTemplate> stored =
      rows::FindTemplate(tx, program_id, template_id, Lock::kUpdate);
  if (!stored) return NoSuchTemplate(id_field);
  RETURN_IF_ERROR(CheckVersion(etag_field, expected_version, stored->version));
  return *std::move(stored);
}

int64_t CardsWithTemplate(pg::Tx& tx, absl::string_view program_id, absl::string_view template_id) {
  return tx
      .exec_params1(
          "SELECT count(*) FROM card_levels WHERE program_id = $1 AND template_id = $2::uuid",
          std::string(program_id), std::string(template_id))[0]
      .as<int64_t>();
}

}  // namespace

absl::StatusOr<CardTemplate> TemplateStore::Create(absl::string_view program_id,
                                                   const TemplateSpec& spec,
                                                   absl::string_view request_id) {
  const absl::Time now = sql::Truncate(clock_.Now());
  CardTemplate created;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    if (std::optional<std::string> id =
            rows::IdForRequest(tx, rows::kTemplates, program_id, request_id)) {
      created = *rows::FindTemplate(tx, program_id, *id);
      return rows::CheckReplay(created.spec, spec);
    }
    RETURN_IF_ERROR(
        rows::CheckNameFree(tx, rows::kTemplates, program_id, "", spec.name, "", "template.name"));
    RETURN_IF_ERROR(
        CheckLevelTypeUsable(tx, program_id, spec.level_type_id, "template.level_type_id"));
    created = CardTemplate{.template_id = NewUuid(),
                           .spec = spec,
                           .state = DefinitionState::kActive,
                           .version = 1,
                           .create_time = now,
                           .update_time = now};
    WriteTemplate(tx, kInsert, program_id, created.template_id, spec, now, request_id);
    return absl::OkStatus();
  }));
  return created;
}

absl::StatusOr<CardTemplate> TemplateStore::Get(absl::string_view program_id,
                                                absl::string_view template_id) {
  std::optional<CardTemplate> found;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    found = rows::FindTemplate(tx, program_id, template_id);
    return absl::OkStatus();
  }));
  if (!found) return NoSuchTemplate("template_id");
  return *std::move(found);
}

absl::StatusOr<TemplatePage> TemplateStore::List(absl::string_view program_id, int page_size,
                                                 absl::string_view page_token, bool show_archived) {
  ASSIGN_OR_RETURN(std::optional<rows::PagePosition> after, rows::ParsePageToken(page_token));
  TemplatePage page;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page.templates = rows::ListTemplates(tx, program_id, after, show_archived, page_size);
    return absl::OkStatus();
  }));
  page.next_page_token = rows::FinishPage(page.templates, page_size,
                                          [](const CardTemplate& t) { return t.template_id; });
  return page;
}

absl::StatusOr<CardTemplate> TemplateStore::Update(
    absl::string_view program_id, absl::string_view template_id,
    std::optional<int64_t> expected_version,
    absl::FunctionRef<absl::Status(TemplateSpec&)> change) {
  const absl::Time now = sql::Truncate(clock_.Now());
  CardTemplate updated;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(updated, LockForChange(tx, program_id, template_id, expected_version,
                                            "template.template_id", "template.etag"));
    if (updated.state != DefinitionState::kActive) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "template.template_id",
                        "the template is archived");
    }
    const TemplateSpec before = updated.spec;
    RETURN_IF_ERROR(change(updated.spec));
    const TemplateSpec& after = updated.spec;
    if (after == before) return absl::OkStatus();  // nothing to write
    // Issued cards are bonus or discount cards on a ladder; changing what
    // they are under them is not an edit of the template.
    const bool kind_changed = after.kind != before.kind;
    if ((kind_changed || after.level_type_id != before.level_type_id) &&
        CardsWithTemplate(tx, program_id, template_id) > 0) {
      return FieldError(absl::StatusCode::kFailedPrecondition,
                        kind_changed ? "template.kind" : "template.level_type_id",
                        "cards were issued with this template; create a new template instead");
    }
    RETURN_IF_ERROR(rows::CheckNameFree(tx, rows::kTemplates, program_id, "", after.name,
                                        template_id, "template.name"));
    if (after.level_type_id != before.level_type_id) {
      RETURN_IF_ERROR(
          CheckLevelTypeUsable(tx, program_id, after.level_type_id, "template.level_type_id"));
    }
    WriteTemplate(tx, kUpdate, program_id, template_id, after, now, "");
    rows::Touched(updated, now);
    return absl::OkStatus();
  }));
  return updated;
}

absl::StatusOr<CardTemplate> TemplateStore::Archive(absl::string_view program_id,
                                                    absl::string_view template_id,
                                                    std::optional<int64_t> expected_version) {
  const absl::Time now = sql::Truncate(clock_.Now());
  CardTemplate archived;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(archived, LockForChange(tx, program_id, template_id, expected_version,
                                             "template_id", "etag"));
    if (archived.state == DefinitionState::kArchived) return absl::OkStatus();
    rows::Archive(tx, rows::kTemplates, program_id, template_id, now, archived);
    return absl::OkStatus();
  }));
  return archived;
}

}  // namespace loyalty::cards
