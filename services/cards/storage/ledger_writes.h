#pragma once

// What ledger changes write, gathered in memory and written with one
// statement (a data-modifying CTE per table, rows as array parameters) plus
// the outbox's: a batch of fifty transfers costs the same two round trips
// as one. Callers decide everything first (against account
// rows they hold locked) and Flush once, inside the same transaction.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "services/cards/domain/ledger.h"
#include "services/cards/storage/events.h"

namespace loyalty::cards {

// The header row of a transfer: `moved` points go from the debit account
// to the credit account.
struct TransferRecord {
  std::string transfer_id;
  TransferKind kind = TransferKind::kUnspecified;
  std::string fingerprint;
  std::string card_number;
  std::string debit_account_id;
  std::string credit_account_id;
  int64_t requested = 0;
  int64_t moved = 0;
  std::string hold_id;  // "" for none
  std::string reference;
  std::string reason;
  std::string actor;
  std::string partner_id;
  // The member account's debt: + taken below zero by a reversal, - repaid
  // by a credit (see DebtOf in domain/ledger.h).
  int64_t debt_change = 0;
};

// A lot a transfer creates in a member account.
struct NewLot {
  std::string account_id;
  std::string transfer_id;  // lots are unique per transfer
  TransferKind origin = TransferKind::kAccrual;
  std::string reference;
  int64_t amount = 0;
  absl::Time activate_time;
  std::optional<absl::Time> expire_time;
  std::string partner_id;  // who issued the points
};

class LedgerWrites final {
 public:
  // The transfer row and, when it moved points, its two postings.
  void AddTransfer(TransferRecord transfer);

  // Changes a member account's stored balance by `delta`.
  void AddBalanceDelta(const std::string& account_id, int64_t delta);

  // A new lot. Returns a provisional id (negative, unique in this object)
  // that Consume may name before the lot exists in the database.
  int64_t AddLot(NewLot lot);

  // `transfer_id` takes `amount` from lot `lot_id` (stored or provisional).
  void Consume(int64_t lot_id, const std::string& transfer_id, int64_t amount);

  // A HELD hold is POSTED by `transfer_id`.
  void PostHold(const std::string& hold_id, const std::string& transfer_id);

  void AddEvent(AppliedTransfer event);

  // A point to roll back to when a request planned after it is refused.
  struct Mark {
    size_t transfers = 0, balance_deltas = 0, lots = 0, consumptions = 0, hold_posts = 0,
           events = 0;
  };
  Mark mark() const;
  void RollBack(const Mark& mark);

  // Writes everything. INTERNAL when a
  // stored lot has less left than planned (the account lock should make
  // that impossible). A transfer id that already exists surfaces as the
  // unique violation it is, for Pool::TransactIdempotent to retry.
  absl::Status Flush(pg::Tx& tx, absl::string_view program_id, absl::Time now) const;

 private:
  struct Consumption {
    int64_t lot_id = 0;
    std::string transfer_id;
    int64_t amount = 0;
  };
  std::vector<TransferRecord> transfers_;
  std::vector<std::pair<std::string, int64_t>> balance_deltas_;
  std::vector<NewLot> lots_;  // provisional id of lots_[i] is -(i + 1)
  std::vector<Consumption> consumptions_;
  std::vector<std::pair<std::string, std::string>> hold_posts_;  // hold id, transfer id
  std::vector<AppliedTransfer> events_;
};

// Locks member account rows for the rest of the transaction, in account id
// order (so two transactions over the same cards cannot deadlock), and
// returns their stored balances. NO KEY UPDATE is the lock an UPDATE of the
// balance takes anyway; unlike FOR UPDATE it does not block the foreign-key
// checks of other transactions' rows that merely reference the account.
std::map<std::string, int64_t> LockMemberAccounts(pg::Tx& tx, absl::string_view program_id,
                                                  const std::set<std::string>& account_ids);

}  // namespace loyalty::cards
