#include "services/identity/storage/verification_store.h"

#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "services/identity/storage/audit_writer.h"

namespace loyalty::identity {
namespace {

constexpr char kVerificationColumns[] =
    "verification_id::text, client_id::text, channel, contact, code_hash,"
    " (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM expires_at) * 1000000)::bigint,"
    " failed_attempts, max_attempts,"
    " (extract(epoch FROM verified_at) * 1000000)::bigint";

Verification VerificationFromRow(const pqxx::row& row) {
  Verification verification;
  verification.verification_id = row[0].as<std::string>();
  verification.client_id = row[1].as<std::string>();
  verification.channel = static_cast<VerificationChannel>(row[2].as<int>());
  verification.contact = row[3].as<std::string>();
  verification.code_hash = row[4].as<std::string>();
  verification.create_time = absl::FromUnixMicros(row[5].as<int64_t>());
  verification.expire_time = absl::FromUnixMicros(row[6].as<int64_t>());
  verification.failed_attempts = row[7].as<int>();
  verification.max_attempts = row[8].as<int>();
  if (!row[9].is_null()) verification.verify_time = absl::FromUnixMicros(row[9].as<int64_t>());
  return verification;
}

const char* ContactColumn(VerificationChannel channel) {
  return channel == VerificationChannel::kPhone ? "phone" : "email";
}

// The client's phone or e-mail now ("" when it has none); nullopt when the
// program has no such client.
std::optional<std::string> CurrentContact(pg::Tx& tx, const std::string& program_id,
                                          const std::string& client_id,
                                          VerificationChannel channel) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT coalesce(", ContactColumn(channel),
                   ", '') FROM clients WHERE program_id = $1 AND client_id = $2"),
      program_id, client_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

std::optional<Verification> FindByRequestId(pg::Tx& tx, const std::string& program_id,
                                            const std::string& request_id) {
  if (request_id.empty()) return std::nullopt;
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kVerificationColumns,
                   " FROM contact_verifications WHERE program_id = $1 AND request_id = $2"),
      program_id, request_id);
  if (rows.empty()) return std::nullopt;
  return VerificationFromRow(rows[0]);
}

std::string MicrosToTimestamp(const char* param) {
  return absl::StrCat("'epoch'::timestamptz + ", param, "::bigint * interval '1 microsecond'");
}

// Creation times of the client's codes on the channel in the hour before
// `now`.
std::vector<absl::Time> RecentSends(pg::Tx& tx, const std::string& program_id,
                                    const std::string& client_id, VerificationChannel channel,
                                    absl::Time now) {
  std::vector<absl::Time> sends;
  for (const auto& row : tx.exec_params(
           absl::StrCat("SELECT (extract(epoch FROM created_at) * 1000000)::bigint"
                        " FROM contact_verifications"
                        " WHERE program_id = $1 AND client_id = $2 AND channel = $3"
                        " AND created_at > ",
                        MicrosToTimestamp("$4"), " - interval '1 hour'"),
           program_id, client_id, static_cast<int>(channel), absl::ToUnixMicros(now))) {
    sends.push_back(absl::FromUnixMicros(row[0].as<int64_t>()));
  }
  return sends;
}

// An audit entry of a verification: where the code went; never the code
// nor its hash.
AuditChange Audited(std::string action, const Verification& verification) {
  AuditChange change{.action = std::move(action),
                     .object_type = "verification",
                     .object_id = verification.verification_id,
                     .client_id = verification.client_id};
  change.after
      .Text("channel", verification.channel == VerificationChannel::kPhone ? "phone" : "email")
      .Text("contact", verification.contact);
  return change;
}

}  // namespace

absl::StatusOr<VerificationTarget> VerificationStore::PrepareStart(
    const std::string& program_id, const std::string& client_id, VerificationChannel channel,
    const std::string& request_id, absl::Time now) {
  if (!IsUuid(client_id)) return InvalidField("client_id", "not a UUID");
  VerificationTarget target;
  bool found = false;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    target = VerificationTarget{};
    std::optional<std::string> contact = CurrentContact(tx, program_id, client_id, channel);
    found = contact.has_value();
    if (!found) return absl::OkStatus();
    target.contact = *std::move(contact);
    target.existing = FindByRequestId(tx, program_id, request_id);
    target.recent_sends = RecentSends(tx, program_id, client_id, channel, now);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError(absl::StrCat("client ", client_id, " not found"));
  return target;
}

