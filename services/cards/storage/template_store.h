#pragma once

// Card templates in PostgreSQL. Every call is one transaction scoped to a
// program; another program's template is NOT_FOUND. Specs arrive
// normalised (NormalizeTemplateSpec); errors name the field at fault as the
// API calls it ("template.name", "template_id", ...).

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/card_template.h"
#include "services/cards/domain/clock.h"

namespace loyalty::cards {

struct TemplatePage {
  std::vector<CardTemplate> templates;
  std::string next_page_token;
};

class TemplateStore final {
 public:
  TemplateStore(pg::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

  // Creates a template. Its level type must be an active one of the program
  // (NOT_FOUND / FAILED_PRECONDITION naming `template.level_type_id`). A
  // retry with the same request id returns the first template.
  absl::StatusOr<CardTemplate> Create(absl::string_view program_id, const TemplateSpec& spec,
                                      absl::string_view request_id);

  absl::StatusOr<CardTemplate> Get(absl::string_view program_id, absl::string_view template_id);

  absl::StatusOr<TemplatePage> List(absl::string_view program_id, int page_size,
                                    absl::string_view page_token, bool show_archived);

  // Applies `change` (which sets the masked fields and normalises) to the
  // stored spec of an active template. ABORTED naming `template.etag` when
  // `expected_version` is set and stale. `change` may run more than once.
  absl::StatusOr<CardTemplate> Update(absl::string_view program_id, absl::string_view template_id,
                                      std::optional<int64_t> expected_version,
                                      absl::FunctionRef<absl::Status(TemplateSpec&)> change);

  // Archives; idempotent.
  absl::StatusOr<CardTemplate> Archive(absl::string_view program_id, absl::string_view template_id,
                                       std::optional<int64_t> expected_version);

 private:
  pg::Pool& pool_;
  const Clock& clock_;
};

}  // namespace loyalty::cards
