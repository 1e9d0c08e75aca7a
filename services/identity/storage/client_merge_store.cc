#include "services/identity/storage/client_merge_store.h"

#include <algorithm>
#include <map>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/outbox/outbox.h"
#include "libs/pg/array_literal.h"
#include "libs/rpc/proto_convert.h"
#include "loyalty/identity/v1/events.pb.h"
#include "services/identity/domain/client_fields.h"
#include "services/identity/domain/client_merge.h"
#include "services/identity/storage/audit_writer.h"
#include "services/identity/storage/client_rows.h"
#include "services/identity/storage/consent_store.h"

namespace loyalty::identity {
namespace {

constexpr char kMergeColumns[] =
    "program_id::text, request_id, survivor_id::text, duplicate_id::text, state,"
    " array_to_string(added_tag_ids, ','), array_to_string(filled_fields, ','),"
    " moved_consent_records, array_to_string(owned_card_numbers, ','),"
    " array_to_string(held_card_numbers, ','), cards_attempts,"
    " (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM completed_at) * 1000000)::bigint";

// Every array column holds UUIDs, field names or card numbers: no commas.
std::vector<std::string> SplitList(const pqxx::field& field) {
  return absl::StrSplit(field.as<std::string>(), ',', absl::SkipEmpty());
}

ClientMergeRecord MergeFromRow(const pqxx::row& row) {
  ClientMergeRecord merge;
  merge.program_id = row[0].as<std::string>();
  merge.request_id = row[1].as<std::string>();
  merge.survivor_id = row[2].as<std::string>();
  merge.duplicate_id = row[3].as<std::string>();
  merge.cards_done = row[4].as<std::string>() == "DONE";
  merge.added_tag_ids = SplitList(row[5]);
  merge.filled_fields = SplitList(row[6]);
  merge.moved_consent_records = row[7].as<int>();
  merge.owned_card_numbers = SplitList(row[8]);
  merge.held_card_numbers = SplitList(row[9]);
  merge.cards_attempts = row[10].as<int>();
  merge.create_time = absl::FromUnixMicros(row[11].as<int64_t>());
  if (!row[12].is_null()) merge.complete_time = absl::FromUnixMicros(row[12].as<int64_t>());
  return merge;
}

std::optional<ClientMergeRecord> FindMerge(pg::Tx& tx, const std::string& program_id,
                                           const std::string& request_id) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kMergeColumns,
                   " FROM client_merges WHERE program_id = $1 AND request_id = $2"),
      program_id, request_id);
  if (rows.empty()) return std::nullopt;
  return MergeFromRow(rows[0]);
}

// Both clients, locked in id order (two merges of the same pair in
// opposite directions cannot deadlock).
absl::Status LockPair(pg::Tx& tx, const std::string& program_id, const std::string& survivor_id,
                      const std::string& duplicate_id, Client& survivor, Client& duplicate) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kClientColumns,
                   " FROM clients WHERE program_id = $1 AND client_id IN ($2::uuid, $3::uuid)"
                   " AND erased_at IS NULL ORDER BY client_id FOR UPDATE"),
      program_id, survivor_id, duplicate_id);
  bool found_survivor = false;
  bool found_duplicate = false;
  for (const auto& row : rows) {
    Client client = LoadClient(tx, row);
    if (client.client_id == survivor_id) {
      survivor = std::move(client);
      found_survivor = true;
    } else {
      duplicate = std::move(client);
      found_duplicate = true;
    }
  }
  if (!found_survivor) {
    return FieldError(absl::StatusCode::kNotFound, "survivor_client_id",
                      "no such client in this program");
  }
  if (!found_duplicate) {
    return FieldError(absl::StatusCode::kNotFound, "duplicate_client_id",
                      "no such client in this program");
  }
  // An erased client (CLI-14) is not found, as everywhere else.
  if (!survivor.merged_into_client_id.empty()) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "survivor_client_id",
                      absl::StrCat("the client was merged into ",
                                   survivor.merged_into_client_id));
  }
  if (!duplicate.merged_into_client_id.empty()) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "duplicate_client_id",
                      absl::StrCat("the client was already merged into ",
                                   duplicate.merged_into_client_id));
  }
  return absl::OkStatus();
}

void SetMicros(int64_t micros, google::protobuf::Timestamp* out) {
  rpc::SetTimestamp(absl::FromUnixMicros(micros), out);
}

