#include "services/identity/storage/consent_store.h"

#include <optional>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/common/random_ids.h"
#include "libs/outbox/outbox.h"
#include "loyalty/identity/v1/consents_service.pb.h"
#include "loyalty/identity/v1/events.pb.h"
#include "services/identity/storage/audit_writer.h"

namespace loyalty::identity {
namespace {

constexpr char kRecordColumns[] =
    "seq, record_id::text, kind, given, source, text_version,"
    " (extract(epoch FROM consent_time) * 1000000)::bigint,"
    " (extract(epoch FROM recorded_at) * 1000000)::bigint,"
    " recorded_by_principal_id, recorded_by_role";

ConsentRecord RecordFromRow(const pqxx::row& row) {
  ConsentRecord record;
  record.seq = row[0].as<int64_t>();
  record.record_id = row[1].as<std::string>();
  record.change.kind = static_cast<ConsentKind>(row[2].as<int>());
  record.change.given = row[3].as<bool>();
  record.change.source = static_cast<ConsentSource>(row[4].as<int>());
  record.change.text_version = row[5].as<std::string>();
  record.change.consent_time = absl::FromUnixMicros(row[6].as<int64_t>());
  record.record_time = absl::FromUnixMicros(row[7].as<int64_t>());
  record.recorded_by.principal_id = row[8].as<std::string>();
  record.recorded_by.role = row[9].as<std::string>();
  return record;
}

// The current record per kind, by the rule of domain/consent.h, in SQL so
// that only one row per kind is read.
std::map<ConsentKind, ConsentRecord> LoadCurrent(pg::Tx& tx, const std::string& program_id,
                                                 const std::string& client_id) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT DISTINCT ON (kind) ", kRecordColumns,
                   " FROM client_consents WHERE program_id = $1 AND client_id = $2"
                   " ORDER BY kind, consent_time DESC, seq DESC"),
      program_id, client_id);
  std::vector<ConsentRecord> records;
  for (const auto& row : rows) records.push_back(RecordFromRow(row));
  return CurrentConsents(records);
}

// Locks the client row (serialising writers of one history, so that the
// before/after states and the events follow the commit order); false when
// the program has no such client.
bool LockClient(pg::Tx& tx, const std::string& program_id, const std::string& client_id) {
  return !tx.exec_params("SELECT 1 FROM clients WHERE program_id = $1 AND client_id = $2"
                         " AND erased_at IS NULL FOR UPDATE",
                         program_id, client_id)
              .empty();
}

std::string ConsentKindName(ConsentKind kind) {
  return v1::ConsentKind_Name(static_cast<v1::ConsentKind>(kind));
}

// One entry per call: each kind's state before, and the record written.
// A back-dated record that changes no state still shows, as it is in the
// history.
AuditChange ConsentsRecorded(const std::string& client_id,
                             const std::map<ConsentKind, ConsentRecord>& before,
                             const std::vector<ConsentRecord>& written) {
  AuditChange change{.action = "consent.record",
                     .object_type = "client",
                     .object_id = client_id,
                     .client_id = client_id};
  for (const ConsentRecord& record : written) {
    const std::string kind = ConsentKindName(record.change.kind);
    auto was = before.find(record.change.kind);
    change.before.Json(kind, was == before.end()
                                 ? std::string("null")
                                 : AuditFields().Bool("given", was->second.change.given).ToJson());
    change.after.Json(
        kind,
        AuditFields()
            .Bool("given", record.change.given)
            .Text("source",
                  v1::ConsentSource_Name(static_cast<v1::ConsentSource>(record.change.source)))
            .Text("text_version", record.change.text_version)
            .Text("consent_time", absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ",
                                                   record.change.consent_time, absl::UTCTimeZone()))
            .ToJson());
  }
  return change;
}

}  // namespace

std::vector<ConsentRecord> AppendConsentRecords(pg::Tx& tx, const std::string& program_id,
                                                const std::string& client_id,
                                                absl::Span<const ConsentChange> changes,
                                                const Principal& recorded_by,
                                                const std::string& request_id) {
  std::map<ConsentKind, ConsentRecord> before = LoadCurrent(tx, program_id, client_id);
  std::vector<ConsentRecord> written;
  std::optional<std::string> request;
  if (!request_id.empty()) request = request_id;
  for (const ConsentChange& change : changes) {
    pqxx::row row = tx.exec_params1(
        absl::StrCat("INSERT INTO client_consents (record_id, program_id, client_id, kind,"
                     " given, source, text_version, consent_time, recorded_by_principal_id,"
                     " recorded_by_role, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7,"
                     " 'epoch'::timestamptz + $8::bigint * interval '1 microsecond',"
                     " $9, $10, $11) RETURNING ",
                     kRecordColumns),
        NewUuid(), program_id, client_id, static_cast<int>(change.kind), change.given,
        static_cast<int>(change.source), change.text_version,
        absl::ToUnixMicros(change.consent_time), recorded_by.principal_id, recorded_by.role,
        request);
    written.push_back(RecordFromRow(row));
  }
  std::map<ConsentKind, ConsentRecord> after = before;
  for (const ConsentRecord& record : written) {
    auto [it, inserted] = after.emplace(record.change.kind, record);
    if (!inserted && Supersedes(record, it->second)) it->second = record;
  }
  PublishConsentChange(tx, program_id, client_id, before, after);
  return written;
}

std::map<ConsentKind, ConsentRecord> LoadCurrentConsents(pg::Tx& tx,
                                                         const std::string& program_id,
                                                         const std::string& client_id) {
  return LoadCurrent(tx, program_id, client_id);
}

