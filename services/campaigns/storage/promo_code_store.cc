#include "services/campaigns/storage/promo_code_store.h"

#include <algorithm>
#include <optional>

#include <pqxx/pqxx>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/outbox/outbox.h"
#include "libs/pg/array_literal.h"
#include "loyalty/campaigns/v1/promo_code_events.pb.h"
#include "services/campaigns/api/promo_code_convert.h"

namespace loyalty::campaigns {
namespace {

// Times cross the boundary as microseconds since the epoch: exact both ways.
#define LOYALTY_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"
std::string At(int parameter) {
  return absl::StrCat("(timestamptz 'epoch' + $", parameter,
                      "::bigint * interval '1 microsecond')");
}

// A pool's columns; counting its codes reads up to 100,000 index entries,
// so only reads that return the pool to a caller do it.
std::string PoolColumns(bool count_codes) {
  return absl::StrCat(
      "p.pool_id::text, p.program_id, p.name, p.kind,"
      " coalesce((SELECT c.code FROM promo_codes c"
      "           WHERE c.pool_id = p.pool_id AND p.kind = 'SHARED' LIMIT 1), ''),"
      " p.max_uses_per_code, p.per_client_limit, " LOYALTY_MICROS("p.start_time") ", "
      LOYALTY_MICROS("p.end_time") ", coalesce(p.campaign_id::text, ''),"
      " p.archived_at IS NOT NULL, ",
      count_codes ? "(SELECT count(*) FROM promo_codes c WHERE c.pool_id = p.pool_id)"
                  : "0::bigint",
      ", " LOYALTY_MICROS("p.created_at"));
}

// Uses that count against a code's limit at $2 (microseconds): consumed,
// or reserved and not yet expired. Released rows never count.
std::string UsageColumns(int now_parameter) {
  return absl::StrCat(
      "c.code, c.pool_id::text,"
      " count(r.code_id) FILTER (WHERE r.state = 'CONSUMED'),"
      " count(r.code_id) FILTER (WHERE r.state = 'RESERVED' AND r.expires_at > ",
      At(now_parameter), "), p.max_uses_per_code, p.archived_at IS NOT NULL");
}

constexpr char kUsageJoins[] =
    " FROM promo_codes c JOIN promo_code_pools p ON p.pool_id = c.pool_id"
    " LEFT JOIN promo_code_reservations r ON r.code_id = c.code_id AND r.state <> 'RELEASED'";

constexpr char kReservationSelect[] =
    "SELECT r.reservation_id, c.code, r.pool_id::text, coalesce(r.client_id, ''),"
    " r.receipt_reference, r.state, " LOYALTY_MICROS("r.expires_at")
    ", coalesce(p.campaign_id::text, '')"
    " FROM promo_code_reservations r JOIN promo_codes c ON c.code_id = r.code_id"
    " JOIN promo_code_pools p ON p.pool_id = r.pool_id"
    " WHERE r.program_id = $1 AND r.reservation_id = $2";

constexpr char kIssueSelect[] =
    "SELECT i.issue_id, i.pool_id::text, c.code, i.client_id, coalesce(p.campaign_id::text, ''), "
    LOYALTY_MICROS("i.created_at")
    " FROM promo_code_issues i JOIN promo_codes c ON c.code_id = i.code_id"
    " JOIN promo_code_pools p ON p.pool_id = i.pool_id"
    " WHERE i.program_id = $1 AND i.issue_id = $2";
#undef LOYALTY_MICROS

std::optional<int64_t> Micros(const std::optional<absl::Time>& time) {
  if (!time) return std::nullopt;
  return absl::ToUnixMicros(*time);
}

std::optional<absl::Time> TimeOrUnset(const pqxx::field& field) {
  return field.is_null() ? std::nullopt
                         : std::optional<absl::Time>(absl::FromUnixMicros(field.as<int64_t>()));
}

PromoCodePool PoolFromRow(const pqxx::row& row) {
  PromoCodePool pool;
  pool.pool_id = row[0].as<std::string>();
  pool.program_id = row[1].as<std::string>();
  pool.name = row[2].as<std::string>();
  pool.kind = row[3].as<std::string>() == "SHARED" ? PoolKind::kShared : PoolKind::kUnique;
  pool.code = row[4].as<std::string>();
  pool.max_uses_per_code = row[5].as<int32_t>();
  pool.per_client_limit = row[6].as<int32_t>();
  pool.start_time = TimeOrUnset(row[7]);
  pool.end_time = TimeOrUnset(row[8]);
  pool.campaign_id = row[9].as<std::string>();
  pool.archived = row[10].as<bool>();
  pool.code_count = row[11].as<int64_t>();
  pool.create_time = absl::FromUnixMicros(row[12].as<int64_t>());
  return pool;
}

PromoCodeUsage UsageFromRow(const pqxx::row& row) {
  PromoCodeUsage usage;
  usage.code = row[0].as<std::string>();
  usage.pool_id = row[1].as<std::string>();
  usage.consumed_uses = row[2].as<int32_t>();
  usage.reserved_uses = row[3].as<int32_t>();
  usage.max_uses = row[4].as<int32_t>();
  usage.archived = row[5].as<bool>();
  return usage;
}

ReservationState StateFromName(const std::string& name) {
  if (name == "CONSUMED") return ReservationState::kConsumed;
  if (name == "RELEASED") return ReservationState::kReleased;
  return ReservationState::kReserved;
}

Reservation ReservationFromRow(const pqxx::row& row) {
  Reservation reservation;
  reservation.reservation_id = row[0].as<std::string>();
  reservation.code = row[1].as<std::string>();
  reservation.pool_id = row[2].as<std::string>();
  reservation.client_id = row[3].as<std::string>();
  reservation.receipt_reference = row[4].as<std::string>();
  reservation.state = StateFromName(row[5].as<std::string>());
  reservation.expire_time = absl::FromUnixMicros(row[6].as<int64_t>());
  reservation.campaign_id = row[7].as<std::string>();
  return reservation;
}

std::optional<std::string> NullIfEmpty(const std::string& text) {
  return text.empty() ? std::nullopt : std::optional<std::string>(text);
}

absl::Status PoolNotFound(const std::string& pool_id) {
  return FieldError(absl::StatusCode::kNotFound, "pool_id",
                    absl::StrCat("promo code pool ", pool_id, " not found"));
}

// What a pool is read for.
enum class PoolRead {
  kToReturn,    // with its code count
  kToUse,       // rules only
  kToAddCodes,  // rules only, row locked
};

absl::StatusOr<PromoCodePool> LoadPool(pg::Tx& tx, const std::string& program_id,
                                       const std::string& pool_id, PoolRead read) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", PoolColumns(read == PoolRead::kToReturn),
                   " FROM promo_code_pools p WHERE p.program_id = $1 AND p.pool_id = $2",
                   read == PoolRead::kToAddCodes ? " FOR UPDATE OF p" : ""),
      program_id, pool_id);
  if (rows.empty()) return PoolNotFound(pool_id);
  return PoolFromRow(rows[0]);
}

