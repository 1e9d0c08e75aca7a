#include "services/cards/storage/certificate_store.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/common/status_macros.h"
#include "libs/pg/array_literal.h"
#include "libs/pg/prepared.h"
#include "services/cards/storage/certificate_events.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {
namespace {

constexpr char kCertificateColumns[] =
    "c.number, c.nominal, c.balance, c.status, c.status_reason,"
    " ts_to_micros(c.status_changed_at), ts_to_micros(c.expire_at),"
    " ts_to_micros(c.created_at), c.sold_store_id, COALESCE(c.batch_id, ''),"
    " COALESCE(c.request_id, ''),"
    // Open holds: HELD and unexpired at $3.
    " (SELECT COALESCE(sum(h.amount), 0)::bigint FROM certificate_holds h"
    "   WHERE h.program_id = c.program_id AND h.number = c.number AND h.state = 'HELD'"
    "     AND h.expire_at > micros_to_ts($3)),"
    " c.fingerprint";

absl::Status NoSuchCertificate() {
  return FieldError(absl::StatusCode::kNotFound, "number", "no such certificate");
}

struct CertificateRow {
  Certificate certificate;
  std::string fingerprint;
};

CertificateRow ReadCertificate(const pqxx::row& row, absl::Time now) {
  Certificate c;
  c.number = row[0].as<std::string>();
  c.nominal = row[1].as<int64_t>();
  c.balance = row[2].as<int64_t>();
  // The column's CHECK admits only ACTIVE and BLOCKED.
  c.stored_status =
      ParseCertificateStatus(row[3].as<std::string>()).value_or(CertificateStatus::kActive);
  c.status_reason = row[4].as<std::string>();
  c.status_change_time = sql::OptionalTimeOf(row[5]);
  c.expire_time = sql::TimeOf(row[6]);
  c.create_time = sql::TimeOf(row[7]);
  c.sold_store_id = row[8].as<std::string>();
  c.batch_id = row[9].as<std::string>();
  c.request_id = row[10].as<std::string>();
  c.held = row[11].as<int64_t>();
  c.status = EffectiveCertificateStatus(c, now);
  c.available = AvailableAmount(c, now);
  return CertificateRow{.certificate = std::move(c), .fingerprint = row[12].as<std::string>()};
}

std::optional<CertificateRow> LoadCertificate(pg::Tx& tx, absl::string_view program_id,
                                              absl::string_view number, absl::Time now) {
  pqxx::result rows = pg::ExecPrepared(
      tx,
      absl::StrCat("SELECT ", kCertificateColumns,
                   " FROM certificates c WHERE c.program_id = $1 AND c.number = $2"),
      std::string(program_id), std::string(number), sql::Micros(now));
  if (rows.empty()) return std::nullopt;
  return ReadCertificate(rows[0], now);
}

// Locks the certificate's row for the rest of the transaction and reads it
// afresh: a statement after the lock sees everything committed by the
// transactions that held it before (their holds and operations).
absl::StatusOr<Certificate> LockCertificate(pg::Tx& tx, absl::string_view program_id,
                                            absl::string_view number, absl::Time now) {
  if (pg::ExecPrepared(tx,
                       "SELECT 1 FROM certificates WHERE program_id = $1 AND number = $2"
                       " FOR NO KEY UPDATE",
                       std::string(program_id), std::string(number))
          .empty()) {
    return NoSuchCertificate();
  }
  return LoadCertificate(tx, program_id, number, now)->certificate;
}

constexpr char kOperationColumns[] =
    "operation_id, kind, number, amount, balance_after, COALESCE(hold_id, ''),"
    " COALESCE(refund_of, ''), store_id, reference, reason, actor, ts_to_micros(created_at),"
    " fingerprint";

CertificateOperation ReadOperation(const pqxx::row& row) {
  return CertificateOperation{.operation_id = row[0].as<std::string>(),
                              .kind = ParseCertificateOperationKind(row[1].as<std::string>())
                                          .value_or(CertificateOperationKind::kUnspecified),
                              .number = row[2].as<std::string>(),
                              .amount = row[3].as<int64_t>(),
                              .balance_after = row[4].as<int64_t>(),
                              .hold_id = row[5].as<std::string>(),
                              .refund_of = row[6].as<std::string>(),
                              .store_id = row[7].as<std::string>(),
                              .reference = row[8].as<std::string>(),
                              .reason = row[9].as<std::string>(),
                              .actor = row[10].as<std::string>(),
                              .create_time = sql::TimeOf(row[11])};
}

// The operation applied before under `request_id`, if any: as a replay
// when `fingerprint` matches, else ALREADY_EXISTS naming `request_id`.
absl::StatusOr<std::optional<CertificateOperation>> FindApplied(pg::Tx& tx,
                                                                absl::string_view program_id,
                                                                absl::string_view request_id,
                                                                absl::string_view fingerprint) {
  pqxx::result rows = pg::ExecPrepared(
      tx,
      absl::StrCat("SELECT ", kOperationColumns,
                   " FROM certificate_operations WHERE program_id = $1 AND operation_id = $2"),
      std::string(program_id), std::string(request_id));
  if (rows.empty()) return std::optional<CertificateOperation>();
  if (rows[0][12].as<std::string>() != fingerprint) {
    return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                      "already used for a different operation");
  }
  CertificateOperation operation = ReadOperation(rows[0]);
  operation.replayed = true;
  return std::optional<CertificateOperation>(std::move(operation));
}

