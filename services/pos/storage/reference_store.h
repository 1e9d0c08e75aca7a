#pragma once

// PostgreSQL storage of the POS reference lists (table
// `pos.reference_items`, all four kinds).

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/pg/pool.h"
#include "services/pos/domain/references.h"

namespace loyalty::pos {

struct ReferencePage {
  std::vector<Reference> references;
  std::string next_page_token;
};

class ReferenceStore final {
 public:
  explicit ReferenceStore(pg::Pool& pool) : pool_(pool) {}

  // Stores a new entry; an empty id gets a UUID. The same `request_id`
  // returns the first result; an id already taken is ALREADY_EXISTS
  // naming `reference.id`.
  absl::StatusOr<Reference> Create(const std::string& program_id, ReferenceKind kind,
                                   const Reference& reference, const std::string& request_id);
  absl::StatusOr<Reference> Get(const std::string& program_id, ReferenceKind kind,
                                const std::string& id);
  // Entries by name, then id; archived ones only when asked for.
  absl::StatusOr<ReferencePage> List(const std::string& program_id, ReferenceKind kind,
                                     int page_size, const std::string& page_token,
                                     bool show_archived);
  // Reads the entry, applies `change` and writes it back in one transaction.
  absl::StatusOr<Reference> Update(const std::string& program_id, ReferenceKind kind,
                                   const std::string& id,
                                   const std::function<absl::Status(Reference&)>& change);
  absl::StatusOr<Reference> SetArchived(const std::string& program_id, ReferenceKind kind,
                                        const std::string& id, bool archived);

 private:
  pg::Pool& pool_;
};

// Inside a store's transaction: INVALID_ARGUMENT naming `field` unless `id`
// ("" passes) names an unarchived entry of the program's `kind` list. The
// entry is locked (FOR SHARE) until the transaction
// ends, so it cannot be archived under a store that is being saved.
absl::Status CheckUsableReference(pg::Tx& tx, const std::string& program_id,
                                  ReferenceKind kind, const std::string& id,
                                  const std::string& field);

}  // namespace loyalty::pos
