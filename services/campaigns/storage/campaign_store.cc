#include "services/campaigns/storage/campaign_store.h"

#include <optional>
#include <stdexcept>

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/errors.h"
#include "libs/common/etag.h"
#include "libs/common/random_ids.h"
#include "libs/outbox/outbox.h"
#include "loyalty/campaigns/v1/events.pb.h"
#include "services/campaigns/api/convert.h"

namespace loyalty::campaigns {
namespace {

// A campaign as of one version: id, program, state and creation time from
// the campaigns row `c`, the definition from `d` (the campaigns row itself
// for the current version, or a campaign_versions row).
std::string Columns(absl::string_view d) {
  return absl::StrCat("c.campaign_id::text, c.program_id, ", d, ".name, ", d,
                      ".description, c.state, ", d, ".priority, (extract(epoch FROM ", d,
                      ".start_time) * 1000000)::bigint, (extract(epoch FROM ", d,
                      ".end_time) * 1000000)::bigint,"
                      " (extract(epoch FROM c.created_at) * 1000000)::bigint, ",
                      d, ".version, ", d, ".definition::text");
}

const std::string& CurrentColumns() {
  static const std::string* const columns = new std::string(Columns("c"));
  return *columns;
}

CampaignState StateFromName(const std::string& name) {
  if (name == "ACTIVE") return CampaignState::kActive;
  if (name == "PAUSED") return CampaignState::kPaused;
  if (name == "FINISHED") return CampaignState::kFinished;
  return CampaignState::kDraft;
}

// The rule part (stacking, schedule, audience, rules) as the JSON of a
// loyalty.campaigns.v1.Campaign: readable in psql, and proto field names
// keep it stable across renames in C++.
std::string DefinitionJson(const Campaign& campaign) {
  v1::Campaign message;
  DefinitionToProto(campaign, &message);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) {
    throw std::runtime_error("campaign definition does not print as JSON");
  }
  return json;
}

void ReadDefinition(const std::string& json, Campaign& campaign) {
  v1::Campaign message;
  if (!google::protobuf::util::JsonStringToMessage(json, &message).ok() ||
      !DefinitionFromProto(message, "", campaign).ok()) {
    // Only this service writes the column: a broken invariant, not bad input.
    throw std::runtime_error("stored campaign definition does not parse");
  }
}

std::optional<absl::Time> OptionalTime(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return absl::FromUnixMicros(field.as<int64_t>());
}

// Exact text form for a timestamptz parameter (microseconds, UTC).
std::optional<std::string> PgTime(const std::optional<absl::Time>& time) {
  if (!time) return std::nullopt;
  return absl::FormatTime("%E4Y-%m-%d %H:%M:%E6S+00", *time, absl::UTCTimeZone());
}

// Reads Columns() starting at column `first`.
Campaign FromRow(const pqxx::row& row, int first = 0) {
  Campaign campaign;
  campaign.campaign_id = row[first + 0].as<std::string>();
  campaign.program_id = row[first + 1].as<std::string>();
  campaign.name = row[first + 2].as<std::string>();
  campaign.description = row[first + 3].as<std::string>();
  campaign.state = StateFromName(row[first + 4].as<std::string>());
  campaign.priority = row[first + 5].as<int32_t>();
  campaign.start_time = OptionalTime(row[first + 6]);
  campaign.end_time = OptionalTime(row[first + 7]);
  campaign.create_time = absl::FromUnixMicros(row[first + 8].as<int64_t>());
  campaign.version = row[first + 9].as<int64_t>();
  ReadDefinition(row[first + 10].as<std::string>(), campaign);
  return campaign;
}

void InsertVersion(pg::Tx& tx, const Campaign& campaign, const std::string& request_id,
                   const Author& author) {
  tx.exec_params(
      "INSERT INTO campaign_versions (campaign_id, version, name, description, priority,"
      " start_time, end_time, definition, request_id, author)"
      " VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz, $8::jsonb, $9, $10)",
      campaign.campaign_id, campaign.version, campaign.name, campaign.description,
      campaign.priority, PgTime(campaign.start_time), PgTime(campaign.end_time),
      DefinitionJson(campaign), request_id.empty() ? std::optional<std::string>() : request_id,
      author.principal_id);
}

void EmitChanged(pg::Tx& tx, const std::string& program_id, const Campaign& campaign) {
  v1::CampaignChanged event;
  CampaignToProto(campaign, event.mutable_campaign());
  outbox::Append(tx, outbox::StreamFor("campaigns"), program_id, event);
}

// The active set or an active definition changed. The row lock this takes
// also orders concurrent changes of one program, so snapshot versions and
// what GetActiveCampaigns reads with them agree.
void BumpSnapshot(pg::Tx& tx, const std::string& program_id) {
  pqxx::row row = tx.exec_params1(
      "INSERT INTO campaign_snapshots (program_id, snapshot_version) VALUES ($1, 1)"
      " ON CONFLICT (program_id) DO UPDATE"
      " SET snapshot_version = campaign_snapshots.snapshot_version + 1"
      " RETURNING snapshot_version",
      program_id);
  v1::ActiveCampaignsChanged event;
  event.set_program_id(program_id);
  event.set_snapshot_version(row[0].as<int64_t>());
  outbox::Append(tx, outbox::StreamFor("campaigns"), program_id, event);
}

absl::StatusOr<Campaign> LockCampaign(pg::Tx& tx, const std::string& program_id,
                                      const std::string& campaign_id) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", CurrentColumns(),
                   " FROM campaigns c WHERE c.program_id = $1 AND c.campaign_id = $2 FOR UPDATE"),
      program_id, campaign_id);
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("campaign ", campaign_id, " not found"));
  }
  return FromRow(rows[0]);
}

