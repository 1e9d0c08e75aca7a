#include "services/identity/storage/client_erasure_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/outbox/outbox.h"
#include "libs/rpc/proto_convert.h"
#include "loyalty/identity/v1/events.pb.h"
#include "services/identity/storage/audit_writer.h"

namespace loyalty::identity {
namespace {

// kErasureColumns from `first` on.
ClientErasure ErasureFromRow(const std::string& client_id, const pqxx::row& row, int first) {
  return ClientErasure{.client_id = client_id,
                       .reason = row[first].as<std::string>(),
                       .erase_time = absl::FromUnixMicros(row[first + 1].as<int64_t>()),
                       .erased_by = row[first + 2].as<std::string>()};
}

constexpr char kErasureColumns[] =
    "erase_reason, (extract(epoch FROM erased_at) * 1000000)::bigint, erased_by";

}  // namespace

absl::StatusOr<ClientErasure> ClientErasureStore::Erase(const std::string& program_id,
                                                       const ErasureRequest& request,
                                                       const AuditActor& actor) {
  ClientErasure erasure;
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    pqxx::result other = tx.exec_params(
        "SELECT 1 FROM clients WHERE program_id = $1 AND erase_request_id = $2"
        " AND client_id <> $3::uuid",
        program_id, request.request_id, request.client_id);
    if (!other.empty()) {
      return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                        "already used to erase another client");
    }
    // The row lock orders the erasure after any update in flight.
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT erased_at IS NOT NULL, ", kErasureColumns,
                     " FROM clients WHERE program_id = $1 AND client_id = $2::uuid FOR UPDATE"),
        program_id, request.client_id);
    if (rows.empty()) {
      return absl::NotFoundError(absl::StrCat("client ", request.client_id, " not found"));
    }
    if (rows[0][0].as<bool>()) {
      // Erased before (a retry, or a second request): one effect.
      erasure = ErasureFromRow(request.client_id, rows[0], 1);
      return absl::OkStatus();
    }
    pqxx::row row = tx.exec_params1(
        absl::StrCat(
            "UPDATE clients SET last_name = '', first_name = '', middle_name = '',"
            " phone = NULL, email = NULL, birth_date = NULL, gender = 0,"
            " marketing_consent = false, phone_verified = false, email_verified = false,"
            " city = '', car_number = '', extra_key1 = '', extra_key2 = '', extra_key3 = '',"
            " extra_key4 = '', extra_key5 = '', extra_key6 = '', external_id = NULL,"
            " referral_code = NULL, utm_source = '', utm_medium = '', utm_campaign = '',"
            " utm_content = '', utm_term = '', request_id = NULL,"
            " version = version + 1, updated_at = now(), erased_at = now(),"
            " erase_reason = $3, erased_by = $4, erase_request_id = $5"
            " WHERE program_id = $1 AND client_id = $2::uuid RETURNING ",
            kErasureColumns),
        program_id, request.client_id, request.reason, request.erased_by, request.request_id);
    erasure = ErasureFromRow(request.client_id, row, 0);
    tx.exec_params("DELETE FROM client_social_profiles WHERE client_id = $1::uuid",
                   request.client_id);
    tx.exec_params("DELETE FROM client_tags WHERE program_id = $1 AND client_id = $2::uuid",
                   program_id, request.client_id);
    tx.exec_params(
        "DELETE FROM contact_verifications WHERE program_id = $1 AND client_id = $2::uuid",
        program_id, request.client_id);
    // Questionnaire answers and statuses are about the person too.
    tx.exec_params(
        "DELETE FROM client_attribute_values WHERE program_id = $1 AND client_id = $2::uuid",
        program_id, request.client_id);
    tx.exec_params(
        "DELETE FROM client_status_history WHERE program_id = $1 AND client_id = $2::uuid",
        program_id, request.client_id);
    // The audit log keeps who changed what and when about the client, but
    // not the values: they were the personal data being erased.
    tx.exec_params(
        "UPDATE audit_log SET"
        " before = CASE WHEN before IS NULL THEN NULL ELSE '{\"erased\": true}'::jsonb END,"
        " after = CASE WHEN after IS NULL THEN NULL ELSE '{\"erased\": true}'::jsonb END"
        " WHERE program_id = $1 AND client_id = $2::uuid",
        program_id, request.client_id);
    AuditChange change{.action = "client.erase",
                       .object_type = "client",
                       .object_id = request.client_id,
                       .client_id = request.client_id};
    change.after.Text("reason", request.reason);
    WriteAudit(tx, program_id, actor, change);

    v1::ClientErased event;
    event.set_client_id(request.client_id);
    rpc::SetTimestamp(erasure.erase_time, event.mutable_erase_time());
    outbox::Append(tx, outbox::StreamFor("identity"), program_id, event);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return erasure;
}

}  // namespace loyalty::identity
