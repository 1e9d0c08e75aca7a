#include "services/cards/storage/level_store.h"

#include <algorithm>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "services/cards/storage/level_rows.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {
namespace {

using rows::Lock;

absl::Status NotFound(absl::string_view field, absl::string_view what) {
  return FieldError(absl::StatusCode::kNotFound, field, absl::StrCat("no such ", what));
}

void WriteLevelType(pg::Tx& tx, const char* sql, absl::string_view program_id,
                    absl::string_view level_type_id, const LevelTypeSpec& spec, absl::Time now,
                    absl::string_view request_id) {
  tx.exec_params(sql, std::string(program_id), std::string(level_type_id), spec.name,
                 spec.description, std::string(LevelMetricName(spec.metric)),
                 std::string(WindowKindName(spec.window.kind)), spec.window.days, spec.time_zone,
                 sql::Micros(now), std::string(request_id));
}

constexpr char kInsertLevelType[] =
    "INSERT INTO level_types (program_id, level_type_id, name, description, metric,"
    "  window_kind, window_days, time_zone, state, version, created_at, updated_at, request_id)"
    " VALUES ($1, $2::uuid, $3, $4, $5, $6, $7, $8, 'ACTIVE', 1, micros_to_ts($9),"
    "         micros_to_ts($9), NULLIF($10, ''))";

constexpr char kUpdateLevelType[] =
    "UPDATE level_types SET name = $3, description = $4, metric = $5, window_kind = $6,"
    "  window_days = $7, time_zone = $8, version = version + 1, updated_at = micros_to_ts($9),"
    "  request_id = COALESCE(request_id, NULLIF($10, ''))"
    " WHERE program_id = $1 AND level_type_id = $2::uuid";

void WriteLevel(pg::Tx& tx, const char* sql, absl::string_view program_id,
                absl::string_view level_id, absl::string_view level_type_id, const LevelSpec& spec,
                absl::Time now, absl::string_view request_id) {
  tx.exec_params(sql, std::string(program_id), std::string(level_id), std::string(level_type_id),
                 spec.name, spec.description, spec.threshold, spec.discount_bp, spec.accrual_bp,
                 spec.validity_days, spec.bonus_points, sql::Micros(now), std::string(request_id));
}

constexpr char kInsertLevel[] =
    "INSERT INTO levels (program_id, level_id, level_type_id, name, description, threshold,"
    "  discount_bp, accrual_bp, validity_days, bonus_points, state, version, created_at,"
    "  updated_at, request_id)"
    " VALUES ($1, $2::uuid, $3::uuid, $4, $5, $6, $7, $8, $9, $10, 'ACTIVE', 1,"
    "         micros_to_ts($11), micros_to_ts($11), NULLIF($12, ''))";

constexpr char kUpdateLevel[] =
    "UPDATE levels SET name = $4, description = $5, threshold = $6, discount_bp = $7,"
    "  accrual_bp = $8, validity_days = $9, bonus_points = $10, version = version + 1,"
    "  updated_at = micros_to_ts($11), request_id = COALESCE(request_id, NULLIF($12, ''))"
    " WHERE program_id = $1 AND level_id = $2::uuid AND level_type_id = $3::uuid";

// The type, locked against concurrent ladder edits, and its ladder.
struct LockedLadder {
  LevelType type;
  std::vector<Level> levels;
};

absl::StatusOr<LockedLadder> LockLadder(pg::Tx& tx, absl::string_view program_id,
                                        absl::string_view level_type_id,
                                        absl::string_view type_field) {
  std::optional<LevelType> type = rows::FindLevelType(tx, program_id, level_type_id, Lock::kUpdate);
  if (!type) return NotFound(type_field, "level type");
  return LockedLadder{.type = *std::move(type),
                      .levels = rows::LoadLevels(tx, program_id, level_type_id)};
}

// A level of the ladder, by id; NOT_FOUND naming `field` when the type has
// no such level.
absl::StatusOr<Level*> LevelIn(std::vector<Level>& ladder, absl::string_view level_id,
                               absl::string_view field) {
  auto it = std::find_if(ladder.begin(), ladder.end(),
                         [&](const Level& level) { return level.level_id == level_id; });
  if (it == ladder.end()) return NotFound(field, "level in this level type");
  return &*it;
}

// Ranks change with the ladder: the level as it now stands.
Level Rearranged(std::vector<Level>& ladder, absl::string_view level_id) {
  ArrangeLadder(ladder);
  return **LevelIn(ladder, level_id, "");
}

// The ladder of a level type, without locks.
absl::StatusOr<std::vector<Level>> ReadLadder(pg::Pool& pool, absl::string_view program_id,
                                              absl::string_view level_type_id) {
  std::vector<Level> ladder;
  bool type_found = false;
  RETURN_IF_ERROR(pool.Transact([&](pg::Tx& tx) -> absl::Status {
    type_found = rows::FindLevelType(tx, program_id, level_type_id).has_value();
    if (type_found) ladder = rows::LoadLevels(tx, program_id, level_type_id);
    return absl::OkStatus();
  }));
  if (!type_found) return NotFound("level_type_id", "level type");
  return ladder;
}

std::string LevelPageToken(absl::string_view level_id) { return EncodePageToken(level_id); }

}  // namespace

