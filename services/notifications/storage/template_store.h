#pragma once

// PostgreSQL storage of `notifications` (schema `notifications`).

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"
#include "services/notifications/domain/template.h"

namespace loyalty::generated {
std::span<const loyalty::pg::Migration> NotificationsMigrations();
}

namespace loyalty::notifications {

struct TemplatePage {
  std::vector<Template> templates;
  std::string next_page_token;
};

class TemplateStore final {
 public:
  explicit TemplateStore(pg::Pool& pool) : pool_(pool) {}

  // Inserts a validated template. A retry with the same request id returns
  // the first template; another template of the program with the same name
  // is ALREADY_EXISTS naming `template.name`.
  absl::StatusOr<Template> CreateTemplate(const std::string& program_id,
                                          const Template& message_template,
                                          const std::string& request_id);
  // NOT_FOUND unless the template exists in this program.
  absl::StatusOr<Template> GetTemplate(const std::string& program_id,
                                       const std::string& template_id);
  // By name; keyset pagination.
  absl::StatusOr<TemplatePage> ListTemplates(const std::string& program_id, int page_size,
                                             const std::string& page_token);

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::notifications
