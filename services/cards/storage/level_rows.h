#pragma once

// SQL shared by the template, level and card-level stores: column lists and
// readers of the definition tables, lookups, keyset page tokens and the
// name/request checks all definitions share. Includes libpqxx: storage only.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/common/errors.h"
#include "services/cards/domain/card_template.h"
#include "services/cards/domain/level.h"

namespace loyalty::cards::rows {

// A definition table and how its rows are named.
struct DefinitionTable {
  const char* table;         // "card_templates"
  const char* id_column;     // "template_id"
  const char* scope_column;  // names are unique within it; nullptr: the program
};
inline constexpr DefinitionTable kTemplates{"card_templates", "template_id", nullptr};
inline constexpr DefinitionTable kLevelTypes{"level_types", "level_type_id", nullptr};
inline constexpr DefinitionTable kLevels{"levels", "level_id", "level_type_id"};

// Row locks a lookup takes.
enum class Lock { kNone, kShare, kUpdate };

// --- Readers ---------------------------------------------------------------

std::optional<CardTemplate> FindTemplate(pqxx::transaction_base& tx, absl::string_view program_id,
                                         absl::string_view template_id, Lock lock = Lock::kNone);
std::optional<LevelType> FindLevelType(pqxx::transaction_base& tx, absl::string_view program_id,
                                       absl::string_view level_type_id, Lock lock = Lock::kNone);
// Every level of the type (archived ones too), arranged as a ladder.
std::vector<Level> LoadLevels(pqxx::transaction_base& tx, absl::string_view program_id,
                              absl::string_view level_type_id);
// One level with any state, outside its ladder: rank unset.
std::optional<Level> FindLevel(pqxx::transaction_base& tx, absl::string_view program_id,
                               absl::string_view level_id);

// --- Shared checks -----------------------------------------------------------

// ALREADY_EXISTS naming `field` when another active row of the table (in
// the same scope) has `name`, compared case-insensitively.
absl::Status CheckNameFree(pqxx::transaction_base& tx, const DefinitionTable& table,
                           absl::string_view program_id, absl::string_view scope_id,
                           absl::string_view name, absl::string_view exclude_id,
                           absl::string_view field);

// Id of the row created earlier with `request_id`, if any.
std::optional<std::string> IdForRequest(pqxx::transaction_base& tx, const DefinitionTable& table,
                                        absl::string_view program_id, absl::string_view request_id);

// A create replayed by request id returns the stored row if it still is
// what was asked for; else ALREADY_EXISTS naming `request_id`.
template <typename Spec>
absl::Status CheckReplay(const Spec& stored, const Spec& requested) {
  if (stored == requested) return absl::OkStatus();
  return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                    "already used for a different request");
}

// What a write did to a definition's version and update time.
template <typename Definition>
void Touched(Definition& definition, absl::Time now) {
  ++definition.version;
  definition.update_time = now;
}

// Sets state ARCHIVED and moves the version on, in the table and in
// `definition` (a CardTemplate, LevelType or Level just read).
void MarkArchived(pqxx::transaction_base& tx, const DefinitionTable& table,
                  absl::string_view program_id, absl::string_view id, absl::Time now);
template <typename Definition>
void Archive(pqxx::transaction_base& tx, const DefinitionTable& table, absl::string_view program_id,
             absl::string_view id, absl::Time now, Definition& definition) {
  MarkArchived(tx, table, program_id, id, now);
  definition.state = DefinitionState::kArchived;
  Touched(definition, now);
}

// Row-lock clause for `lock` (" FOR SHARE" ...).
const char* LockClause(Lock lock);

// --- Pages -------------------------------------------------------------------

// Definitions are listed oldest first; the position after a row is its
// (creation time, id). Tokens are opaque to clients.
std::string PageTokenAfter(absl::Time create_time, absl::string_view id);

struct PagePosition {
  int64_t create_micros = 0;
  std::string id;
};
// nullopt for an empty token (first page); INVALID_ARGUMENT naming
// `page_token` for a token this service did not hand out.
absl::StatusOr<std::optional<PagePosition>> ParsePageToken(absl::string_view token);

// A page of the program's templates / level types after `after` (oldest
// first), archived ones only when `show_archived`. Fetches one row more than
// `page_size`, so that FinishPage knows whether a next page exists.
std::vector<CardTemplate> ListTemplates(pqxx::transaction_base& tx, absl::string_view program_id,
                                        const std::optional<PagePosition>& after,
                                        bool show_archived, int page_size);
std::vector<LevelType> ListLevelTypes(pqxx::transaction_base& tx, absl::string_view program_id,
                                      const std::optional<PagePosition>& after, bool show_archived,
                                      int page_size);

// Drops the extra row SelectPage fetched and returns the next page token
// ("" on the last page).
// `id_of` gives an item's id.
template <typename T, typename IdOf>
std::string FinishPage(std::vector<T>& items, int page_size, IdOf id_of) {
  if (static_cast<int>(items.size()) <= page_size) return "";
  items.pop_back();
  return PageTokenAfter(items.back().create_time, id_of(items.back()));
}

}  // namespace loyalty::cards::rows