// --- Level types ---------------------------------------------------------------

absl::StatusOr<LevelType> LevelStore::CreateLevelType(absl::string_view program_id,
                                                      const LevelTypeSpec& spec,
                                                      absl::string_view request_id) {
  const absl::Time now = sql::Truncate(clock_.Now());
  LevelType created;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    if (std::optional<std::string> id =
            rows::IdForRequest(tx, rows::kLevelTypes, program_id, request_id)) {
      created = *rows::FindLevelType(tx, program_id, *id);
      return rows::CheckReplay(created.spec, spec);
    }
    RETURN_IF_ERROR(rows::CheckNameFree(tx, rows::kLevelTypes, program_id, "", spec.name, "",
                                        "level_type.name"));
    created = LevelType{.level_type_id = NewUuid(),
                        .spec = spec,
                        .state = DefinitionState::kActive,
                        .version = 1,
                        .create_time = now,
                        .update_time = now};
    WriteLevelType(tx, kInsertLevelType, program_id, created.level_type_id, spec, now, request_id);
    return absl::OkStatus();
  }));
  return created;
}

absl::StatusOr<LevelType> LevelStore::GetLevelType(absl::string_view program_id,
                                                   absl::string_view level_type_id) {
  std::optional<LevelType> found;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    found = rows::FindLevelType(tx, program_id, level_type_id);
    return absl::OkStatus();
  }));
  if (!found) return NotFound("level_type_id", "level type");
  return *std::move(found);
}

absl::StatusOr<LevelTypePage> LevelStore::ListLevelTypes(absl::string_view program_id,
                                                         int page_size,
                                                         absl::string_view page_token,
                                                         bool show_archived) {
  ASSIGN_OR_RETURN(std::optional<rows::PagePosition> after, rows::ParsePageToken(page_token));
  LevelTypePage page;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page.level_types = rows::ListLevelTypes(tx, program_id, after, show_archived, page_size);
    return absl::OkStatus();
  }));
  page.next_page_token = rows::FinishPage(page.level_types, page_size,
                                          [](const LevelType& t) { return t.level_type_id; });
  return page;
}

absl::StatusOr<LevelType> LevelStore::UpdateLevelType(
    absl::string_view program_id, absl::string_view level_type_id,
    std::optional<int64_t> expected_version,
    absl::FunctionRef<absl::Status(LevelTypeSpec&)> change) {
  const absl::Time now = sql::Truncate(clock_.Now());
  LevelType updated;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    std::optional<LevelType> stored =
        rows::FindLevelType(tx, program_id, level_type_id, Lock::kUpdate);
    if (!stored) return NotFound("level_type.level_type_id", "level type");
    updated = *std::move(stored);
    RETURN_IF_ERROR(CheckVersion("level_type.etag", expected_version, updated.version));
    if (updated.state != DefinitionState::kActive) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "level_type.level_type_id",
                        "the level type is archived");
    }
    const LevelTypeSpec before = updated.spec;
    RETURN_IF_ERROR(change(updated.spec));
    if (updated.spec == before) return absl::OkStatus();
    RETURN_IF_ERROR(rows::CheckNameFree(tx, rows::kLevelTypes, program_id, "", updated.spec.name,
                                        level_type_id, "level_type.name"));
    WriteLevelType(tx, kUpdateLevelType, program_id, level_type_id, updated.spec, now, "");
    rows::Touched(updated, now);
    return absl::OkStatus();
  }));
  return updated;
}

