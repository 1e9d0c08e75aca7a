#pragma once

// PostgreSQL storage of client tags (tables `tags`, `client_tags` of schema
// `identity`). Every method is scoped to a program: another program's tag
// or client is NOT_FOUND (or, in assign/remove calls, an unknown id).
// Mutations write their audit entries (storage/audit_writer.h) in their
// transaction, naming `actor`: tag.create, tag.update (only when a value
// changed), tag.delete, and one tag.assign / tag.remove per client whose
// tags actually changed (DeleteTag: one tag.remove per client that had it).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/audit.h"
#include "services/identity/domain/tag.h"

namespace loyalty::identity {

struct TagPage {
  std::vector<Tag> tags;
  std::string next_page_token;
};

struct TagAssignment {
  std::string client_id;
  absl::Time assign_time;
  std::string assigned_by;
};

struct TagAssignmentPage {
  std::vector<TagAssignment> assignments;
  std::string next_page_token;
};

class TagStore final {
 public:
  explicit TagStore(pg::Pool& pool) : pool_(pool) {}

  // Inserts a normalised tag. A retry with the same request id and content
  // returns the first tag; other content is ALREADY_EXISTS naming
  // `request_id`. A name taken in any case is ALREADY_EXISTS naming
  // `tag.name`; past the program's tag limit FAILED_PRECONDITION.
  absl::StatusOr<Tag> Create(absl::string_view program_id, const TagSpec& spec,
                             absl::string_view request_id, const AuditActor& actor = {});
  absl::StatusOr<Tag> Get(absl::string_view program_id, absl::string_view tag_id);
  absl::StatusOr<TagPage> List(absl::string_view program_id, int page_size,
                               absl::string_view page_token);
  // Reads the tag under a row lock, lets `change` edit its spec (it must
  // leave it normalised) and stores the result.
  absl::StatusOr<Tag> Update(absl::string_view program_id, absl::string_view tag_id,
                             absl::FunctionRef<absl::Status(TagSpec&)> change,
                             const AuditActor& actor = {});
  // Deletes the tag and its assignments, with one ClientTagsChanged event
  // per client that had it. Returns how many did.
  absl::StatusOr<int64_t> Delete(absl::string_view program_id, absl::string_view tag_id,
                                 const AuditActor& actor = {});

  // Assign (`add`) or remove the tag for normalised, distinct client ids,
  // with one ClientTagsChanged event per client actually changed.
  // The actor's principal id is recorded as who assigned it.
  absl::StatusOr<TagChangeResult> ChangeClients(absl::string_view program_id,
                                                absl::string_view tag_id,
                                                const std::vector<std::string>& client_ids,
                                                bool add, const AuditActor& actor);

  // Every tag of a client, by name; NOT_FOUND naming `client_id` for no
  // such client.
  absl::StatusOr<std::vector<Tag>> ListOfClient(absl::string_view program_id,
                                                absl::string_view client_id);
  // The clients of a tag in client id order; NOT_FOUND for no such tag.
  absl::StatusOr<TagAssignmentPage> ListClients(absl::string_view program_id,
                                                absl::string_view tag_id, int page_size,
                                                absl::string_view page_token);

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::identity