absl::StatusOr<Verification> VerificationStore::Insert(const std::string& program_id,
                                                       const Verification& verification,
                                                       const std::string& request_id,
                                                       const VerificationLimits& limits,
                                                       const AuditActor& actor) {
  Verification stored;
  auto attempt = [&](pg::Tx& tx) -> absl::Status {
    if (std::optional<Verification> existing = FindByRequestId(tx, program_id, request_id)) {
      stored = *std::move(existing);
      return absl::OkStatus();
    }
    // Starts for one client queue here, each seeing the codes stored by
    // the ones before it.
    pqxx::result client = tx.exec_params(
        "SELECT 1 FROM clients WHERE program_id = $1 AND client_id = $2 FOR UPDATE", program_id,
        verification.client_id);
    if (client.empty()) {
      return absl::NotFoundError(absl::StrCat("client ", verification.client_id, " not found"));
    }
    RETURN_IF_ERROR(CheckResendAllowed(RecentSends(tx, program_id, verification.client_id,
                                                   verification.channel, verification.create_time),
                                       verification.create_time, limits));
    std::optional<std::string> request;
    if (!request_id.empty()) request = request_id;
    pqxx::row row = tx.exec_params1(
        absl::StrCat("INSERT INTO contact_verifications (verification_id, program_id,"
                     " client_id, channel, contact, code_hash, created_at, expires_at,"
                     " max_attempts, request_id) VALUES ($1, $2, $3, $4, $5, $6, ",
                     MicrosToTimestamp("$7"), ", ", MicrosToTimestamp("$8"),
                     ", $9, $10) RETURNING ", kVerificationColumns),
        verification.verification_id, program_id, verification.client_id,
        static_cast<int>(verification.channel), verification.contact, verification.code_hash,
        absl::ToUnixMicros(verification.create_time),
        absl::ToUnixMicros(verification.expire_time), verification.max_attempts, request);
    stored = VerificationFromRow(row);
    WriteAudit(tx, program_id, actor, Audited("verification.start", stored));
    return absl::OkStatus();
  };
  if (absl::Status status = pool_.TransactIdempotent(attempt); !status.ok()) return status;
  return stored;
}

absl::Status VerificationStore::Abandon(const std::string& program_id,
                                        const Verification& verification,
                                        const AuditActor& actor) {
  return pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result deleted = tx.exec_params(
        "DELETE FROM contact_verifications WHERE program_id = $1 AND verification_id = $2"
        " RETURNING 1",
        program_id, verification.verification_id);
    if (!deleted.empty()) {
      WriteAudit(tx, program_id, actor, Audited("verification.abandon", verification));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<Verification> VerificationStore::Confirm(
    const std::string& program_id, const std::string& client_id, const std::string& verification_id,
    absl::string_view code, absl::string_view code_key, absl::Time now, absl::Status& answer,
    const AuditActor& actor) {
  if (!IsUuid(client_id)) return InvalidField("client_id", "not a UUID");
  if (!IsUuid(verification_id)) return InvalidField("verification_id", "not a UUID");
  std::optional<Verification> result;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    result.reset();
    // Locked, so that concurrent wrong codes are all counted.
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kVerificationColumns,
                     " FROM contact_verifications WHERE program_id = $1 AND client_id = $2"
                     " AND verification_id = $3 FOR UPDATE"),
        program_id, client_id, verification_id);
    if (rows.empty()) return absl::OkStatus();
    Verification verification = VerificationFromRow(rows[0]);
    const std::string current_contact =
        CurrentContact(tx, program_id, client_id, verification.channel).value_or("");
    ConfirmOutcome outcome =
        EvaluateConfirmation(verification, VerificationCodeMatches(code_key, verification, code),
                             current_contact, now);
    if (outcome.count_failure) {
      tx.exec_params(
          "UPDATE contact_verifications SET failed_attempts = failed_attempts + 1"
          " WHERE verification_id = $1",
          verification_id);
      ++verification.failed_attempts;
    }
    if (outcome.verify && !verification.verify_time) {
      tx.exec_params(absl::StrCat("UPDATE contact_verifications SET verified_at = ",
                                  MicrosToTimestamp("$2"), " WHERE verification_id = $1"),
                     verification_id, absl::ToUnixMicros(now));
      verification.verify_time = now;
      // The profile's flag, while the contact is still the one verified
      // (UpdateClient clears it when the contact changes). A new etag: the
      // client as read before is not the client now.
      const char* flag =
          verification.channel == VerificationChannel::kPhone ? "phone_verified" : "email_verified";
      const bool flag_set =
          tx.exec_params(
                absl::StrCat("UPDATE clients SET ", flag, " = true, version = version + 1,",
                             " updated_at = now() WHERE program_id = $1 AND client_id = $2",
                             " AND ", ContactColumn(verification.channel), " = $3 AND NOT ", flag),
                program_id, client_id, verification.contact)
              .affected_rows() > 0;
      AuditChange change{.action = "verification.confirm",
                         .object_type = "verification",
                         .object_id = verification_id,
                         .client_id = client_id};
      change.before.Bool("verified", false);
      change.after.Bool("verified", true);
      if (flag_set) {
        change.before.Bool(flag, false);
        change.after.Bool(flag, true);
      }
      WriteAudit(tx, program_id, actor, change);
    }
    answer = outcome.status;
    result = verification;
    // Commit even when the answer is an error: the wrong attempt counts.
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!result) {
    return absl::NotFoundError(absl::StrCat("verification ", verification_id, " not found"));
  }
  return *result;
}

}  // namespace loyalty::identity