// Writes `result.operation` on its locked certificate: its row (with
// `result.fingerprint`), the new balance (the row's CHECK refuses leaving
// 0..nominal) and its event. The amount is signed; fills balance_after and
// create_time.
void ApplyOperation(pg::Tx& tx, absl::string_view program_id, CertificateOperationResult& result,
                    absl::Time now) {
  Certificate& certificate = result.certificate;
  CertificateOperation& operation = result.operation;
  const std::string& fingerprint = result.fingerprint;
  operation.balance_after = certificate.balance + operation.amount;
  operation.create_time = now;
  pg::ExecPrepared(
      tx,
      "INSERT INTO certificate_operations (program_id, operation_id, number, kind, amount,"
      "  balance_after, fingerprint, hold_id, refund_of, store_id, reference, reason, actor,"
      "  created_at)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, NULLIF($8, ''), NULLIF($9, ''), $10, $11, $12, $13,"
      "         micros_to_ts($14))",
      std::string(program_id), operation.operation_id, operation.number,
      std::string(CertificateOperationKindName(operation.kind)), operation.amount,
      operation.balance_after, fingerprint, operation.hold_id, operation.refund_of,
      operation.store_id, operation.reference, operation.reason, operation.actor, sql::Micros(now));
  pg::ExecPrepared(tx, "UPDATE certificates SET balance = $3 WHERE program_id = $1 AND number = $2",
                   std::string(program_id), operation.number, operation.balance_after);
  certificate.balance = operation.balance_after;
  AppendCertificateOperation(tx, program_id, operation);
}

// A hold as stored, with its state as of `now`.
struct HoldRow {
  CertificateHold hold;
  HoldState stored_state = HoldState::kHeld;
  std::string fingerprint;
  std::string store_id;
  std::string reference;
};

std::optional<HoldRow> LoadHold(pg::Tx& tx, absl::string_view program_id, absl::string_view hold_id,
                                absl::Time now) {
  pqxx::result rows =
      pg::ExecPrepared(tx,
                       "SELECT hold_id, number, amount, state, ts_to_micros(expire_at),"
                       "       COALESCE(posted_operation_id, ''), fingerprint, store_id, reference"
                       " FROM certificate_holds WHERE program_id = $1 AND hold_id = $2 FOR UPDATE",
                       std::string(program_id), std::string(hold_id));
  if (rows.empty()) return std::nullopt;
  const pqxx::row& row = rows[0];
  HoldRow out;
  out.hold.hold_id = row[0].as<std::string>();
  out.hold.number = row[1].as<std::string>();
  out.hold.amount = row[2].as<int64_t>();
  out.stored_state = ParseHoldState(row[3].as<std::string>()).value_or(HoldState::kHeld);
  out.hold.expire_time = sql::TimeOf(row[4]);
  out.hold.state = EffectiveHoldState(out.stored_state, out.hold.expire_time, now);
  out.hold.posted_operation_id = row[5].as<std::string>();
  out.fingerprint = row[6].as<std::string>();
  out.store_id = row[7].as<std::string>();
  out.reference = row[8].as<std::string>();
  return out;
}

