#include "services/notifications/storage/template_store.h"

#include <optional>

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"

namespace loyalty::notifications {
namespace {

constexpr char kColumns[] =
    "template_id::text, program_id, name, channel, subject, body,"
    " (extract(epoch FROM created_at) * 1000000)::bigint";

const char* ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kSms:
      return "SMS";
    case Channel::kEmail:
      return "EMAIL";
    case Channel::kTelegram:
      return "TELEGRAM";
    case Channel::kPush:
      return "PUSH";
  }
  return "SMS";
}

Channel ChannelFromName(const std::string& name) {
  if (name == "EMAIL") return Channel::kEmail;
  if (name == "TELEGRAM") return Channel::kTelegram;
  if (name == "PUSH") return Channel::kPush;
  return Channel::kSms;
}

Template FromRow(const pqxx::row& row) {
  Template t;
  t.template_id = row[0].as<std::string>();
  t.program_id = row[1].as<std::string>();
  t.name = row[2].as<std::string>();
  t.channel = ChannelFromName(row[3].as<std::string>());
  t.subject = row[4].as<std::string>();
  t.body = row[5].as<std::string>();
  t.create_time = absl::FromUnixMicros(row[6].as<int64_t>());
  return t;
}

absl::Status NameTaken() {
  return FieldError(absl::StatusCode::kAlreadyExists, "template.name",
                    "another template of this program has this name");
}

}  // namespace

absl::StatusOr<Template> TemplateStore::CreateTemplate(const std::string& program_id,
                                                       const Template& message_template,
                                                       const std::string& request_id) {
  Template created;
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    if (!request_id.empty()) {
      pqxx::result previous =
          tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                      " FROM templates WHERE program_id = $1 AND request_id = $2"),
                         program_id, request_id);
      if (!previous.empty()) {
        created = FromRow(previous[0]);
        return absl::OkStatus();
      }
    }
    pqxx::result taken =
        tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                    ", coalesce(request_id, '')"
                                    " FROM templates WHERE program_id = $1 AND name = $2"),
                       program_id, message_template.name);
    if (!taken.empty()) {
      // A concurrent retry of this very request may have committed since
      // the lookup above: then the name is ours.
      if (!request_id.empty() && taken[0][taken.columns() - 1].as<std::string>() == request_id) {
        created = FromRow(taken[0]);
        return absl::OkStatus();
      }
      return NameTaken();
    }
    pqxx::row row = tx.exec_params1(
        absl::StrCat("INSERT INTO templates (template_id, program_id, name, channel,"
                     " subject, body, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                     " RETURNING ",
                     kColumns),
        NewUuid(), program_id, message_template.name, ChannelName(message_template.channel),
        message_template.subject, message_template.body,
        request_id.empty() ? std::optional<std::string>() : request_id);
    created = FromRow(row);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<Template> TemplateStore::GetTemplate(const std::string& program_id,
                                                    const std::string& template_id) {
  if (!IsUuid(template_id)) return InvalidField("template_id", "not a UUID");
  std::optional<Template> found;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    pqxx::result rows =
        tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                    " FROM templates WHERE program_id = $1 AND template_id = $2"),
                       program_id, template_id);
    if (!rows.empty()) found = FromRow(rows[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) {
    return absl::NotFoundError(absl::StrCat("template ", template_id, " not found"));
  }
  return *found;
}

absl::StatusOr<TemplatePage> TemplateStore::ListTemplates(const std::string& program_id,
                                                          int page_size,
                                                          const std::string& page_token) {
  // Names are unique in a program, so the last name alone is the position.
  std::optional<std::string> after;
  if (!page_token.empty()) {
    std::string raw;
    if (!absl::WebSafeBase64Unescape(page_token, &raw) || raw.empty() || raw[0] != 'n') {
      return InvalidField("page_token", "not a token from a previous response");
    }
    after = raw.substr(1);
  }
  TemplatePage page;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    page.templates.clear();
    pqxx::result rows = !after
                            ? tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                                          " FROM templates WHERE program_id = $1"
                                                          " ORDER BY name LIMIT $2"),
                                             program_id, page_size + 1)
                            : tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                                          " FROM templates WHERE program_id = $1"
                                                          " AND name > $2 ORDER BY name LIMIT $3"),
                                             program_id, *after, page_size + 1);
    for (const auto& row : rows) page.templates.push_back(FromRow(row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (static_cast<int>(page.templates.size()) > page_size) {
    page.templates.pop_back();
    // A version letter in front keeps room for other token layouts.
    page.next_page_token = absl::WebSafeBase64Escape(absl::StrCat("n", page.templates.back().name));
  }
  return page;
}

}  // namespace loyalty::notifications