// Generated and imported codes go into UNIQUE pools that are in use.
absl::StatusOr<PromoCodePool> LoadPoolForNewCodes(pg::Tx& tx, const std::string& program_id,
                                                  const std::string& pool_id) {
  // The row lock orders concurrent additions to one pool, so code_count in
  // their events is exact.
  absl::StatusOr<PromoCodePool> pool = LoadPool(tx, program_id, pool_id, PoolRead::kToAddCodes);
  if (!pool.ok()) return pool.status();
  if (pool->kind != PoolKind::kUnique) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "pool_id",
                      "a SHARED pool has exactly its own code");
  }
  if (pool->archived) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "pool_id", "the pool is archived");
  }
  return pool;
}

int64_t CountCodes(pg::Tx& tx, const std::string& pool_id) {
  return tx.exec_params1("SELECT count(*) FROM promo_codes WHERE pool_id = $1", pool_id)[0]
      .as<int64_t>();
}

// The earlier call's outcome for a GenerateCodes / ImportCodes request id.
std::optional<int32_t> PreviousBatch(pg::Tx& tx, const std::string& program_id,
                                     const std::string& request_id) {
  if (request_id.empty()) return std::nullopt;
  pqxx::result rows = tx.exec_params(
      "SELECT added FROM promo_code_batches WHERE program_id = $1 AND request_id = $2", program_id,
      request_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<int32_t>();
}

void RecordBatch(pg::Tx& tx, const std::string& program_id, const std::string& pool_id,
                 const std::string& request_id, const char* source, int32_t added,
                 int64_t code_count) {
  if (!request_id.empty()) {
    tx.exec_params(
        "INSERT INTO promo_code_batches (program_id, request_id, pool_id, source, added)"
        " VALUES ($1, $2, $3, $4, $5)",
        program_id, request_id, pool_id, source, added);
  }
  v1::PromoCodesAdded event;
  event.set_pool_id(pool_id);
  event.set_source(source);
  event.set_added(added);
  event.set_code_count(code_count);
  outbox::Append(tx, outbox::StreamFor("campaigns"), program_id, event);
}

// Inserts the codes not yet in the program; returns those inserted.
int64_t InsertNewCodes(pg::Tx& tx, const std::string& program_id, const std::string& pool_id,
                       const std::vector<std::string>& codes) {
  pqxx::result inserted = tx.exec_params(
      "INSERT INTO promo_codes (program_id, pool_id, code)"
      " SELECT $1, $2, unnest($3::text[])"
      " ON CONFLICT (program_id, code) DO NOTHING",
      program_id, pool_id, pg::TextArray(codes));
  return inserted.affected_rows();
}

// Rounds of redrawing before giving up: with the length check of
// PrepareGenerateSpec a round leaves well under 1% to redraw, so running
// out means the pool's code space is nearly full.
constexpr int kMaxGenerateRounds = 8;

absl::Status ReservationNotFound(const std::string& reservation_id) {
  return FieldError(absl::StatusCode::kNotFound, "reservation_id",
                    absl::StrCat("promo code reservation ", reservation_id, " not found"));
}

absl::StatusOr<Reservation> LoadReservation(pg::Tx& tx, const std::string& program_id,
                                            const std::string& reservation_id, bool for_update) {
  pqxx::result rows =
      tx.exec_params(absl::StrCat(kReservationSelect, for_update ? " FOR UPDATE OF r" : ""),
                     program_id, reservation_id);
  if (rows.empty()) return ReservationNotFound(reservation_id);
  return ReservationFromRow(rows[0]);
}

void SetReservationState(pg::Tx& tx, const std::string& program_id,
                         const std::string& reservation_id, const char* state) {
  tx.exec_params(
      "UPDATE promo_code_reservations SET state = $3, updated_at = now()"
      " WHERE program_id = $1 AND reservation_id = $2",
      program_id, reservation_id, state);
}

std::optional<IssuedCode> LoadIssue(pg::Tx& tx, const std::string& program_id,
                                    const std::string& issue_id) {
  pqxx::result rows = tx.exec_params(kIssueSelect, program_id, issue_id);
  if (rows.empty()) return std::nullopt;
  IssuedCode issued;
  issued.issue_id = rows[0][0].as<std::string>();
  issued.pool_id = rows[0][1].as<std::string>();
  issued.code = rows[0][2].as<std::string>();
  issued.client_id = rows[0][3].as<std::string>();
  issued.campaign_id = rows[0][4].as<std::string>();
  issued.issue_time = absl::FromUnixMicros(rows[0][5].as<int64_t>());
  return issued;
}

// A UNIQUE pool's code nobody holds: never issued, and not reserved or
// consumed at a till (whoever typed it there knows it already).
constexpr char kCodeNotHeld[] =
    " NOT EXISTS (SELECT 1 FROM promo_code_issues i WHERE i.code_id = c.code_id AND i.exclusive)"
    " AND NOT EXISTS (SELECT 1 FROM promo_code_reservations r"
    "                 WHERE r.code_id = c.code_id AND r.state <> 'RELEASED')";

// Looks a claim makes before giving up as ABORTED; each miss means a
// concurrent issue took the candidate, which the next look no longer sees.
constexpr int kMaxClaimAttempts = 32;

// Locks and returns an unheld code of a UNIQUE pool.
absl::StatusOr<int64_t> ClaimUnheldCode(pg::Tx& tx, const std::string& pool_id) {
  const std::string select_free =
      absl::StrCat("SELECT c.code_id FROM promo_codes c WHERE c.pool_id = $1 AND", kCodeNotHeld,
                   " ORDER BY c.code_id LIMIT 1 FOR UPDATE OF c");
  for (int attempt = 0; attempt < kMaxClaimAttempts; ++attempt) {
    // SKIP LOCKED: concurrent issues take different codes instead of all
    // queueing on the first free one. Only when every free code is locked
    // does the claim wait, since the holder may still roll back: skipping
    // then would call a pool exhausted that is not.
    pqxx::result candidate = tx.exec_params(select_free + " SKIP LOCKED", pool_id);
    if (candidate.empty()) candidate = tx.exec_params(select_free, pool_id);
    if (candidate.empty()) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "pool_id",
                        absl::StrCat("promo code pool ", pool_id, " has no unused code left"));
    }
    const int64_t code_id = candidate[0][0].as<int64_t>();
    // The candidate came from the statement's snapshot: an issue that
    // committed and let go of the row just before we locked it is not in
    // that snapshot. A new statement, run while we hold the lock, sees it.
    pqxx::result still_free = tx.exec_params(
        absl::StrCat("SELECT 1 FROM promo_codes c WHERE c.code_id = $1 AND", kCodeNotHeld),
        code_id);
    if (!still_free.empty()) return code_id;
  }
  return absl::AbortedError("concurrent issues kept taking the same promo codes; retry");
}

}  // namespace