// The hold `hold_id` of certificate `number`, locked; NOT_FOUND naming
// `hold_id` when the program has none, or it is another certificate's.
absl::StatusOr<HoldRow> FindHold(pg::Tx& tx, absl::string_view program_id, absl::string_view number,
                                 absl::string_view hold_id, absl::Time now) {
  std::optional<HoldRow> hold = LoadHold(tx, program_id, hold_id, now);
  if (!hold || hold->hold.number != number) {
    return FieldError(absl::StatusCode::kNotFound, "hold_id", "no such hold on this certificate");
  }
  return *std::move(hold);
}

// Certificate rows of `numbers`; returns the numbers already taken.
std::vector<std::string> InsertCertificates(pg::Tx& tx, absl::string_view program_id,
                                            const std::vector<std::string>& numbers,
                                            const Certificate& shape, absl::string_view fingerprint,
                                            absl::string_view actor) {
  // The ON CONFLICT target is the number only: a request_id taken
  // concurrently raises a unique violation, which TransactIdempotent turns
  // into a rerun that finds the winner.
  std::set<std::string> inserted;
  for (const auto& row : tx.exec_params(
           "INSERT INTO certificates (program_id, number, nominal, balance, status, expire_at,"
           "  created_at, sold_store_id, request_id, fingerprint, batch_id)"
           " SELECT $1, n, $3, $3, 'ACTIVE', micros_to_ts($4), micros_to_ts($5), $6,"
           "        NULLIF($7, ''), $8, NULLIF($9, '')"
           " FROM unnest($2::text[]) AS t(n)"
           " ON CONFLICT (program_id, number) DO NOTHING RETURNING number",
           std::string(program_id), pg::TextArray(numbers), shape.nominal,
           sql::Micros(shape.expire_time), sql::Micros(shape.create_time), shape.sold_store_id,
           shape.request_id, std::string(fingerprint), shape.batch_id)) {
    inserted.insert(row[0].as<std::string>());
  }
  std::vector<std::string> issued;
  std::vector<std::string> taken;
  for (const std::string& number : numbers) {
    (inserted.contains(number) ? issued : taken).push_back(number);
  }
  // Each issued certificate's ISSUE operation: its balance starts as the
  // sum of its operations.
  tx.exec_params(
      "INSERT INTO certificate_operations (program_id, operation_id, number, kind, amount,"
      "  balance_after, fingerprint, store_id, actor, created_at)"
      " SELECT $1, 'issue:' || n, n, 'ISSUE', $3, $3, $4, $5, $6, micros_to_ts($7)"
      " FROM unnest($2::text[]) AS t(n)",
      std::string(program_id), pg::TextArray(issued), shape.nominal, std::string(fingerprint),
      shape.sold_store_id, std::string(actor), sql::Micros(shape.create_time));
  for (const std::string& number : issued) {
    Certificate certificate = shape;
    certificate.number = number;
    AppendCertificateIssued(tx, program_id, certificate, actor);
  }
  return taken;
}

}  // namespace