// The duplicate's tags become the survivor's; the duplicate keeps none,
// so that a tag's clients count each person once. Returns the tags the
// survivor did not have.
std::vector<std::string> MoveTags(pg::Tx& tx, const std::string& program_id,
                                  const std::string& survivor_id,
                                  const std::string& duplicate_id, const AuditActor& merged_by,
                                  int64_t now_micros) {
  std::vector<std::string> added;
  for (const auto& row : tx.exec_params(
           "INSERT INTO client_tags (program_id, tag_id, client_id, assigned_by)"
           " SELECT program_id, tag_id, $2::uuid, $4 FROM client_tags"
           " WHERE program_id = $1 AND client_id = $3::uuid"
           " ON CONFLICT DO NOTHING RETURNING tag_id::text",
           program_id, survivor_id, duplicate_id, merged_by.principal_id)) {
    added.push_back(row[0].as<std::string>());
  }
  std::sort(added.begin(), added.end());
  std::vector<std::string> removed;
  for (const auto& row :
       tx.exec_params("DELETE FROM client_tags WHERE program_id = $1 AND client_id = $2::uuid"
                      " RETURNING tag_id::text",
                      program_id, duplicate_id)) {
    removed.push_back(row[0].as<std::string>());
  }
  std::sort(removed.begin(), removed.end());
  if (!added.empty()) {
    v1::ClientTagsChanged event;
    event.set_client_id(survivor_id);
    for (const std::string& tag : added) event.add_added_tag_ids(tag);
    SetMicros(now_micros, event.mutable_change_time());
    outbox::Append(tx, outbox::StreamFor("identity"), program_id, event);
  }
  if (!removed.empty()) {
    v1::ClientTagsChanged event;
    event.set_client_id(duplicate_id);
    for (const std::string& tag : removed) event.add_removed_tag_ids(tag);
    SetMicros(now_micros, event.mutable_change_time());
    outbox::Append(tx, outbox::StreamFor("identity"), program_id, event);
  }
  return added;
}

// The duplicate's consent records move to the survivor unchanged (times,
// write sequence, source, who recorded them), so the survivor's current
// state follows the usual rule over both histories: the latest consent
// time wins. Returns the number of records moved.
int MoveConsents(pg::Tx& tx, const std::string& program_id, const std::string& survivor_id,
                 const std::string& duplicate_id) {
  const std::map<ConsentKind, ConsentRecord> before =
      LoadCurrentConsents(tx, program_id, survivor_id);
  pqxx::result moved = tx.exec_params(
      "UPDATE client_consents SET client_id = $2::uuid"
      " WHERE program_id = $1 AND client_id = $3::uuid",
      program_id, survivor_id, duplicate_id);
  if (moved.affected_rows() == 0) return 0;
  PublishConsentChange(tx, program_id, survivor_id, before,
                       LoadCurrentConsents(tx, program_id, survivor_id));
  return static_cast<int>(moved.affected_rows());
}

// The duplicate's custom attribute values (CLI-2) fill the attributes the
// survivor has no value of; the survivor's own values win, and the
// duplicate keeps the values it lost to them (history). The status-system
// history of each moved value moves with it.
void MoveAttributeValues(pg::Tx& tx, const std::string& program_id,
                         const std::string& survivor_id, const std::string& duplicate_id) {
  tx.exec_params(
      "WITH moved AS ("
      "  UPDATE client_attribute_values d SET client_id = $2::uuid, updated_at = now()"
      "  WHERE d.program_id = $1 AND d.client_id = $3::uuid AND NOT EXISTS"
      "    (SELECT 1 FROM client_attribute_values s"
      "     WHERE s.program_id = $1 AND s.client_id = $2::uuid AND s.key = d.key)"
      "  RETURNING d.key)"
      " UPDATE client_status_history SET client_id = $2::uuid"
      " WHERE program_id = $1 AND client_id = $3::uuid AND key IN (SELECT key FROM moved)",
      program_id, survivor_id, duplicate_id);
}

