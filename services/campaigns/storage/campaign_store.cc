#include "services/campaigns/storage/campaign_store.h"

#include <optional>

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/outbox/outbox.h"
#include "loyalty/campaigns/v1/events.pb.h"
#include "services/campaigns/api/convert.h"

namespace loyalty::campaigns {
namespace {

constexpr char kColumns[] =
    "campaign_id::text, program_id, name, description, state, priority,"
    " (extract(epoch FROM start_time) * 1000000)::bigint,"
    " (extract(epoch FROM end_time) * 1000000)::bigint,"
    " (extract(epoch FROM created_at) * 1000000)::bigint";

const char* StateName(CampaignState state) {
  switch (state) {
    case CampaignState::kDraft:
      return "DRAFT";
    case CampaignState::kActive:
      return "ACTIVE";
    case CampaignState::kPaused:
      return "PAUSED";
    case CampaignState::kFinished:
      return "FINISHED";
  }
  return "DRAFT";
}

CampaignState StateFromName(const std::string& name) {
  if (name == "ACTIVE") return CampaignState::kActive;
  if (name == "PAUSED") return CampaignState::kPaused;
  if (name == "FINISHED") return CampaignState::kFinished;
  return CampaignState::kDraft;
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

Campaign FromRow(const pqxx::row& row) {
  Campaign campaign;
  campaign.campaign_id = row[0].as<std::string>();
  campaign.program_id = row[1].as<std::string>();
  campaign.name = row[2].as<std::string>();
  campaign.description = row[3].as<std::string>();
  campaign.state = StateFromName(row[4].as<std::string>());
  campaign.priority = row[5].as<int32_t>();
  campaign.start_time = OptionalTime(row[6]);
  campaign.end_time = OptionalTime(row[7]);
  campaign.create_time = absl::FromUnixMicros(row[8].as<int64_t>());
  return campaign;
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
                                                       const std::string& request_id) {
  Campaign created;
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    if (!request_id.empty()) {
      pqxx::result previous =
          tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                      " FROM campaigns WHERE program_id = $1 AND request_id = $2"),
                         program_id, request_id);
      if (!previous.empty()) {
        created = FromRow(previous[0]);
        return absl::OkStatus();
      }
    }
    pqxx::row row = tx.exec_params1(
        absl::StrCat("INSERT INTO campaigns (campaign_id, program_id, name, description,"
                     " state, priority, start_time, end_time, request_id)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8::timestamptz, $9)"
                     " RETURNING ",
                     kColumns),
        NewUuid(), program_id, campaign.name, campaign.description, StateName(campaign.state),
        campaign.priority, PgTime(campaign.start_time), PgTime(campaign.end_time),
        request_id.empty() ? std::optional<std::string>() : request_id);
    created = FromRow(row);

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
        tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                    " FROM campaigns WHERE program_id = $1 AND campaign_id = $2"),
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
        !after ? tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                             " FROM campaigns WHERE program_id = $1"
                                             " ORDER BY priority DESC, name, campaign_id"
                                             " LIMIT $2"),
                                program_id, page_size + 1)
               : tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                             " FROM campaigns WHERE program_id = $1"
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

}  // namespace loyalty::campaigns
