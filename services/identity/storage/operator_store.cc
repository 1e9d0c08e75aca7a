#include "services/identity/storage/operator_store.h"

#include <optional>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "services/identity/storage/audit_writer.h"

namespace loyalty::identity {
namespace {

constexpr char kOperatorColumns[] =
    "operator_id::text, login, display_name, role, disabled,"
    " (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM updated_at) * 1000000)::bigint, password_hash, credentials_version";

Operator OperatorFromRow(const pqxx::row& row) {
  return Operator{.operator_id = row[0].as<std::string>(),
                  .login = row[1].as<std::string>(),
                  .spec = {.display_name = row[2].as<std::string>(),
                           .role = row[3].as<std::string>(),
                           .disabled = row[4].as<bool>()},
                  .create_time = absl::FromUnixMicros(row[5].as<int64_t>()),
                  .update_time = absl::FromUnixMicros(row[6].as<int64_t>())};
}

absl::Status NoSuchOperator(absl::string_view field) {
  return FieldError(absl::StatusCode::kNotFound, field, "no such operator in this program");
}

std::string WindowSeconds() {
  return absl::StrCat(absl::ToInt64Seconds(kFailedLoginWindow), " seconds");
}

// Disabling and enabling are named as such, so that the log can be
// searched for them.
AuditChange OperatorUpdated(const std::string& operator_id, const OperatorSpec& before,
                            const OperatorSpec& after) {
  AuditChange audit{
      .action = "operator.update", .object_type = "operator", .object_id = operator_id};
  if (before.disabled != after.disabled) {
    audit.action = after.disabled ? "operator.disable" : "operator.enable";
    audit.before.Bool("disabled", before.disabled);
    audit.after.Bool("disabled", after.disabled);
  }
  if (before.display_name != after.display_name) {
    audit.before.Text("display_name", before.display_name);
    audit.after.Text("display_name", after.display_name);
  }
  if (before.role != after.role) {
    audit.before.Text("role", before.role);
    audit.after.Text("role", after.role);
  }
  return audit;
}

}  // namespace

absl::StatusOr<Operator> OperatorStore::Create(absl::string_view program_id,
                                               absl::string_view login, const OperatorSpec& spec,
                                               absl::string_view password_hash,
                                               absl::string_view request_id,
                                               const AuditActor& actor) {
  Operator created;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    if (!request_id.empty()) {
      pqxx::result previous = tx.exec_params(
          absl::StrCat("SELECT ", kOperatorColumns,
                       " FROM operators WHERE program_id = $1 AND request_id = $2"),
          std::string(program_id), std::string(request_id));
      if (!previous.empty()) {
        created = OperatorFromRow(previous[0]);
        if (created.login == login && created.spec == spec) return absl::OkStatus();
        return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                          "already used by a request with other content");
      }
    }
    if (tx.exec_params("SELECT 1 FROM programs WHERE program_id = $1", std::string(program_id))
            .empty()) {
      return absl::NotFoundError("no such program");
    }
    if (!tx.exec_params("SELECT 1 FROM operators WHERE program_id = $1 AND login = $2",
                        std::string(program_id), std::string(login))
             .empty()) {
      return FieldError(absl::StatusCode::kAlreadyExists, "operator.login",
                        "another operator of the program has this login");
    }
    pqxx::row row = tx.exec_params1(
        absl::StrCat("INSERT INTO operators (program_id, operator_id, login, display_name, role,"
                     " disabled, password_hash, request_id)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7, NULLIF($8, '')) RETURNING ",
                     kOperatorColumns),
        std::string(program_id), NewUuid(), std::string(login), spec.display_name, spec.role,
        spec.disabled, std::string(password_hash), std::string(request_id));
    created = OperatorFromRow(row);
    AuditChange audit{
        .action = "operator.create", .object_type = "operator", .object_id = created.operator_id};
    // Never the password hash.
    audit.after.Text("login", created.login)
        .Text("display_name", created.spec.display_name)
        .Text("role", created.spec.role)
        .Bool("disabled", created.spec.disabled);
    WriteAudit(tx, program_id, actor, audit);
    return absl::OkStatus();
  }));
  return created;
}

absl::StatusOr<Operator> OperatorStore::Get(absl::string_view program_id,
                                            absl::string_view operator_id,
                                            absl::string_view field) {
  absl::StatusOr<OperatorCredentials> found = FindById(program_id, operator_id);
  if (absl::IsNotFound(found.status())) return NoSuchOperator(field);
  if (!found.ok()) return found.status();
  return std::move(found->account);
}

absl::StatusOr<OperatorPage> OperatorStore::List(absl::string_view program_id, int page_size,
                                                 absl::string_view page_token) {
  std::string after_login;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(after_login, DecodePageToken(page_token));
  }
  OperatorPage page;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page.operators.clear();
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kOperatorColumns,
                     " FROM operators WHERE program_id = $1 AND login > $2"
                     " ORDER BY login LIMIT $3"),
        std::string(program_id), after_login, page_size + 1);
    for (const auto& row : rows) page.operators.push_back(OperatorFromRow(row));
    return absl::OkStatus();
  }));
  if (static_cast<int>(page.operators.size()) > page_size) {
    page.operators.pop_back();
    page.next_page_token = EncodePageToken(page.operators.back().login);
  }
  return page;
}