// Writes the survivor's filled profile (version up, ClientUpdated).
void FillSurvivor(pg::Tx& tx, const std::string& program_id, const Client& survivor,
                  const Client& duplicate, const ClientProfile& merged,
                  const std::vector<std::string>& filled) {
  if (filled.empty()) return;
  auto took = [&](absl::string_view field) {
    return std::find(filled.begin(), filled.end(), field) != filled.end();
  };
  // A contact taken over keeps the verification it had on the duplicate.
  const bool phone_verified = took("phone") ? duplicate.phone_verified : survivor.phone_verified;
  const bool email_verified = took("email") ? duplicate.email_verified : survivor.email_verified;
  pqxx::row row = ExecProfileStatement(
      tx,
      absl::StrCat("UPDATE clients SET (", kProfileColumns, ") = (", kProfileValues,
                   "), phone_verified = $30, email_verified = $31, version = version + 1,"
                   " updated_at = now() WHERE client_id = $1 AND program_id = $2"
                   " RETURNING (extract(epoch FROM updated_at) * 1000000)::bigint"),
      survivor.client_id, program_id, merged, phone_verified, email_verified);
  if (took("social_profiles")) {
    WriteSocialProfiles(tx, survivor.client_id, merged.social_profiles);
  }
  v1::ClientUpdated event;
  event.set_client_id(survivor.client_id);
  for (const std::string& field : filled) event.add_changed_fields(field);
  SetMicros(row[0].as<int64_t>(), event.mutable_update_time());
  outbox::Append(tx, outbox::StreamFor("identity"), program_id, event);
}

}  // namespace

absl::StatusOr<ClientMergeRecord> ClientMergeStore::Begin(const std::string& program_id,
                                                          const std::string& survivor_id,
                                                          const std::string& duplicate_id,
                                                          const std::string& request_id,
                                                          const AuditActor& merged_by) {
  if (survivor_id == duplicate_id) {
    return InvalidField("duplicate_client_id", "a client cannot be merged into itself");
  }
  ClientMergeRecord merge;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    // The merge this request id made before, if any.
    auto replay = [&]() -> std::optional<absl::Status> {
      std::optional<ClientMergeRecord> previous = FindMerge(tx, program_id, request_id);
      if (!previous) return std::nullopt;
      if (previous->survivor_id != survivor_id || previous->duplicate_id != duplicate_id) {
        return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                          "already used to merge other clients");
      }
      merge = *std::move(previous);
      return absl::OkStatus();
    };
    if (std::optional<absl::Status> replayed = replay()) return *replayed;
    Client survivor;
    Client duplicate;
    if (absl::Status locked =
            LockPair(tx, program_id, survivor_id, duplicate_id, survivor, duplicate);
        !locked.ok()) {
      // A concurrent twin of this request may have merged the pair while
      // this one waited for the locks: then its merge is the answer.
      if (std::optional<absl::Status> replayed = replay()) return *replayed;
      return locked;
    }
    const int64_t now_micros =
        tx.exec1("SELECT (extract(epoch FROM now()) * 1000000)::bigint")[0].as<int64_t>();

    ClientProfile merged = survivor.profile;
    const std::vector<std::string> filled =
        FillMissingFields(merged, duplicate.profile, survivor_id);
    // The duplicate's unique keys are freed before the survivor takes them.
    // Its e-mail goes too: identification by it must not find a MERGED
    // client (nor count it as a second holder of the address).
    tx.exec_params(
        "UPDATE clients SET phone = NULL, email = NULL, external_id = NULL,"
        " referral_code = NULL, phone_verified = false, email_verified = false,"
        " marketing_consent = false, merged_into = $3::uuid, version = version + 1,"
        " updated_at = now() WHERE program_id = $1 AND client_id = $2::uuid",
        program_id, duplicate_id, survivor_id);
    FillSurvivor(tx, program_id, survivor, duplicate, merged, filled);
    const std::vector<std::string> added_tags =
        MoveTags(tx, program_id, survivor_id, duplicate_id, merged_by, now_micros);
    const int moved_consents = MoveConsents(tx, program_id, survivor_id, duplicate_id);
    MoveAttributeValues(tx, program_id, survivor_id, duplicate_id);

    const ClientProfile& former = duplicate.profile;
    pqxx::row row = tx.exec_params1(
        absl::StrCat(
            "INSERT INTO client_merges (program_id, request_id, survivor_id, duplicate_id,"
            " state, added_tag_ids, filled_fields, moved_consent_records, former_phone,"
            " former_email, former_external_id, former_referral_code)"
            " VALUES ($1, $2, $3::uuid, $4::uuid, 'CARDS_PENDING', $5::uuid[], $6::text[], $7,"
            " $8, $9, $10, $11) RETURNING ",
            kMergeColumns),
        program_id, request_id, survivor_id, duplicate_id, pg::TextArray(added_tags),
        pg::TextArray(filled), moved_consents, NullIfEmpty(former.phone),
        NullIfEmpty(former.email), NullIfEmpty(former.external_id),
        NullIfEmpty(former.referral_code));
    merge = MergeFromRow(row);

    v1::ClientsMerged event;
    event.set_survivor_client_id(survivor_id);
    event.set_duplicate_client_id(duplicate_id);
    for (const std::string& tag : added_tags) event.add_added_tag_ids(tag);
    for (const std::string& field : filled) event.add_filled_fields(field);
    SetMicros(now_micros, event.mutable_merge_time());
    outbox::Append(tx, outbox::StreamFor("identity"), program_id, event);

    // One entry per client: what the survivor gained, what the duplicate lost.
    AuditChange kept{.action = "client.merge",
                     .object_type = "client",
                     .object_id = survivor_id,
                     .client_id = survivor_id};
    AddClientFieldsToAudit(survivor.profile, filled, kept.before);
    AddClientFieldsToAudit(merged, filled, kept.after);
    kept.after.Text("mergedClientId", duplicate_id).TextList("addedTagIds", added_tags);
    WriteAudit(tx, program_id, merged_by, kept);
    AuditChange gone{.action = "client.merge",
                     .object_type = "client",
                     .object_id = duplicate_id,
                     .client_id = duplicate_id};
    const std::vector<std::string> freed =
        ChangedClientFields(ClientProfile{}, ClientProfile{.phone = former.phone,
                                                          .email = former.email,
                                                          .external_id = former.external_id,
                                                          .referral_code = former.referral_code});
    AddClientFieldsToAudit(former, freed, gone.before);
    gone.after.Text("mergedIntoClientId", survivor_id);
    WriteAudit(tx, program_id, merged_by, gone);
    return absl::OkStatus();
  }));
  return merge;
}

