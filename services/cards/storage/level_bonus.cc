#include "services/cards/storage/level_bonus.h"

#include <optional>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/common/log.h"
#include "libs/common/status_macros.h"
#include "services/cards/domain/ledger.h"

namespace loyalty::cards {
namespace {

// Ledger answers that no retry will change.
bool IsFinalRefusal(absl::StatusCode code) {
  return code == absl::StatusCode::kFailedPrecondition || code == absl::StatusCode::kNotFound ||
         code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kAlreadyExists;
}

}  // namespace

absl::StatusOr<bool> LevelBonuses::Grant(absl::string_view program_id,
                                         absl::string_view change_id) {
  std::optional<TransferSpec> spec;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    spec.reset();
    pqxx::result rows = tx.exec_params(
        "SELECT bonus_transfer_id, card_number, bonus_points FROM card_level_history"
        " WHERE program_id = $1 AND change_id = $2::uuid AND bonus_state = 'PENDING'",
        std::string(program_id), std::string(change_id));
    if (rows.empty()) return absl::OkStatus();
    // Everything in the spec comes from the stored change, so a retry asks
    // the ledger for exactly the same transfer.
    spec = TransferSpec{.transfer_id = rows[0][0].as<std::string>(),
                        .kind = TransferKind::kAccrual,
                        .card_number = rows[0][1].as<std::string>(),
                        .amount = rows[0][2].as<int64_t>(),
                        .reference = absl::StrCat("level-change:", change_id)};
    return absl::OkStatus();
  }));
  if (!spec) return false;  // granted, failed or without bonus already

  absl::StatusOr<CommitResult> committed = ledger_.CommitTransfers(program_id, {&*spec, 1});
  if (!committed.ok() && !IsFinalRefusal(committed.status().code())) return committed.status();
  const bool granted = committed.ok();
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    tx.exec_params(
        "UPDATE card_level_history SET bonus_state = $3, bonus_error = $4"
        " WHERE program_id = $1 AND change_id = $2::uuid AND bonus_state = 'PENDING'",
        std::string(program_id), std::string(change_id), granted ? "GRANTED" : "FAILED",
        granted ? std::string() : std::string(committed.status().message()));
    return absl::OkStatus();
  }));
  if (!granted) {
    log::Warn("level bonus refused by the ledger",
              {{"change_id", std::string(change_id)},
               {"error", std::string(committed.status().message())}});
  }
  return granted;
}

int64_t LevelBonuses::GrantAll(const std::vector<std::pair<std::string, std::string>>& changes) {
  int64_t granted = 0;
  for (const auto& [program_id, change_id] : changes) {
    absl::StatusOr<bool> result = Grant(program_id, change_id);
    if (result.ok()) {
      granted += *result ? 1 : 0;
    } else {
      log::Warn("level bonus left pending",
                {{"change_id", change_id}, {"error", std::string(result.status().message())}});
    }
  }
  return granted;
}

absl::StatusOr<int64_t> LevelBonuses::GrantPending(absl::string_view program_id, int limit) {
  std::vector<std::pair<std::string, std::string>> pending;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pending.clear();
    pqxx::result rows = tx.exec_params(
        "SELECT program_id, change_id::text FROM card_level_history"
        " WHERE bonus_state = 'PENDING' AND ($1 = '' OR program_id = $1)"
        " ORDER BY created_at LIMIT $2",
        std::string(program_id), limit);
    for (const auto& row : rows) {
      pending.emplace_back(row[0].as<std::string>(), row[1].as<std::string>());
    }
    return absl::OkStatus();
  }));
  return GrantAll(pending);
}

}  // namespace loyalty::cards