absl::StatusOr<Certificate> CertificateStore::Issue(absl::string_view program_id,
                                                    IssueCertificateInput input,
                                                    absl::string_view actor) {
  const absl::Time now = sql::Truncate(clock_.Now());
  RETURN_IF_ERROR(NormalizeIssueCertificate(input, now));
  input.expire_time = sql::Truncate(input.expire_time);
  const std::string fingerprint = IssueCertificateFingerprint(input);
  std::string number;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    // The certificate issued before under the request_id, if any.
    auto find_earlier = [&]() -> absl::StatusOr<bool> {
      if (input.request_id.empty()) return false;
      pqxx::result earlier = tx.exec_params(
          "SELECT number, fingerprint FROM certificates WHERE program_id = $1 AND request_id = $2",
          std::string(program_id), input.request_id);
      if (earlier.empty()) return false;
      if (earlier[0][1].as<std::string>() != fingerprint) {
        return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                          "already used for a different certificate");
      }
      number = earlier[0][0].as<std::string>();
      return true;
    };
    ASSIGN_OR_RETURN(const bool issued_before, find_earlier());
    if (issued_before) return absl::OkStatus();
    const Certificate shape{.nominal = input.nominal,
                            .expire_time = input.expire_time,
                            .create_time = now,
                            .sold_store_id = input.store_id,
                            .request_id = input.request_id};
    if (!input.number.empty()) {
      if (!InsertCertificates(tx, program_id, {input.number}, shape, fingerprint, actor).empty()) {
        // Taken by a concurrent twin of this request (committed by now)?
        ASSIGN_OR_RETURN(const bool twin, find_earlier());
        if (twin) return absl::OkStatus();
        return FieldError(absl::StatusCode::kAlreadyExists, "number",
                          "the program has a certificate with this number");
      }
      number = input.number;
      return absl::OkStatus();
    }
    for (int attempt = 0; attempt < kMaxNumberAttempts; ++attempt) {
      const std::string drawn = numbers_.Next();
      if (InsertCertificates(tx, program_id, {drawn}, shape, fingerprint, actor).empty()) {
        number = drawn;
        return absl::OkStatus();
      }
    }
    return absl::InternalError(
        absl::StrCat("no free certificate number found in ", kMaxNumberAttempts, " draws"));
  }));
  return Get(program_id, number);
}

absl::StatusOr<CertificateBatch> CertificateStore::IssueBatch(absl::string_view program_id,
                                                              CertificateBatchInput input,
                                                              absl::string_view actor) {
  const absl::Time now = sql::Truncate(clock_.Now());
  RETURN_IF_ERROR(NormalizeCertificateBatch(input, now));
  input.expire_time = sql::Truncate(input.expire_time);
  const std::string fingerprint = CertificateBatchFingerprint(input);
  CertificateBatch batch;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    batch = CertificateBatch{.batch_id = input.request_id};
    // The batch row first: a concurrent twin waits here for this one.
    pqxx::result claimed = tx.exec_params(
        "INSERT INTO certificate_batches (program_id, batch_id, fingerprint, certificate_count,"
        "                                 created_at)"
        " VALUES ($1, $2, $3, $4, micros_to_ts($5)) ON CONFLICT DO NOTHING RETURNING 1",
        std::string(program_id), input.request_id, fingerprint, input.count, sql::Micros(now));
    if (claimed.empty()) {
      if (tx.exec_params1("SELECT fingerprint FROM certificate_batches"
                          " WHERE program_id = $1 AND batch_id = $2",
                          std::string(program_id), input.request_id)[0]
              .as<std::string>() != fingerprint) {
        return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                          "already used for a different batch");
      }
      batch.replayed = true;
    } else {
      const Certificate shape{.nominal = input.nominal,
                              .expire_time = input.expire_time,
                              .create_time = now,
                              .sold_store_id = input.store_id,
                              .batch_id = input.request_id};
      if (input.range) {
        std::vector<std::string> taken = InsertCertificates(
            tx, program_id, RangeNumbers(*input.range, input.count), shape, fingerprint, actor);
        if (!taken.empty()) {
          return FieldError(absl::StatusCode::kAlreadyExists, "number_range.first_number",
                            absl::StrCat("the range overlaps ", taken.size(),
                                         " existing certificate numbers, e.g. ", taken.front()));
        }
      } else {
        int missing = input.count;
        for (int attempt = 0; missing > 0 && attempt < kMaxNumberAttempts; ++attempt) {
          std::set<std::string> drawn;
          while (static_cast<int>(drawn.size()) < missing) drawn.insert(numbers_.Next());
          missing =
              static_cast<int>(InsertCertificates(tx, program_id, {drawn.begin(), drawn.end()},
                                                  shape, fingerprint, actor)
                                   .size());
        }
        if (missing > 0) {
          return absl::InternalError(
              absl::StrCat("no free certificate numbers found in ", kMaxNumberAttempts, " draws"));
        }
      }
    }
    for (const auto& row :
         tx.exec_params("SELECT number FROM certificates WHERE program_id = $1 AND batch_id = $2"
                        " ORDER BY number",
                        std::string(program_id), input.request_id)) {
      batch.numbers.push_back(row[0].as<std::string>());
    }
    return absl::OkStatus();
  }));
  return batch;
}