absl::StatusOr<ClientMergeRecord> ClientMergeStore::Get(const std::string& program_id,
                                                        const std::string& request_id) {
  std::optional<ClientMergeRecord> merge;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    merge = FindMerge(tx, program_id, request_id);
    return absl::OkStatus();
  }));
  if (!merge) return absl::NotFoundError("no merge with this request id");
  return *merge;
}

absl::StatusOr<ClientMergeRecord> ClientMergeStore::CompleteCards(
    const std::string& program_id, const std::string& request_id,
    const std::vector<std::string>& owned_card_numbers,
    const std::vector<std::string>& held_card_numbers) {
  std::optional<ClientMergeRecord> merge;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    tx.exec_params(
        "UPDATE client_merges SET state = 'DONE', completed_at = now(),"
        " owned_card_numbers = $3::text[], held_card_numbers = $4::text[]"
        " WHERE program_id = $1 AND request_id = $2 AND state = 'CARDS_PENDING'",
        program_id, request_id, pg::TextArray(owned_card_numbers),
        pg::TextArray(held_card_numbers));
    merge = FindMerge(tx, program_id, request_id);
    return absl::OkStatus();
  }));
  if (!merge) return absl::NotFoundError("no merge with this request id");
  return *merge;
}

absl::Status ClientMergeStore::RecordCardsFailure(const std::string& program_id,
                                                  const std::string& request_id,
                                                  absl::string_view error) {
  return pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    tx.exec_params(
        "UPDATE client_merges SET cards_attempts = cards_attempts + 1, last_error = $3"
        " WHERE program_id = $1 AND request_id = $2 AND state = 'CARDS_PENDING'",
        program_id, request_id, std::string(error));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ClientMergeRecord>> ClientMergeStore::ListPending(
    absl::Time begun_before, int limit) {
  std::vector<ClientMergeRecord> pending;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pending.clear();
    for (const auto& row : tx.exec_params(
             absl::StrCat("SELECT ", kMergeColumns,
                          " FROM client_merges WHERE state = 'CARDS_PENDING'"
                          " AND created_at < 'epoch'::timestamptz"
                          " + $1::bigint * interval '1 microsecond'"
                          " ORDER BY created_at LIMIT $2"),
             absl::ToUnixMicros(begun_before), limit)) {
      pending.push_back(MergeFromRow(row));
    }
    return absl::OkStatus();
  }));
  return pending;
}

}  // namespace loyalty::identity
