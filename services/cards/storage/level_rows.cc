#include "services/cards/storage/level_rows.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards::rows {
namespace {

constexpr char kTemplateColumns[] =
    "template_id::text, name, description, kind, COALESCE(level_type_id::text, ''), discount_bp,"
    " background_color, foreground_color, label_color, logo_url, wallet_logo_text,"
    " wallet_description, wallet_icon_url, wallet_strip_image_url, state, version,"
    " ts_to_micros(created_at), ts_to_micros(updated_at)";

constexpr char kLevelTypeColumns[] =
    "level_type_id::text, name, description, metric, window_kind, window_days, time_zone, state,"
    " version, ts_to_micros(created_at), ts_to_micros(updated_at)";

constexpr char kLevelColumns[] =
    "level_id::text, level_type_id::text, name, description, threshold, discount_bp, accrual_bp,"
    " validity_days, bonus_points, state, version, ts_to_micros(created_at),"
    " ts_to_micros(updated_at)";

// Columns' CHECK constraints admit only known names.
DefinitionState StateOf(const pqxx::field& field) {
  return ParseDefinitionState(field.as<std::string>()).value_or(DefinitionState::kActive);
}

CardTemplate ReadTemplate(const pqxx::row& row) {
  CardTemplate out;
  out.template_id = row[0].as<std::string>();
  TemplateSpec& spec = out.spec;
  spec.name = row[1].as<std::string>();
  spec.description = row[2].as<std::string>();
  spec.kind = ParseCardKind(row[3].as<std::string>()).value_or(CardKind::kBonus);
  spec.level_type_id = row[4].as<std::string>();
  spec.discount_bp = row[5].as<int32_t>();
  spec.background_color = row[6].as<std::string>();
  spec.foreground_color = row[7].as<std::string>();
  spec.label_color = row[8].as<std::string>();
  spec.logo_url = row[9].as<std::string>();
  spec.wallet.logo_text = row[10].as<std::string>();
  spec.wallet.description = row[11].as<std::string>();
  spec.wallet.icon_url = row[12].as<std::string>();
  spec.wallet.strip_image_url = row[13].as<std::string>();
  out.state = StateOf(row[14]);
  out.version = row[15].as<int64_t>();
  out.create_time = sql::TimeOf(row[16]);
  out.update_time = sql::TimeOf(row[17]);
  return out;
}

LevelType ReadLevelType(const pqxx::row& row) {
  LevelType out;
  out.level_type_id = row[0].as<std::string>();
  out.spec.name = row[1].as<std::string>();
  out.spec.description = row[2].as<std::string>();
  out.spec.metric = ParseLevelMetric(row[3].as<std::string>()).value_or(LevelMetric::kVisits);
  out.spec.window.kind = ParseWindowKind(row[4].as<std::string>()).value_or(WindowKind::kLifetime);
  out.spec.window.days = row[5].as<int32_t>();
  out.spec.time_zone = row[6].as<std::string>();
  out.state = StateOf(row[7]);
  out.version = row[8].as<int64_t>();
  out.create_time = sql::TimeOf(row[9]);
  out.update_time = sql::TimeOf(row[10]);
  return out;
}

Level ReadLevel(const pqxx::row& row) {
  Level out;
  out.level_id = row[0].as<std::string>();
  out.level_type_id = row[1].as<std::string>();
  out.spec.name = row[2].as<std::string>();
  out.spec.description = row[3].as<std::string>();
  out.spec.threshold = row[4].as<int64_t>();
  out.spec.discount_bp = row[5].as<int32_t>();
  out.spec.accrual_bp = row[6].as<int32_t>();
  out.spec.validity_days = row[7].as<int32_t>();
  out.spec.bonus_points = row[8].as<int64_t>();
  out.state = StateOf(row[9]);
  out.version = row[10].as<int64_t>();
  out.create_time = sql::TimeOf(row[11]);
  out.update_time = sql::TimeOf(row[12]);
  return out;
}

template <typename T>
std::optional<T> FindOne(pqxx::transaction_base& tx, const DefinitionTable& table,
                         const char* columns, absl::string_view program_id, absl::string_view id,
                         Lock lock, T (*read)(const pqxx::row&)) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", columns, " FROM ", table.table, " WHERE program_id = $1 AND ",
                   table.id_column, " = $2::uuid", LockClause(lock)),
      std::string(program_id), std::string(id));
  if (rows.empty()) return std::nullopt;
  return read(rows[0]);
}

pqxx::result SelectPage(pqxx::transaction_base& tx, const DefinitionTable& table,
                        absl::string_view columns, absl::string_view program_id,
                        const std::optional<PagePosition>& after, bool show_archived,
                        int page_size) {
  return tx.exec_params(absl::StrCat("SELECT ", columns, " FROM ", table.table,
                                     " WHERE program_id = $1 AND ($2 = 1 OR state = 'ACTIVE')"
                                     "   AND ($3 = 0 OR (created_at, ",
                                     table.id_column,
                                     ") > (micros_to_ts($4), $5::uuid))"
                                     " ORDER BY created_at, ",
                                     table.id_column, " LIMIT $6"),
                        std::string(program_id), show_archived ? 1 : 0, after ? 1 : 0,
                        after ? after->create_micros : 0,
                        after ? after->id : std::string("00000000-0000-0000-0000-000000000000"),
                        page_size + 1);
}

}  // namespace