absl::StatusOr<Certificate> CertificateStore::Get(absl::string_view program_id,
                                                  absl::string_view number) {
  if (number.empty()) return InvalidField("number", "required");
  RETURN_IF_ERROR(ValidateNoControlCharacters("number", number));
  const absl::Time now = clock_.Now();
  Certificate certificate;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    std::optional<CertificateRow> row = LoadCertificate(tx, program_id, number, now);
    if (!row) return NoSuchCertificate();
    certificate = std::move(row->certificate);
    return absl::OkStatus();
  }));
  return certificate;
}

absl::StatusOr<Certificate> CertificateStore::SetStatus(absl::string_view program_id,
                                                        absl::string_view number,
                                                        CertificateStatus status,
                                                        absl::string_view reason,
                                                        absl::string_view actor) {
  if (number.empty()) return InvalidField("number", "required");
  RETURN_IF_ERROR(ValidateNoControlCharacters("number", number));
  RETURN_IF_ERROR(ValidateCertificateStatusChange(status, reason));
  const absl::Time now = sql::Truncate(clock_.Now());
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(Certificate certificate, LockCertificate(tx, program_id, number, now));
    if (certificate.stored_status == status) return absl::OkStatus();
    tx.exec_params(
        "UPDATE certificates SET status = $3, status_reason = $4,"
        "  status_changed_at = micros_to_ts($5), status_actor = $6"
        " WHERE program_id = $1 AND number = $2",
        std::string(program_id), std::string(number), std::string(CertificateStatusName(status)),
        std::string(reason), sql::Micros(now), std::string(actor));
    return absl::OkStatus();
  }));
  return Get(program_id, number);
}

absl::StatusOr<CertificateHold> CertificateStore::Hold(absl::string_view program_id,
                                                       const CertificateHoldRequest& request) {
  RETURN_IF_ERROR(ValidateCertificateHold(request));
  const std::string fingerprint = CertificateHoldFingerprint(request);
  const absl::Time now = sql::Truncate(clock_.Now());
  CertificateHold hold;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(Certificate certificate, LockCertificate(tx, program_id, request.number, now));
    if (std::optional<HoldRow> existing = LoadHold(tx, program_id, request.hold_id, now)) {
      if (existing->fingerprint != fingerprint) {
        return FieldError(absl::StatusCode::kAlreadyExists, "hold_id",
                          "already used for a different hold");
      }
      hold = existing->hold;
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(CheckSpendable(certificate, now, request.amount));
    hold = CertificateHold{
        .hold_id = request.hold_id,
        .number = request.number,
        .amount = request.amount,
        .state = HoldState::kHeld,
        .expire_time = sql::Truncate(CertificateHoldExpiry(request, now, certificate.expire_time))};
    pg::ExecPrepared(tx,
                     "INSERT INTO certificate_holds (program_id, hold_id, number, amount, state,"
                     "  fingerprint, store_id, reference, expire_at, created_at)"
                     " VALUES ($1, $2, $3, $4, 'HELD', $5, $6, $7, micros_to_ts($8),"
                     "         micros_to_ts($9))",
                     std::string(program_id), request.hold_id, request.number, request.amount,
                     fingerprint, request.store_id, request.reference,
                     sql::Micros(hold.expire_time), sql::Micros(now));
    return absl::OkStatus();
  }));
  return hold;
}

absl::StatusOr<CertificateOperationResult> CertificateStore::RunOperation(
    absl::string_view program_id, absl::string_view number, absl::string_view request_id,
    const std::string& fingerprint,
    absl::FunctionRef<absl::Status(pg::Tx&, CertificateOperationResult&, absl::Time)> apply) {
  const absl::Time now = sql::Truncate(clock_.Now());
  CertificateOperationResult result;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    result = CertificateOperationResult();
    ASSIGN_OR_RETURN(result.certificate, LockCertificate(tx, program_id, number, now));
    ASSIGN_OR_RETURN(std::optional<CertificateOperation> applied,
                     FindApplied(tx, program_id, request_id, fingerprint));
    if (applied) {
      result.operation = *std::move(applied);
      return absl::OkStatus();
    }
    result.fingerprint = fingerprint;
    return apply(tx, result, now);
  }));
  // The certificate as it is now (after the operation, or for a replay).
  ASSIGN_OR_RETURN(result.certificate, Get(program_id, number));
  return result;
}

