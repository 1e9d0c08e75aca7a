#include "services/segmentation/storage/segment_store.h"

#include <optional>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"

namespace loyalty::segmentation {
namespace {

constexpr char kColumns[] =
    "segment_id::text, program_id, name, member_count,"
    " (extract(epoch FROM created_at) * 1000000)::bigint";

Segment FromRow(const pqxx::row& row) {
  Segment segment;
  segment.segment_id = row[0].as<std::string>();
  segment.program_id = row[1].as<std::string>();
  segment.name = row[2].as<std::string>();
  segment.size = row[3].as<int64_t>();
  segment.create_time = absl::FromUnixMicros(row[4].as<int64_t>());
  return segment;
}

// PostgreSQL array literal of ids already checked to be UUIDs.
std::string UuidArray(const std::vector<std::string>& ids) {
  return absl::StrCat("{", absl::StrJoin(ids, ","), "}");
}

std::string PgTime(absl::Time time) {
  return absl::FormatTime("%E4Y-%m-%d %H:%M:%E6S+00", time, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<Segment> SegmentStore::CreateSegment(const std::string& program_id,
                                                    const Segment& segment,
                                                    const std::string& request_id) {
  Segment created;
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    if (!request_id.empty()) {
      pqxx::result previous =
          tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                      " FROM segments WHERE program_id = $1 AND request_id = $2"),
                         program_id, request_id);
      if (!previous.empty()) {
        created = FromRow(previous[0]);
        return absl::OkStatus();
      }
    }
    pqxx::row row = tx.exec_params1(
        absl::StrCat("INSERT INTO segments (segment_id, program_id, name, request_id)"
                     " VALUES ($1, $2, $3, $4) RETURNING ",
                     kColumns),
        NewUuid(), program_id, segment.name,
        request_id.empty() ? std::optional<std::string>() : request_id);
    created = FromRow(row);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<Segment> SegmentStore::GetSegment(const std::string& program_id,
                                                 const std::string& segment_id) {
  if (!IsUuid(segment_id)) return InvalidField("segment_id", "not a UUID");
  std::optional<Segment> segment;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    pqxx::result rows =
        tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                    " FROM segments WHERE program_id = $1 AND segment_id = $2"),
                       program_id, segment_id);
    if (!rows.empty()) segment = FromRow(rows[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!segment) return absl::NotFoundError(absl::StrCat("segment ", segment_id, " not found"));
  return *segment;
}

absl::StatusOr<Segment> SegmentStore::AddSegmentMembers(const std::string& program_id,
                                                        const std::string& segment_id,
                                                        const MemberBatch& batch) {
  if (!IsUuid(segment_id)) return InvalidField("segment_id", "not a UUID");
  std::optional<Segment> segment;
  const std::string ids = UuidArray(batch.client_ids);
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    segment.reset();
    // Locking the segment row serialises concurrent additions to it, which
    // keeps member_count equal to the number of member rows.
    pqxx::result rows = tx.exec_params(
        "SELECT 1 FROM segments WHERE program_id = $1 AND segment_id = $2 FOR UPDATE", program_id,
        segment_id);
    if (rows.empty()) return absl::OkStatus();

    pqxx::result unknown = tx.exec_params(
        "SELECT c.position FROM unnest($1::uuid[]) WITH ORDINALITY AS c(client_id, position)"
        " WHERE NOT EXISTS (SELECT 1 FROM known_clients k"
        "                   WHERE k.program_id = $2 AND k.client_id = c.client_id)"
        " ORDER BY c.position LIMIT 1",
        ids, program_id);
    if (!unknown.empty()) {
      size_t position = unknown[0][0].as<size_t>() - 1;  // ORDINALITY is 1-based
      return InvalidField(
          absl::StrCat("client_ids[", batch.request_index.at(position), "]"),
          "no client with this id is registered in this program as far as segmentation "
          "knows; a client registered moments ago becomes known once identity's event "
          "arrives, so retry shortly");
    }

    pqxx::result inserted = tx.exec_params(
        "INSERT INTO segment_members (segment_id, client_id)"
        " SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING",
        segment_id, ids);
    pqxx::row row =
        tx.exec_params1(absl::StrCat("UPDATE segments SET member_count = member_count + $1"
                                     " WHERE segment_id = $2 RETURNING ",
                                     kColumns),
                        static_cast<int64_t>(inserted.affected_rows()), segment_id);
    segment = FromRow(row);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!segment) return absl::NotFoundError(absl::StrCat("segment ", segment_id, " not found"));
  return *segment;
}

absl::StatusOr<bool> SegmentStore::ApplyClientRegistered(const ClientRegistration& registration) {
  bool applied = false;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result marked =
        tx.exec_params("INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING",
                       registration.event_id);
    applied = marked.affected_rows() == 1;
    if (!applied) return absl::OkStatus();
    tx.exec_params(
        "INSERT INTO known_clients (program_id, client_id, registered_at)"
        " VALUES ($1, $2, $3::timestamptz) ON CONFLICT DO NOTHING",
        registration.program_id, registration.client_id, PgTime(registration.registered_at));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return applied;
}

}  // namespace loyalty::segmentation