// The token holds the sort key of the last campaign returned; the name goes
// last so that it may contain any character.
std::string EncodePageToken(const Campaign& last) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(last.priority, "\n", last.campaign_id, "\n", last.name));
}

struct PageKey {
  int32_t priority = 0;
  std::string campaign_id;
  std::string name;
};

absl::StatusOr<PageKey> DecodePageToken(const std::string& token) {
  std::string raw;
  std::vector<std::string> parts;
  if (absl::WebSafeBase64Unescape(token, &raw)) {
    parts = absl::StrSplit(raw, absl::MaxSplits('\n', 2));
  }
  PageKey key;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &key.priority) || !IsUuid(parts[1])) {
    return InvalidField("page_token", "not a token from a previous response");
  }
  key.campaign_id = parts[1];
  key.name = parts[2];
  return key;
}

}  // namespace

absl::StatusOr<Campaign> CampaignStore::CreateCampaign(const std::string& program_id,
                                                       const Campaign& campaign,
                                                       const std::string& request_id,
                                                       const Author& author) {
  Campaign created;
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    if (!request_id.empty()) {
      pqxx::result previous = tx.exec_params(
          absl::StrCat("SELECT ", CurrentColumns(),
                       " FROM campaigns c WHERE program_id = $1 AND request_id = $2"),
          program_id, request_id);
      if (!previous.empty()) {
        created = FromRow(previous[0]);
        return absl::OkStatus();
      }
    }
    pqxx::row row = tx.exec_params1(
        absl::StrCat("INSERT INTO campaigns AS c (campaign_id, program_id, name, description,"
                     " state, priority, start_time, end_time, request_id, version, definition)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8::timestamptz, $9,"
                     " 1, $10::jsonb) RETURNING ",
                     CurrentColumns()),
        NewUuid(), program_id, campaign.name, campaign.description, StateName(campaign.state),
        campaign.priority, PgTime(campaign.start_time), PgTime(campaign.end_time),
        request_id.empty() ? std::optional<std::string>() : request_id, DefinitionJson(campaign));
    created = FromRow(row);
    InsertVersion(tx, created, "", author);

    v1::CampaignCreated event;
    CampaignToProto(created, event.mutable_campaign());
    outbox::Append(tx, outbox::StreamFor("campaigns"), program_id, event);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<Campaign> CampaignStore::GetCampaign(const std::string& program_id,
                                                    const std::string& campaign_id) {
  if (!IsUuid(campaign_id)) return InvalidField("campaign_id", "not a UUID");
  std::optional<Campaign> campaign;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    pqxx::result rows =
        tx.exec_params(absl::StrCat("SELECT ", CurrentColumns(),
                                    " FROM campaigns c WHERE program_id = $1 AND campaign_id = $2"),
                       program_id, campaign_id);
    if (!rows.empty()) campaign = FromRow(rows[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!campaign) {
    return absl::NotFoundError(absl::StrCat("campaign ", campaign_id, " not found"));
  }
  return *campaign;
}

absl::StatusOr<CampaignPage> CampaignStore::ListCampaigns(const std::string& program_id,
                                                          int page_size,
                                                          const std::string& page_token) {
  std::optional<PageKey> after;
  if (!page_token.empty()) {
    absl::StatusOr<PageKey> key = DecodePageToken(page_token);
    if (!key.ok()) return key.status();
    after = *std::move(key);
  }
  CampaignPage page;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    page.campaigns.clear();
    // Keyset pagination over (priority DESC, name, campaign_id): stable
    // under concurrent inserts, no OFFSET scans.
    pqxx::result rows =
        !after ? tx.exec_params(absl::StrCat("SELECT ", CurrentColumns(),
                                             " FROM campaigns c WHERE program_id = $1"
                                             " ORDER BY priority DESC, name, campaign_id"
                                             " LIMIT $2"),
                                program_id, page_size + 1)
               : tx.exec_params(absl::StrCat("SELECT ", CurrentColumns(),
                                             " FROM campaigns c WHERE program_id = $1"
                                             " AND (priority < $2 OR (priority = $2"
                                             "      AND (name, campaign_id) > ($3, $4::uuid)))"
                                             " ORDER BY priority DESC, name, campaign_id LIMIT $5"),
                                program_id, after->priority, after->name, after->campaign_id,
                                page_size + 1);
    for (const auto& row : rows) page.campaigns.push_back(FromRow(row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (static_cast<int>(page.campaigns.size()) > page_size) {
    page.campaigns.pop_back();
    page.next_page_token = EncodePageToken(page.campaigns.back());
  }
  return page;
}

absl::StatusOr<Campaign> CampaignStore::UpdateCampaign(const std::string& program_id,
                                                       const std::string& campaign_id,
                                                       std::optional<int64_t> expected_version,
                                                       const std::string& request_id,
                                                       const Author& author, const EditFn& edit) {
  if (!IsUuid(campaign_id)) return InvalidField("campaign.campaign_id", "not a UUID");
  Campaign result;
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    absl::StatusOr<Campaign> current = LockCampaign(tx, program_id, campaign_id);
    if (!current.ok()) return current.status();
    if (!request_id.empty() &&
        !tx.exec_params("SELECT 1 FROM campaign_versions WHERE campaign_id = $1"
                        " AND request_id = $2",
                        campaign_id, request_id)
             .empty()) {
      result = *current;
      return absl::OkStatus();
    }
    absl::Status fresh = CheckVersion("campaign.etag", expected_version, current->version);
    if (!fresh.ok()) return fresh;
    Campaign edited = *current;
    absl::Status edit_status = edit(*current, edited);
    if (!edit_status.ok()) return edit_status;
    edited.version = current->version + 1;
    tx.exec_params(
        "UPDATE campaigns SET name = $3, description = $4, priority = $5,"
        " start_time = $6::timestamptz, end_time = $7::timestamptz, version = $8,"
        " definition = $9::jsonb WHERE program_id = $1 AND campaign_id = $2",
        program_id, campaign_id, edited.name, edited.description, edited.priority,
        PgTime(edited.start_time), PgTime(edited.end_time), edited.version, DefinitionJson(edited));
    InsertVersion(tx, edited, request_id, author);
    EmitChanged(tx, program_id, edited);
    if (edited.state == CampaignState::kActive) BumpSnapshot(tx, program_id);
    result = edited;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<Campaign> CampaignStore::SetState(const std::string& program_id,
                                                 const std::string& campaign_id,
                                                 CampaignState target, const CheckFn& check) {
  if (!IsUuid(campaign_id)) return InvalidField("campaign_id", "not a UUID");
  Campaign result;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    absl::StatusOr<Campaign> current = LockCampaign(tx, program_id, campaign_id);
    if (!current.ok()) return current.status();
    absl::StatusOr<bool> changes = CheckTransition(current->state, target);
    if (!changes.ok()) return changes.status();
    result = *current;
    if (!*changes) return absl::OkStatus();
    absl::Status allowed = check(*current);
    if (!allowed.ok()) return allowed;
    result.state = target;
    tx.exec_params("UPDATE campaigns SET state = $3 WHERE program_id = $1 AND campaign_id = $2",
                   program_id, campaign_id, StateName(target));
    EmitChanged(tx, program_id, result);
    if ((current->state == CampaignState::kActive) != (target == CampaignState::kActive)) {
      BumpSnapshot(tx, program_id);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<Campaign> CampaignStore::GetCampaignVersion(const std::string& program_id,
                                                           const std::string& campaign_id,
                                                           int64_t version) {
  if (!IsUuid(campaign_id)) return InvalidField("campaign_id", "not a UUID");
  if (version < 1) return InvalidField("version", "must be 1 or more");
  std::optional<Campaign> campaign;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    campaign.reset();
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", Columns("v"),
                     " FROM campaign_versions v JOIN campaigns c USING (campaign_id)"
                     " WHERE c.program_id = $1 AND c.campaign_id = $2 AND v.version = $3"),
        program_id, campaign_id, version);
    if (!rows.empty()) campaign = FromRow(rows[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!campaign) {
    return absl::NotFoundError(
        absl::StrCat("version ", version, " of campaign ", campaign_id, " not found"));
  }
  return *campaign;
}

absl::StatusOr<ActiveCampaigns> CampaignStore::GetActiveCampaigns(const std::string& program_id) {
  ActiveCampaigns active;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    active = ActiveCampaigns{};
    // One statement, so the counter and the set come from one snapshot of
    // the database (every change of the set bumps the counter in its
    // transaction).
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT s.snapshot_version, ", CurrentColumns(),
                     " FROM (SELECT coalesce((SELECT snapshot_version FROM campaign_snapshots"
                     "   WHERE program_id = $1), 0) AS snapshot_version) s"
                     " LEFT JOIN campaigns c ON c.program_id = $1 AND c.state = 'ACTIVE'"
                     " ORDER BY c.priority DESC, c.campaign_id"),
        program_id);
    for (const auto& row : rows) {
      active.snapshot_version = row[0].as<int64_t>();
      if (!row[1].is_null()) active.campaigns.push_back(FromRow(row, 1));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return active;
}

}  // namespace loyalty::campaigns
