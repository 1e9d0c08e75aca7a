#pragma once

// Applies many CommitTransfers requests of one program in one transaction
// with set-based statements: the cards, account locks, earlier transfers,
// lots, holds of the whole batch are read with one query each, the
// domain's rules (domain/ledger.h) decide every transfer in memory, and
// LedgerWrites writes the outcome with one statement per table. Each request
// is still all-or-nothing: a refused one leaves no trace and does not
// disturb the others.

#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/ledger.h"

namespace loyalty::cards {

// One CommitTransfers (or Correct) call.
struct CommitRequest {
  std::span<const TransferSpec> transfers;
  // Prefix of the fields errors name for transfer i: "transfers[2]." or "".
  std::function<std::string(size_t)> field_prefix;
};

// Ids of the programs' system accounts. They never change once created, so
// they are remembered across transactions; an id is remembered only once
// read from a committed row, never one this transaction created.
class SystemAccountCache final {
 public:
  // The account of `kind` (of `partner_id`, "" for the program's own),
  // created on first use.
  std::string Get(pg::Tx& tx, absl::string_view program_id, AccountKind kind,
                  absl::string_view partner_id = "");

 private:
  // program id, kind, partner id
  using Key = std::tuple<std::string, AccountKind, std::string>;
  std::mutex mutex_;
  std::map<Key, std::string> ids_;
};

// Applies `requests` in order at `now`, each against the state the earlier
// ones left. Returns one result per request; an error for the whole batch
// means the transaction must roll back. Database errors surface as libpqxx
// exceptions for the caller's Pool::Transact(Idempotent) to map.
absl::StatusOr<std::vector<absl::StatusOr<CommitResult>>> ApplyTransferBatch(
    pg::Tx& tx, absl::string_view program_id, absl::Time now,
    std::span<const CommitRequest* const> requests, SystemAccountCache& system_accounts);

}  // namespace loyalty::cards