absl::StatusOr<LevelType> LevelStore::ArchiveLevelType(absl::string_view program_id,
                                                       absl::string_view level_type_id,
                                                       std::optional<int64_t> expected_version) {
  const absl::Time now = sql::Truncate(clock_.Now());
  LevelType archived;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    std::optional<LevelType> stored =
        rows::FindLevelType(tx, program_id, level_type_id, Lock::kUpdate);
    if (!stored) return NotFound("level_type_id", "level type");
    archived = *std::move(stored);
    RETURN_IF_ERROR(CheckVersion("etag", expected_version, archived.version));
    if (archived.state == DefinitionState::kArchived) return absl::OkStatus();
    const int64_t templates = tx.exec_params1(
                                    "SELECT count(*) FROM card_templates WHERE program_id = $1"
                                    " AND level_type_id = $2::uuid AND state = 'ACTIVE'",
                                    std::string(program_id), std::string(level_type_id))[0]
                                  .as<int64_t>();
    if (templates > 0) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "level_type_id",
                        absl::StrCat(templates, " active template(s) use this level type"));
    }
    rows::Archive(tx, rows::kLevelTypes, program_id, level_type_id, now, archived);
    return absl::OkStatus();
  }));
  return archived;
}

// --- Levels ------------------------------------------------------------------------

absl::StatusOr<Level> LevelStore::CreateLevel(absl::string_view program_id,
                                              absl::string_view level_type_id,
                                              const LevelSpec& spec, absl::string_view request_id) {
  const absl::Time now = sql::Truncate(clock_.Now());
  Level created;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(LockedLadder ladder,
                     LockLadder(tx, program_id, level_type_id, "level_type_id"));
    if (std::optional<std::string> id =
            rows::IdForRequest(tx, rows::kLevels, program_id, request_id)) {
      ASSIGN_OR_RETURN(Level * stored, LevelIn(ladder.levels, *id, "request_id"));
      created = *stored;
      return rows::CheckReplay(created.spec, spec);
    }
    if (ladder.type.state != DefinitionState::kActive) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "level_type_id",
                        "the level type is archived");
    }
    RETURN_IF_ERROR(CheckLadderPlace(ladder.levels, "", spec.threshold, "level.threshold"));
    RETURN_IF_ERROR(rows::CheckNameFree(tx, rows::kLevels, program_id, level_type_id, spec.name, "",
                                        "level.name"));
    Level level{.level_id = NewUuid(),
                .level_type_id = std::string(level_type_id),
                .spec = spec,
                .state = DefinitionState::kActive,
                .version = 1,
                .create_time = now,
                .update_time = now};
    WriteLevel(tx, kInsertLevel, program_id, level.level_id, level_type_id, spec, now, request_id);
    ladder.levels.push_back(level);
    created = Rearranged(ladder.levels, level.level_id);
    return absl::OkStatus();
  }));
  return created;
}

absl::StatusOr<Level> LevelStore::GetLevel(absl::string_view program_id,
                                           absl::string_view level_type_id,
                                           absl::string_view level_id) {
  ASSIGN_OR_RETURN(std::vector<Level> ladder, ReadLadder(pool_, program_id, level_type_id));
  ASSIGN_OR_RETURN(Level * level, LevelIn(ladder, level_id, "level_id"));
  return *level;
}

