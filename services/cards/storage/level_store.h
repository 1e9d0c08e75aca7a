#pragma once

// Level types and their ladders of levels in PostgreSQL. Every call is one
// transaction scoped to a program; another program's definitions are
// NOT_FOUND. Changes to a ladder (creating, updating, archiving a level) lock
// the level type row, so concurrent edits of one ladder run one after the
// other and its thresholds stay strictly increasing. Specs arrive
// normalised; errors name the field as the API calls it.

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/clock.h"
#include "services/cards/domain/level.h"

namespace loyalty::cards {

struct LevelTypePage {
  std::vector<LevelType> level_types;
  std::string next_page_token;
};

struct LevelPage {
  std::vector<Level> levels;
  std::string next_page_token;
};

class LevelStore final {
 public:
  LevelStore(pg::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

  // --- Level types ---
  absl::StatusOr<LevelType> CreateLevelType(absl::string_view program_id, const LevelTypeSpec& spec,
                                            absl::string_view request_id);
  absl::StatusOr<LevelType> GetLevelType(absl::string_view program_id,
                                         absl::string_view level_type_id);
  absl::StatusOr<LevelTypePage> ListLevelTypes(absl::string_view program_id, int page_size,
                                               absl::string_view page_token, bool show_archived);
  // `change` sets the masked fields and normalises; it may run more than
  // once. ABORTED naming `level_type.etag` when `expected_version` is stale.
  absl::StatusOr<LevelType> UpdateLevelType(absl::string_view program_id,
                                            absl::string_view level_type_id,
                                            std::optional<int64_t> expected_version,
                                            absl::FunctionRef<absl::Status(LevelTypeSpec&)> change);
  // FAILED_PRECONDITION naming `level_type_id` while an active template
  // uses the type. Idempotent.
  absl::StatusOr<LevelType> ArchiveLevelType(absl::string_view program_id,
                                             absl::string_view level_type_id,
                                             std::optional<int64_t> expected_version);

  // --- Levels ---
  // The type must be active. The threshold must differ from every other
  // active level's of the type (INVALID_ARGUMENT naming `level.threshold`).
  absl::StatusOr<Level> CreateLevel(absl::string_view program_id, absl::string_view level_type_id,
                                    const LevelSpec& spec, absl::string_view request_id);
  absl::StatusOr<Level> GetLevel(absl::string_view program_id, absl::string_view level_type_id,
                                 absl::string_view level_id);
  // The ladder, lowest threshold first (archived levels last).
  absl::StatusOr<LevelPage> ListLevels(absl::string_view program_id,
                                       absl::string_view level_type_id, int page_size,
                                       absl::string_view page_token, bool show_archived);
  absl::StatusOr<Level> UpdateLevel(absl::string_view program_id, absl::string_view level_type_id,
                                    absl::string_view level_id,
                                    std::optional<int64_t> expected_version,
                                    absl::FunctionRef<absl::Status(LevelSpec&)> change);
  // FAILED_PRECONDITION naming `level_id` while cards hold the level.
  // Idempotent.
  absl::StatusOr<Level> ArchiveLevel(absl::string_view program_id, absl::string_view level_type_id,
                                     absl::string_view level_id,
                                     std::optional<int64_t> expected_version);

 private:
  pg::Pool& pool_;
  const Clock& clock_;
};

}  // namespace loyalty::cards