const char* LockClause(Lock lock) {
  switch (lock) {
    case Lock::kShare:
      return " FOR SHARE";
    case Lock::kUpdate:
      return " FOR NO KEY UPDATE";
    case Lock::kNone:
      break;
  }
  return "";
}

std::optional<CardTemplate> FindTemplate(pqxx::transaction_base& tx, absl::string_view program_id,
                                         absl::string_view template_id, Lock lock) {
  return FindOne(tx, kTemplates, kTemplateColumns, program_id, template_id, lock, ReadTemplate);
}

std::optional<LevelType> FindLevelType(pqxx::transaction_base& tx, absl::string_view program_id,
                                       absl::string_view level_type_id, Lock lock) {
  return FindOne(tx, kLevelTypes, kLevelTypeColumns, program_id, level_type_id, lock,
                 ReadLevelType);
}

std::optional<Level> FindLevel(pqxx::transaction_base& tx, absl::string_view program_id,
                               absl::string_view level_id) {
  return FindOne(tx, kLevels, kLevelColumns, program_id, level_id, Lock::kNone, ReadLevel);
}

std::vector<Level> LoadLevels(pqxx::transaction_base& tx, absl::string_view program_id,
                              absl::string_view level_type_id) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kLevelColumns,
                   " FROM levels WHERE program_id = $1 AND level_type_id = $2::uuid"),
      std::string(program_id), std::string(level_type_id));
  std::vector<Level> levels;
  levels.reserve(rows.size());
  for (const auto& row : rows) levels.push_back(ReadLevel(row));
  ArrangeLadder(levels);
  return levels;
}

absl::Status CheckNameFree(pqxx::transaction_base& tx, const DefinitionTable& table,
                           absl::string_view program_id, absl::string_view scope_id,
                           absl::string_view name, absl::string_view exclude_id,
                           absl::string_view field) {
  // $4 appears either way: PostgreSQL refuses parameters it cannot type.
  const std::string scope = table.scope_column == nullptr
                                ? std::string(" AND $4::text = ''")
                                : absl::StrCat(" AND ", table.scope_column, " = $4::uuid");
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT 1 FROM ", table.table,
                   " WHERE program_id = $1 AND state = 'ACTIVE' AND lower(name) = lower($2)"
                   "   AND ",
                   table.id_column, "::text <> $3", scope, " LIMIT 1"),
      std::string(program_id), std::string(name), std::string(exclude_id), std::string(scope_id));
  if (rows.empty()) return absl::OkStatus();
  return FieldError(absl::StatusCode::kAlreadyExists, field,
                    "another active definition already has this name");
}

std::optional<std::string> IdForRequest(pqxx::transaction_base& tx, const DefinitionTable& table,
                                        absl::string_view program_id,
                                        absl::string_view request_id) {
  if (request_id.empty()) return std::nullopt;
  pqxx::result rows =
      tx.exec_params(absl::StrCat("SELECT ", table.id_column, "::text FROM ", table.table,
                                  " WHERE program_id = $1 AND request_id = $2"),
                     std::string(program_id), std::string(request_id));
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

void MarkArchived(pqxx::transaction_base& tx, const DefinitionTable& table,
                  absl::string_view program_id, absl::string_view id, absl::Time now) {
  tx.exec_params(absl::StrCat("UPDATE ", table.table,
                              " SET state = 'ARCHIVED', version = version + 1,"
                              "     updated_at = micros_to_ts($3)"
                              " WHERE program_id = $1 AND ",
                              table.id_column, " = $2::uuid"),
                 std::string(program_id), std::string(id), sql::Micros(now));
}

std::string PageTokenAfter(absl::Time create_time, absl::string_view id) {
  return EncodePageToken(absl::StrCat(sql::Micros(create_time), "|", id));
}

absl::StatusOr<std::optional<PagePosition>> ParsePageToken(absl::string_view token) {
  if (token.empty()) return std::optional<PagePosition>();
  ASSIGN_OR_RETURN(std::string raw, DecodePageToken(token));
  std::vector<std::string> parts = absl::StrSplit(raw, '|');
  PagePosition position;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &position.create_micros) ||
      !IsUuid(parts[1])) {
    return InvalidField("page_token", "not a token from a previous response");
  }
  position.id = parts[1];
  return std::optional<PagePosition>(std::move(position));
}

std::vector<CardTemplate> ListTemplates(pqxx::transaction_base& tx, absl::string_view program_id,
                                        const std::optional<PagePosition>& after,
                                        bool show_archived, int page_size) {
  std::vector<CardTemplate> out;
  for (const auto& row :
       SelectPage(tx, kTemplates, kTemplateColumns, program_id, after, show_archived, page_size)) {
    out.push_back(ReadTemplate(row));
  }
  return out;
}

std::vector<LevelType> ListLevelTypes(pqxx::transaction_base& tx, absl::string_view program_id,
                                      const std::optional<PagePosition>& after, bool show_archived,
                                      int page_size) {
  std::vector<LevelType> out;
  for (const auto& row : SelectPage(tx, kLevelTypes, kLevelTypeColumns, program_id, after,
                                    show_archived, page_size)) {
    out.push_back(ReadLevelType(row));
  }
  return out;
}

}  // namespace loyalty::cards::rows