absl::StatusOr<PromoCodePool> PromoCodeStore::CreatePool(const std::string& program_id,
                                                         const PromoCodePool& pool,
                                                         const std::string& request_id) {
  PromoCodePool created;
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    if (!request_id.empty()) {
      pqxx::result previous = tx.exec_params(
          absl::StrCat("SELECT ", PoolColumns(true),
                       " FROM promo_code_pools p WHERE p.program_id = $1 AND p.request_id = $2"),
          program_id, request_id);
      if (!previous.empty()) {
        created = PoolFromRow(previous[0]);
        return absl::OkStatus();
      }
    }
    if (!pool.campaign_id.empty()) {
      pqxx::result campaign =
          tx.exec_params("SELECT 1 FROM campaigns WHERE program_id = $1 AND campaign_id = $2",
                         program_id, pool.campaign_id);
      if (campaign.empty()) {
        return FieldError(absl::StatusCode::kNotFound, "pool.campaign_id",
                          absl::StrCat("campaign ", pool.campaign_id, " not found"));
      }
    }
    const std::string pool_id = NewUuid();
    tx.exec_params(
        absl::StrCat("INSERT INTO promo_code_pools (pool_id, program_id, name, kind,"
                     " max_uses_per_code, per_client_limit, start_time, end_time, campaign_id,"
                     " request_id) VALUES ($1, $2, $3, $4, $5, $6, ",
                     At(7), ", ", At(8), ", $9::uuid, $10)"),
        pool_id, program_id, pool.name, pool.kind == PoolKind::kShared ? "SHARED" : "UNIQUE",
        pool.max_uses_per_code, pool.per_client_limit, Micros(pool.start_time),
        Micros(pool.end_time), NullIfEmpty(pool.campaign_id), NullIfEmpty(request_id));
    if (pool.kind == PoolKind::kShared &&
        InsertNewCodes(tx, program_id, pool_id, {pool.code}) == 0) {
      return FieldError(absl::StatusCode::kAlreadyExists, "pool.code",
                        "the program already has this promo code");
    }
    ASSIGN_OR_RETURN(created, LoadPool(tx, program_id, pool_id, PoolRead::kToReturn));
    v1::PromoCodePoolCreated event;
    PoolToProto(created, event.mutable_pool());
    outbox::Append(tx, outbox::StreamFor("campaigns"), program_id, event);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<PromoCodePool> PromoCodeStore::GetPool(const std::string& program_id,
                                                      const std::string& pool_id) {
  if (!IsUuid(pool_id)) return InvalidField("pool_id", "not a UUID");
  PromoCodePool pool;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(pool, LoadPool(tx, program_id, pool_id, PoolRead::kToReturn));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return pool;
}

absl::StatusOr<PoolPage> PromoCodeStore::ListPools(const std::string& program_id, int page_size,
                                                   const std::string& page_token) {
  // The position is "<created_at micros>/<pool_id>" of the last pool returned.
  int64_t after_micros = 0;
  std::string after_id;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(std::string position, DecodePageToken(page_token));
    std::vector<std::string> parts = absl::StrSplit(position, '/');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &after_micros) || !IsUuid(parts[1])) {
      return InvalidField("page_token", "not a token from a previous response");
    }
    after_id = parts[1];
  }
  PoolPage page;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    page.pools.clear();
    pqxx::result rows =
        after_id.empty()
            ? tx.exec_params(absl::StrCat("SELECT ", PoolColumns(true),
                                          " FROM promo_code_pools p WHERE p.program_id = $1"
                                          " ORDER BY p.created_at DESC, p.pool_id LIMIT $2"),
                             program_id, page_size + 1)
            : tx.exec_params(absl::StrCat("SELECT ", PoolColumns(true),
                                          " FROM promo_code_pools p WHERE p.program_id = $1"
                                          " AND (p.created_at < ",
                                          At(2), " OR (p.created_at = ", At(2),
                                          " AND p.pool_id > $3::uuid))"
                                          " ORDER BY p.created_at DESC, p.pool_id LIMIT $4"),
                             program_id, after_micros, after_id, page_size + 1);
    for (const auto& row : rows) page.pools.push_back(PoolFromRow(row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (static_cast<int>(page.pools.size()) > page_size) {
    page.pools.pop_back();
    const PromoCodePool& last = page.pools.back();
    page.next_page_token =
        EncodePageToken(absl::StrCat(absl::ToUnixMicros(last.create_time), "/", last.pool_id));
  }
  return page;
}

absl::StatusOr<PromoCodePool> PromoCodeStore::ArchivePool(const std::string& program_id,
                                                          const std::string& pool_id) {
  if (!IsUuid(pool_id)) return InvalidField("pool_id", "not a UUID");
  PromoCodePool archived;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result updated = tx.exec_params(
        "UPDATE promo_code_pools SET archived_at = coalesce(archived_at, now())"
        " WHERE program_id = $1 AND pool_id = $2",
        program_id, pool_id);
    if (updated.affected_rows() == 0) return PoolNotFound(pool_id);
    ASSIGN_OR_RETURN(archived, LoadPool(tx, program_id, pool_id, PoolRead::kToReturn));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return archived;
}

absl::StatusOr<GenerateResult> PromoCodeStore::GenerateCodes(const std::string& program_id,
                                                             const std::string& pool_id,
                                                             const GenerateSpec& spec,
                                                             const std::string& request_id) {
  if (!IsUuid(pool_id)) return InvalidField("pool_id", "not a UUID");
  GenerateResult result;
  absl::BitGen random;
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    if (std::optional<int32_t> previous = PreviousBatch(tx, program_id, request_id)) {
      result.generated = *previous;
      result.code_count = CountCodes(tx, pool_id);
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(LoadPoolForNewCodes(tx, program_id, pool_id).status());
    int64_t missing = spec.count;
    for (int round = 0; round < kMaxGenerateRounds && missing > 0; ++round) {
      absl::flat_hash_set<std::string> drawn;
      drawn.reserve(missing);
      while (static_cast<int64_t>(drawn.size()) < missing) drawn.insert(RandomCode(random, spec));
      missing -= InsertNewCodes(tx, program_id, pool_id,
                                std::vector<std::string>(drawn.begin(), drawn.end()));
    }
    if (missing > 0) {
      return FieldError(absl::StatusCode::kResourceExhausted, "length",
                        "too few unused codes of this length and prefix are left");
    }
    result.generated = spec.count;
    result.code_count = CountCodes(tx, pool_id);
    RecordBatch(tx, program_id, pool_id, request_id, "GENERATED", result.generated,
                result.code_count);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<ImportResult> PromoCodeStore::ImportCodes(const std::string& program_id,
                                                         const std::string& pool_id,
                                                         const std::vector<std::string>& codes,
                                                         const std::string& request_id) {
  if (!IsUuid(pool_id)) return InvalidField("pool_id", "not a UUID");
  // Malformed and repeated codes are found without the database.
  ImportResult result;
  std::vector<std::string> normalised(codes.size());
  absl::flat_hash_map<std::string, int32_t> first_index;
  for (size_t i = 0; i < codes.size(); ++i) {
    const int32_t index = static_cast<int32_t>(i);
    absl::StatusOr<std::string> code = NormaliseCode(codes[i], "codes");
    if (!code.ok()) {
      result.errors.push_back({index, codes[i], std::string(code.status().message())});
      continue;
    }
    normalised[i] = *code;
    auto [it, inserted] = first_index.emplace(*code, index);
    if (!inserted) {
      result.errors.push_back(
          {index, *code, absl::StrCat("repeats the code at index ", it->second)});
    }
  }
  std::vector<ImportError> format_errors = result.errors;
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    result.errors = format_errors;
    result.imported = 0;
    if (std::optional<int32_t> previous = PreviousBatch(tx, program_id, request_id)) {
      result.imported = *previous;
      result.errors.clear();
      result.code_count = CountCodes(tx, pool_id);
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(LoadPoolForNewCodes(tx, program_id, pool_id).status());
    std::vector<std::string> distinct;
    distinct.reserve(first_index.size());
    for (const auto& [code, index] : first_index) distinct.push_back(code);
    pqxx::result taken = tx.exec_params(
        "SELECT code FROM promo_codes WHERE program_id = $1 AND code = ANY($2::text[])", program_id,
        pg::TextArray(distinct));
    for (const auto& row : taken) {
      const std::string code = row[0].as<std::string>();
      result.errors.push_back({first_index[code], code, "the program already has this code"});
    }
    if (!result.errors.empty()) {
      std::sort(result.errors.begin(), result.errors.end(),
                [](const ImportError& a, const ImportError& b) { return a.index < b.index; });
      result.code_count = CountCodes(tx, pool_id);
      return absl::OkStatus();
    }
    // The check above and this insert race with other imports only through
    // the unique index: a lost race is an ALREADY_EXISTS that reruns this
    // body, which then reports the code as taken.
    tx.exec_params(
        "INSERT INTO promo_codes (program_id, pool_id, code) SELECT $1, $2, unnest($3::text[])",
        program_id, pool_id, pg::TextArray(normalised));
    result.imported = static_cast<int32_t>(normalised.size());
    result.code_count = CountCodes(tx, pool_id);
    RecordBatch(tx, program_id, pool_id, request_id, "IMPORTED", result.imported,
                result.code_count);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<CodePage> PromoCodeStore::ListCodes(const std::string& program_id,
                                                   const std::string& pool_id, int page_size,
                                                   const std::string& page_token) {
  if (!IsUuid(pool_id)) return InvalidField("pool_id", "not a UUID");
  ASSIGN_OR_RETURN(int64_t after_code_id, DecodeIdPageToken(page_token, 0));
  const absl::Time now = now_();
  CodePage page;
  int64_t last_code_id = 0;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page.codes.clear();
    RETURN_IF_ERROR(LoadPool(tx, program_id, pool_id, PoolRead::kToUse).status());
    pqxx::result rows =
        tx.exec_params(absl::StrCat("SELECT ", UsageColumns(2), ", c.code_id", kUsageJoins,
                                    " WHERE c.program_id = $1 AND c.pool_id = $3 AND c.code_id > $4"
                                    " GROUP BY c.code_id, p.pool_id ORDER BY c.code_id LIMIT $5"),
                       program_id, absl::ToUnixMicros(now), pool_id, after_code_id, page_size + 1);
    for (const auto& row : rows) {
      if (static_cast<int>(page.codes.size()) == page_size) break;
      page.codes.push_back(UsageFromRow(row));
      last_code_id = row[6].as<int64_t>();
    }
    if (static_cast<int>(rows.size()) > page_size) {
      page.next_page_token = EncodePageToken(absl::StrCat(last_code_id));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return page;
}

absl::StatusOr<PromoCodeUsage> PromoCodeStore::GetCode(const std::string& program_id,
                                                       const std::string& code) {
  const absl::Time now = now_();
  std::optional<PromoCodeUsage> usage;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", UsageColumns(2), kUsageJoins,
                     " WHERE c.program_id = $1 AND c.code = $3 GROUP BY c.code_id, p.pool_id"),
        program_id, absl::ToUnixMicros(now), code);
    if (!rows.empty()) usage = UsageFromRow(rows[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  // Another program's code is as unknown as a code nobody has.
  if (!usage) return FieldError(absl::StatusCode::kNotFound, "code", "no such promo code");
  return *usage;
}

absl::StatusOr<Reservation> PromoCodeStore::Reserve(const std::string& program_id,
                                                    const ReserveRequest& request) {
  const absl::Time now = now_();
  const int64_t now_micros = absl::ToUnixMicros(now);
  Reservation reservation;
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    absl::StatusOr<Reservation> previous =
        LoadReservation(tx, program_id, request.reservation_id, false);
    if (previous.ok()) {
      if (previous->code != request.code) {
        return FieldError(absl::StatusCode::kAlreadyExists, "reservation_id",
                          "already used to reserve another code");
      }
      reservation = *std::move(previous);
      return absl::OkStatus();
    }
    pqxx::result found = tx.exec_params(
        "SELECT c.code_id, c.pool_id::text FROM promo_codes c"
        " WHERE c.program_id = $1 AND c.code = $2",
        program_id, request.code);
    if (found.empty()) {
      return FieldError(absl::StatusCode::kNotFound, "code", "no such promo code");
    }
    const int64_t code_id = found[0][0].as<int64_t>();
    const std::string pool_id = found[0][1].as<std::string>();
    ASSIGN_OR_RETURN(PromoCodePool pool, LoadPool(tx, program_id, pool_id, PoolRead::kToUse));

    CodeUsage usage;
    if (pool.max_uses_per_code > 0) {
      // Concurrent receipts with the same code queue here; each counts the
      // uses committed before it, so no more than max uses are reserved.
      // An unlimited shared code needs no count and no lock.
      tx.exec_params("SELECT 1 FROM promo_codes WHERE code_id = $1 FOR UPDATE", code_id);
      usage.counted_uses =
          tx.exec_params1(absl::StrCat("SELECT count(*) FROM promo_code_reservations"
                                       " WHERE code_id = $1 AND (state = 'CONSUMED' OR"
                                       " (state = 'RESERVED' AND expires_at > ",
                                       At(2), "))"),
                          code_id, now_micros)[0]
              .as<int64_t>();
    }
    if (pool.per_client_limit > 0 && !request.client_id.empty()) {
      // A client may hold several codes of a UNIQUE pool: the limit is
      // guarded by a lock on (pool, client), always taken after the code's.
      tx.exec_params("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                     absl::StrCat("promo:", pool_id, "/", request.client_id));
      usage.client_uses =
          tx.exec_params1(absl::StrCat("SELECT count(*) FROM promo_code_reservations"
                                       " WHERE pool_id = $1 AND client_id = $2 AND"
                                       " (state = 'CONSUMED' OR (state = 'RESERVED' AND"
                                       " expires_at > ",
                                       At(3), "))"),
                          pool_id, request.client_id, now_micros)[0]
              .as<int64_t>();
    }
    RETURN_IF_ERROR(CheckReservable(pool, usage, !request.client_id.empty(), now));

    tx.exec_params(
        absl::StrCat("INSERT INTO promo_code_reservations (program_id, reservation_id, code_id,"
                     " pool_id, client_id, receipt_reference, state, expires_at)"
                     " VALUES ($1, $2, $3, $4, $5, $6, 'RESERVED', ",
                     At(7), ")"),
        program_id, request.reservation_id, code_id, pool_id, NullIfEmpty(request.client_id),
        request.receipt_reference, absl::ToUnixMicros(now + reservation_ttl_));
    ASSIGN_OR_RETURN(reservation, LoadReservation(tx, program_id, request.reservation_id, false));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return reservation;
}

absl::StatusOr<Reservation> PromoCodeStore::Consume(const std::string& program_id,
                                                    const std::string& reservation_id) {
  const absl::Time now = now_();
  Reservation reservation;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(reservation, LoadReservation(tx, program_id, reservation_id, true));
    switch (reservation.state) {
      case ReservationState::kConsumed:
        return absl::OkStatus();
      case ReservationState::kReleased:
        return FieldError(absl::StatusCode::kFailedPrecondition, "reservation_id",
                          "the reservation was released; reserve the code again");
      case ReservationState::kReserved:
        break;
    }
    // Once expired its use may have gone to another receipt.
    if (reservation.expire_time <= now) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "reservation_id",
                        "the reservation expired; reserve the code again");
    }
    SetReservationState(tx, program_id, reservation_id, "CONSUMED");
    reservation.state = ReservationState::kConsumed;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return reservation;
}

absl::StatusOr<Reservation> PromoCodeStore::Release(const std::string& program_id,
                                                    const std::string& reservation_id) {
  Reservation reservation;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(reservation, LoadReservation(tx, program_id, reservation_id, true));
    if (reservation.state == ReservationState::kReleased) return absl::OkStatus();
    SetReservationState(tx, program_id, reservation_id, "RELEASED");
    reservation.state = ReservationState::kReleased;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return reservation;
}

absl::StatusOr<IssuedCode> PromoCodeStore::Issue(const std::string& program_id,
                                                 const IssueRequest& request) {
  if (!IsUuid(request.pool_id)) return InvalidField("pool_id", "not a UUID");
  const absl::Time now = now_();
  IssuedCode issued;
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    // Concurrent retries of one issue queue here, so the later finds the
    // earlier's code rather than claiming a second one it would give back.
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                   absl::StrCat("promo-issue:", program_id, "/", request.issue_id));
    if (std::optional<IssuedCode> previous = LoadIssue(tx, program_id, request.issue_id)) {
      if (!absl::EqualsIgnoreCase(previous->pool_id, request.pool_id) ||
          previous->client_id != request.client_id) {
        return FieldError(absl::StatusCode::kAlreadyExists, "issue_id",
                          "already used to issue a code of another pool or to another client");
      }
      issued = *std::move(previous);
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(PromoCodePool pool,
                     LoadPool(tx, program_id, request.pool_id, PoolRead::kToUse));
    RETURN_IF_ERROR(CheckIssuable(pool, now));
    const bool exclusive = pool.kind == PoolKind::kUnique;
    int64_t code_id = 0;
    if (exclusive) {
      ASSIGN_OR_RETURN(code_id, ClaimUnheldCode(tx, pool.pool_id));
    } else {
      code_id = tx.exec_params1("SELECT code_id FROM promo_codes WHERE pool_id = $1 LIMIT 1",
                                pool.pool_id)[0]
                    .as<int64_t>();
    }
    tx.exec_params(
        "INSERT INTO promo_code_issues (program_id, issue_id, pool_id, code_id, client_id,"
        " exclusive) VALUES ($1, $2, $3, $4, $5, $6)",
        program_id, request.issue_id, pool.pool_id, code_id, request.client_id, exclusive);
    issued = *LoadIssue(tx, program_id, request.issue_id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return issued;
}

}  // namespace loyalty::campaigns