absl::StatusOr<LevelPage> LevelStore::ListLevels(absl::string_view program_id,
                                                 absl::string_view level_type_id, int page_size,
                                                 absl::string_view page_token, bool show_archived) {
  std::string after_id;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(after_id, DecodePageToken(page_token));
    if (!IsUuid(after_id))
      return InvalidField("page_token", "not a token from a previous response");
  }
  ASSIGN_OR_RETURN(std::vector<Level> ladder, ReadLadder(pool_, program_id, level_type_id));
  // A ladder is short (kMaxLevelsPerType active levels): page in memory,
  // continuing after the last level returned.
  auto it = ladder.begin();
  if (!after_id.empty()) {
    it = std::find_if(ladder.begin(), ladder.end(),
                      [&](const Level& level) { return level.level_id == after_id; });
    if (it == ladder.end()) return InvalidField("page_token", "the level it names is gone");
    ++it;
  }
  LevelPage page;
  for (; it != ladder.end(); ++it) {
    if (!show_archived && it->state != DefinitionState::kActive) continue;
    if (static_cast<int>(page.levels.size()) == page_size) {
      page.next_page_token = LevelPageToken(page.levels.back().level_id);
      break;
    }
    page.levels.push_back(*it);
  }
  return page;
}

absl::StatusOr<Level> LevelStore::UpdateLevel(absl::string_view program_id,
                                              absl::string_view level_type_id,
                                              absl::string_view level_id,
                                              std::optional<int64_t> expected_version,
                                              absl::FunctionRef<absl::Status(LevelSpec&)> change) {
  const absl::Time now = sql::Truncate(clock_.Now());
  Level updated;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(LockedLadder ladder,
                     LockLadder(tx, program_id, level_type_id, "level.level_type_id"));
    ASSIGN_OR_RETURN(Level * level, LevelIn(ladder.levels, level_id, "level.level_id"));
    RETURN_IF_ERROR(CheckVersion("level.etag", expected_version, level->version));
    if (level->state != DefinitionState::kActive) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "level.level_id",
                        "the level is archived");
    }
    const LevelSpec before = level->spec;
    RETURN_IF_ERROR(change(level->spec));
    if (level->spec == before) {
      updated = *level;
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(
        CheckLadderPlace(ladder.levels, level_id, level->spec.threshold, "level.threshold"));
    RETURN_IF_ERROR(rows::CheckNameFree(tx, rows::kLevels, program_id, level_type_id,
                                        level->spec.name, level_id, "level.name"));
    WriteLevel(tx, kUpdateLevel, program_id, level_id, level_type_id, level->spec, now, "");
    rows::Touched(*level, now);
    updated = Rearranged(ladder.levels, level_id);
    return absl::OkStatus();
  }));
  return updated;
}

absl::StatusOr<Level> LevelStore::ArchiveLevel(absl::string_view program_id,
                                               absl::string_view level_type_id,
                                               absl::string_view level_id,
                                               std::optional<int64_t> expected_version) {
  const absl::Time now = sql::Truncate(clock_.Now());
  Level archived;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(LockedLadder ladder,
                     LockLadder(tx, program_id, level_type_id, "level_type_id"));
    ASSIGN_OR_RETURN(Level * level, LevelIn(ladder.levels, level_id, "level_id"));
    RETURN_IF_ERROR(CheckVersion("etag", expected_version, level->version));
    if (level->state == DefinitionState::kArchived) {
      archived = *level;
      return absl::OkStatus();
    }
    // Cards move onto a level without locking the ladder. This lock waits
    // for moves in flight (their foreign-key check share-locks the level
    // row), so the count below sees them; a move that read the ladder
    // before this commits can still land on the archived level, and the
    // next recalculation re-places that card.
    tx.exec_params("SELECT 1 FROM levels WHERE program_id = $1 AND level_id = $2::uuid FOR UPDATE",
                   std::string(program_id), std::string(level_id));
    const int64_t holders =
        tx.exec_params1(
              "SELECT count(*) FROM card_levels WHERE program_id = $1 AND level_id = $2::uuid",
              std::string(program_id), std::string(level_id))[0]
            .as<int64_t>();
    if (holders > 0) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "level_id",
                        absl::StrCat(holders, " card(s) hold this level; move them first"));
    }
    rows::Archive(tx, rows::kLevels, program_id, level_id, now, *level);
    archived = Rearranged(ladder.levels, level_id);
    return absl::OkStatus();
  }));
  return archived;
}

}  // namespace loyalty::cards