absl::StatusOr<CertificateOperationResult> CertificateStore::PostHold(
    absl::string_view program_id, const PostCertificateHoldRequest& request,
    absl::string_view actor) {
  RETURN_IF_ERROR(ValidatePostCertificateHold(request));
  return RunOperation(
      program_id, request.number, request.request_id, PostCertificateHoldFingerprint(request),
      [&](pg::Tx& tx, CertificateOperationResult& result, absl::Time now) -> absl::Status {
        // The hold's row lock makes a concurrent void or second post wait and
        // then see this one's outcome.
        ASSIGN_OR_RETURN(HoldRow hold,
                         FindHold(tx, program_id, request.number, request.hold_id, now));
        switch (hold.hold.state) {
          case HoldState::kHeld:
            break;
          case HoldState::kPosted:
            return FieldError(
                absl::StatusCode::kFailedPrecondition, "hold_id",
                absl::StrCat("the hold is already posted as ", hold.hold.posted_operation_id));
          case HoldState::kVoided:
            return FieldError(absl::StatusCode::kFailedPrecondition, "hold_id",
                              "the hold was voided");
          case HoldState::kExpired:
            return FieldError(absl::StatusCode::kFailedPrecondition, "hold_id", "the hold expired");
        }
        if (result.certificate.stored_status == CertificateStatus::kBlocked) {
          return FieldError(absl::StatusCode::kFailedPrecondition, "number",
                            "the certificate is blocked");
        }
        ASSIGN_OR_RETURN(const int64_t amount, PostedAmount(request, hold.hold.amount));
        result.operation = CertificateOperation{.operation_id = request.request_id,
                                                .kind = CertificateOperationKind::kRedemption,
                                                .number = request.number,
                                                .amount = -amount,
                                                .hold_id = request.hold_id,
                                                .actor = std::string(actor)};
        // Where and for what the till held it.
        result.operation.store_id = hold.store_id;
        result.operation.reference = hold.reference;
        ApplyOperation(tx, program_id, result, now);
        pg::ExecPrepared(
            tx,
            "UPDATE certificate_holds SET state = 'POSTED', resolved_at = micros_to_ts($3),"
            "  posted_operation_id = $4"
            " WHERE program_id = $1 AND hold_id = $2",
            std::string(program_id), request.hold_id, sql::Micros(now), request.request_id);
        return absl::OkStatus();
      });
}

absl::StatusOr<CertificateHold> CertificateStore::VoidHold(absl::string_view program_id,
                                                           absl::string_view number,
                                                           absl::string_view hold_id) {
  for (auto [field, value] :
       {std::pair<absl::string_view, absl::string_view>{"number", number}, {"hold_id", hold_id}}) {
    if (value.empty()) return InvalidField(field, "required");
    RETURN_IF_ERROR(ValidateNoControlCharacters(field, value));
  }
  const absl::Time now = sql::Truncate(clock_.Now());
  CertificateHold hold;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(HoldRow row, FindHold(tx, program_id, number, hold_id, now));
    hold = row.hold;
    if (hold.state == HoldState::kPosted) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "hold_id",
                        "the hold is already posted; refund the redemption instead");
    }
    if (row.stored_state != HoldState::kHeld) return absl::OkStatus();  // resolved before
    // A hold voided after its time was up records that it lapsed.
    if (hold.state == HoldState::kHeld) hold.state = HoldState::kVoided;
    pg::ExecPrepared(tx,
                     "UPDATE certificate_holds SET state = $3, resolved_at = micros_to_ts($4)"
                     " WHERE program_id = $1 AND hold_id = $2",
                     std::string(program_id), std::string(hold_id),
                     std::string(HoldStateName(hold.state)), sql::Micros(now));
    return absl::OkStatus();
  }));
  return hold;
}