void PublishConsentChange(pg::Tx& tx, const std::string& program_id,
                          const std::string& client_id,
                          const std::map<ConsentKind, ConsentRecord>& before,
                          const std::map<ConsentKind, ConsentRecord>& after) {
  std::vector<ConsentKind> changed = ChangedKinds(before, after);
  if (changed.empty()) return;

  const bool marketing = IsGiven(after, ConsentKind::kMarketing);
  pqxx::row updated = tx.exec_params1(
      "UPDATE clients SET marketing_consent = $3,"
      // A visible change of the client: a new etag.
      " version = CASE WHEN marketing_consent = $3 THEN version ELSE version + 1 END,"
      " updated_at = CASE WHEN marketing_consent = $3 THEN updated_at ELSE now() END"
      " WHERE program_id = $1 AND client_id = $2"
      " RETURNING (extract(epoch FROM now()) * 1000000)::bigint",
      program_id, client_id, marketing);
  v1::ClientConsentChanged event;
  event.set_client_id(client_id);
  for (ConsentKind kind : changed) event.add_changed_kinds(static_cast<int>(kind));
  for (const auto& [kind, record] : after) {
    if (record.change.given) event.add_given_kinds(static_cast<int>(kind));
  }
  event.set_marketing_consent(marketing);
  int64_t now_micros = updated[0].as<int64_t>();
  event.mutable_change_time()->set_seconds(now_micros / 1000000);
  event.mutable_change_time()->set_nanos(static_cast<int32_t>(now_micros % 1000000) * 1000);
  outbox::Append(tx, outbox::StreamFor("identity"), program_id, event);
}

absl::StatusOr<ClientConsents> ConsentStore::RecordConsents(const std::string& program_id,
                                                            const std::string& client_id,
                                                            absl::Span<const ConsentChange> changes,
                                                            const AuditActor& actor,
                                                            const std::string& request_id,
                                                            const std::string& fingerprint) {
  if (!IsUuid(client_id)) return InvalidField("client_id", "not a UUID");
  ClientConsents result;
  auto attempt = [&](pg::Tx& tx) -> absl::Status {
    result = ClientConsents{};
    if (!LockClient(tx, program_id, client_id)) {
      return absl::NotFoundError(absl::StrCat("client ", client_id, " not found"));
    }
    if (!request_id.empty()) {
      pqxx::result previous = tx.exec_params(
          "SELECT client_id::text, fingerprint FROM consent_requests"
          " WHERE program_id = $1 AND request_id = $2",
          program_id, request_id);
      if (!previous.empty()) {
        if (previous[0][0].as<std::string>() != client_id ||
            previous[0][1].as<std::string>() != fingerprint) {
          return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                            "already used for another request");
        }
        pqxx::result rows = tx.exec_params(
            absl::StrCat("SELECT ", kRecordColumns,
                         " FROM client_consents WHERE program_id = $1 AND request_id = $2"
                         " ORDER BY seq"),
            program_id, request_id);
        for (const auto& row : rows) result.records.push_back(RecordFromRow(row));
        result.current = LoadCurrent(tx, program_id, client_id);
        return absl::OkStatus();
      }
      tx.exec_params(
          "INSERT INTO consent_requests (program_id, request_id, client_id, fingerprint)"
          " VALUES ($1, $2, $3, $4)",
          program_id, request_id, client_id, fingerprint);
    }
    const std::map<ConsentKind, ConsentRecord> before = LoadCurrent(tx, program_id, client_id);
    result.records =
        AppendConsentRecords(tx, program_id, client_id, changes, actor.principal(), request_id);
    result.current = LoadCurrent(tx, program_id, client_id);
    WriteAudit(tx, program_id, actor, ConsentsRecorded(client_id, before, result.records));
    return absl::OkStatus();
  };
  // A concurrent retry that commits first: the rerun finds its records.
  if (absl::Status status = pool_.TransactIdempotent(attempt); !status.ok()) return status;
  return result;
}

absl::StatusOr<ClientConsents> ConsentStore::GetConsents(const std::string& program_id,
                                                         const std::string& client_id,
                                                         int page_size,
                                                         const std::string& page_token) {
  if (!IsUuid(client_id)) return InvalidField("client_id", "not a UUID");
  absl::StatusOr<int64_t> before_seq = DecodeIdPageToken(page_token, INT64_MAX);
  if (!before_seq.ok()) return before_seq.status();
  ClientConsents result;
  bool found = false;
  absl::Status status = pool_.Transact(
      [&](pg::Tx& tx) -> absl::Status {
        result = ClientConsents{};
        found = !tx.exec_params("SELECT 1 FROM clients WHERE program_id = $1 AND client_id = $2",
                                program_id, client_id)
                     .empty();
        if (!found) return absl::OkStatus();
        result.current = LoadCurrent(tx, program_id, client_id);
        pqxx::result rows = tx.exec_params(
            absl::StrCat("SELECT ", kRecordColumns,
                         " FROM client_consents WHERE program_id = $1 AND client_id = $2"
                         " AND seq < $3 ORDER BY seq DESC LIMIT $4"),
            program_id, client_id, *before_seq, page_size + 1);
        for (const auto& row : rows) result.records.push_back(RecordFromRow(row));
        return absl::OkStatus();
      },
      // The current state and the page must come from one snapshot.
      pg::Isolation::kRepeatableRead);
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError(absl::StrCat("client ", client_id, " not found"));
  if (static_cast<int>(result.records.size()) > page_size) {
    result.records.pop_back();
    result.next_page_token = EncodePageToken(absl::StrCat(result.records.back().seq));
  }
  return result;
}

}  // namespace loyalty::identity