absl::StatusOr<Operator> OperatorStore::Update(
    absl::string_view program_id, absl::string_view operator_id,
    absl::FunctionRef<absl::Status(OperatorSpec&)> change, const AuditActor& actor) {
  Operator updated;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kOperatorColumns,
                     " FROM operators WHERE program_id = $1 AND operator_id = $2 FOR UPDATE"),
        std::string(program_id), std::string(operator_id));
    if (rows.empty()) return NoSuchOperator("operator.operator_id");
    const OperatorSpec stored = OperatorFromRow(rows[0]).spec;
    OperatorSpec spec = stored;
    RETURN_IF_ERROR(change(spec));
    pqxx::row row = tx.exec_params1(
        absl::StrCat("UPDATE operators SET display_name = $3, role = $4, disabled = $5,"
                     " updated_at = now() WHERE program_id = $1 AND operator_id = $2 RETURNING ",
                     kOperatorColumns),
        std::string(program_id), std::string(operator_id), spec.display_name, spec.role,
        spec.disabled);
    updated = OperatorFromRow(row);
    if (!(spec == stored)) {
      WriteAudit(tx, program_id, actor, OperatorUpdated(updated.operator_id, stored, spec));
    }
    return absl::OkStatus();
  }));
  return updated;
}

absl::StatusOr<OperatorCredentials> OperatorStore::FindByLogin(absl::string_view program_id,
                                                               absl::string_view login) {
  return FindOne(program_id, "login", login);
}

absl::StatusOr<OperatorCredentials> OperatorStore::FindById(absl::string_view program_id,
                                                            absl::string_view operator_id) {
  return FindOne(program_id, "operator_id", operator_id);
}

absl::StatusOr<OperatorCredentials> OperatorStore::FindOne(absl::string_view program_id,
                                                           absl::string_view column,
                                                           absl::string_view value) {
  std::optional<OperatorCredentials> found;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kOperatorColumns, " FROM operators WHERE program_id = $1 AND ",
                     column, " = $2"),
        std::string(program_id), std::string(value));
    if (!rows.empty()) {
      found = OperatorCredentials{.account = OperatorFromRow(rows[0]),
                                  .password_hash = rows[0][7].c_str(),
                                  .credentials_version = rows[0][8].as<int64_t>()};
    }
    return absl::OkStatus();
  }));
  if (!found) return absl::NotFoundError("no such operator");
  return *std::move(found);
}

absl::Status OperatorStore::SetPasswordHash(absl::string_view program_id,
                                            absl::string_view operator_id,
                                            absl::string_view password_hash,
                                            const AuditActor& actor) {
  bool updated = false;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(
        "UPDATE operators SET password_hash = $3, updated_at = now(),"
        " credentials_version = credentials_version + 1"
        " WHERE program_id = $1 AND operator_id = $2 RETURNING 1",
        std::string(program_id), std::string(operator_id), std::string(password_hash));
    updated = !rows.empty();
    if (updated) {
      AuditChange audit{.action = "operator.set_password",
                        .object_type = "operator",
                        .object_id = std::string(operator_id)};
      // That it changed, never the hash.
      audit.after.Bool("password_changed", true);
      WriteAudit(tx, program_id, actor, audit);
    }
    return absl::OkStatus();
  }));
  return updated ? absl::OkStatus() : NoSuchOperator("operator_id");
}

absl::StatusOr<int64_t> OperatorStore::BeginLoginAttempt(absl::string_view program_id,
                                                         absl::string_view login,
                                                         int64_t max_failures) {
  int64_t count = 0;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    // One login's attempts queue here; other logins do not wait.
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))",
                   std::string(program_id), std::string(login));
    tx.exec_params(
        "DELETE FROM login_failures WHERE program_id = $1 AND login = $2"
        " AND failed_at <= now() - $3::interval",
        std::string(program_id), std::string(login), WindowSeconds());
    count = tx.exec_params1(
                  "SELECT count(*) FROM login_failures WHERE program_id = $1 AND login = $2",
                  std::string(program_id), std::string(login))[0]
                .as<int64_t>();
    if (count < max_failures) {
      tx.exec_params("INSERT INTO login_failures (program_id, login) VALUES ($1, $2)",
                     std::string(program_id), std::string(login));
    }
    return absl::OkStatus();
  }));
  return count;
}

absl::Status OperatorStore::ClearFailedLogins(absl::string_view program_id,
                                              absl::string_view login) {
  return pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    tx.exec_params("DELETE FROM login_failures WHERE program_id = $1 AND login = $2",
                   std::string(program_id), std::string(login));
    return absl::OkStatus();
  });
}

}  // namespace loyalty::identity