absl::StatusOr<CertificateOperationResult> CertificateStore::Redeem(
    absl::string_view program_id, const RedeemCertificateRequest& request,
    absl::string_view actor) {
  RETURN_IF_ERROR(ValidateRedeemCertificate(request));
  return RunOperation(
      program_id, request.number, request.request_id, RedeemCertificateFingerprint(request),
      [&](pg::Tx& tx, CertificateOperationResult& result, absl::Time now) -> absl::Status {
        RETURN_IF_ERROR(CheckSpendable(result.certificate, now, request.amount));
        result.operation = CertificateOperation{.operation_id = request.request_id,
                                                .kind = CertificateOperationKind::kRedemption,
                                                .number = request.number,
                                                .amount = -request.amount,
                                                .store_id = request.store_id,
                                                .reference = request.reference,
                                                .actor = std::string(actor)};
        ApplyOperation(tx, program_id, result, now);
        return absl::OkStatus();
      });
}

absl::StatusOr<CertificateOperationResult> CertificateStore::Refund(
    absl::string_view program_id, const RefundCertificateRequest& request,
    absl::string_view actor) {
  RETURN_IF_ERROR(ValidateRefundCertificate(request));
  return RunOperation(
      program_id, request.number, request.request_id, RefundCertificateFingerprint(request),
      [&](pg::Tx& tx, CertificateOperationResult& result, absl::Time now) -> absl::Status {
        // Under the certificate's lock no other refund of its redemptions runs.
        pqxx::result redemption = pg::ExecPrepared(
            tx,
            "SELECT r.amount, (SELECT COALESCE(sum(f.amount), 0)::bigint"
            "                   FROM certificate_operations f"
            "                   WHERE f.program_id = r.program_id AND f.refund_of = r.operation_id)"
            " FROM certificate_operations r"
            " WHERE r.program_id = $1 AND r.operation_id = $2 AND r.number = $3"
            "   AND r.kind = 'REDEMPTION'",
            std::string(program_id), request.redemption_id, request.number);
        if (redemption.empty()) {
          return FieldError(absl::StatusCode::kNotFound, "redemption_id",
                            "no such redemption of this certificate");
        }
        RETURN_IF_ERROR(CheckRefundable(-redemption[0][0].as<int64_t>(),
                                        redemption[0][1].as<int64_t>(), request.amount));
        result.operation = CertificateOperation{.operation_id = request.request_id,
                                                .kind = CertificateOperationKind::kRefund,
                                                .number = request.number,
                                                .amount = request.amount,
                                                .refund_of = request.redemption_id,
                                                .store_id = request.store_id,
                                                .reason = request.reason,
                                                .actor = std::string(actor)};
        ApplyOperation(tx, program_id, result, now);
        return absl::OkStatus();
      });
}

absl::StatusOr<CertificateOperationsPage> CertificateStore::ListOperations(
    absl::string_view program_id, absl::string_view number, int page_size,
    absl::string_view page_token) {
  if (number.empty()) return InvalidField("number", "required");
  RETURN_IF_ERROR(ValidateNoControlCharacters("number", number));
  // A page continues below the last sequence number it showed.
  ASSIGN_OR_RETURN(const int64_t before,
                   DecodeIdPageToken(page_token, std::numeric_limits<int64_t>::max()));
  CertificateOperationsPage page;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page = CertificateOperationsPage();
    if (tx.exec_params("SELECT 1 FROM certificates WHERE program_id = $1 AND number = $2",
                       std::string(program_id), std::string(number))
            .empty()) {
      return NoSuchCertificate();
    }
    pqxx::result rows =
        tx.exec_params(absl::StrCat("SELECT ", kOperationColumns,
                                    ", seq FROM certificate_operations"
                                    " WHERE program_id = $1 AND number = $2 AND seq < $3"
                                    " ORDER BY seq DESC LIMIT $4"),
                       std::string(program_id), std::string(number), before, page_size + 1);
    for (const auto& row : rows) {
      if (page.operations.size() == static_cast<size_t>(page_size)) {
        page.next_page_token = EncodePageToken(absl::StrCat(rows[page_size - 1][13].as<int64_t>()));
        break;
      }
      page.operations.push_back(ReadOperation(row));
    }
    return absl::OkStatus();
  }));
  return page;
}

}  // namespace loyalty::cards
