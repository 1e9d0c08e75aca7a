#include "services/pos/storage/budget_store.h"

#include <algorithm>
#include <optional>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace loyalty::pos {
namespace {

// What a usage row counts, or what open reservations hold.
struct Counted {
  int64_t discount = 0;
  int64_t bonus_points = 0;
  int64_t receipts = 0;
};

Counted CountedFromRow(const pqxx::row& row) {
  return {.discount = row[0].as<int64_t>(),
          .bonus_points = row[1].as<int64_t>(),
          .receipts = row[2].as<int64_t>()};
}

// Creates the campaign's usage row if needed and locks it: every check and
// change of the campaign's budget in the program queues here.
Counted LockUsage(pg::Tx& tx, const std::string& program_id, const std::string& campaign_id) {
  tx.exec_params(
      "INSERT INTO campaign_budget_usage (program_id, campaign_id) VALUES ($1, $2)"
      " ON CONFLICT DO NOTHING",
      program_id, campaign_id);
  return CountedFromRow(
      tx.exec_params1("SELECT discount, bonus_points, receipts FROM campaign_budget_usage"
                      " WHERE program_id = $1 AND campaign_id = $2 FOR UPDATE",
                      program_id, campaign_id));
}

// The same for one client, taken after the campaign's (always in that
// order, so that two receipts never wait for each other).
Counted LockClientUsage(pg::Tx& tx, const std::string& program_id, const std::string& campaign_id,
                        const std::string& card_number) {
  tx.exec_params(
      "INSERT INTO campaign_client_usage (program_id, campaign_id, card_number)"
      " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
      program_id, campaign_id, card_number);
  return CountedFromRow(
      tx.exec_params1("SELECT discount, bonus_points, receipts FROM campaign_client_usage"
                      " WHERE program_id = $1 AND campaign_id = $2 AND card_number = $3 FOR UPDATE",
                      program_id, campaign_id, card_number));
}

// What open (reserved, not lapsed) reservations hold of the campaign, of
// one card's when `card_number` is set. A receipt counts once, with the
// largest of its calculations: only one of them can be confirmed.
Counted Held(pg::Tx& tx, const std::string& program_id, const std::string& campaign_id,
             const std::optional<std::string>& card_number, absl::Time now) {
  return CountedFromRow(tx.exec_params1(
      "SELECT coalesce(sum(d), 0)::bigint, coalesce(sum(p), 0)::bigint, count(*)"
      " FROM (SELECT max(discount) AS d, max(bonus_points) AS p"
      "       FROM campaign_budget_reservations"
      "       WHERE program_id = $1 AND campaign_id = $2 AND state = 'RESERVED'"
      "         AND expires_at > 'epoch'::timestamptz + $3::bigint * interval '1 microsecond'"
      "         AND ($4::text IS NULL OR card_number = $4)"
      "       GROUP BY receipt_id) AS held",
      program_id, campaign_id, absl::ToUnixMicros(now), card_number));
}

bool Within(int64_t cap, int64_t counted) { return cap == 0 || counted <= cap; }

// Whether the campaign's budget, and the card's share of it when it has a
// per-client cap, can take `extra` on top of what is used and what open
// reservations hold. The usage rows are locked already (`used`,
// `client_used`).
bool Fits(pg::Tx& tx, const std::string& program_id, const std::string& campaign_id,
          const promotions::Budget& budget, const std::string& card_number, const Counted& used,
          const Counted& client_used, const Counted& extra, absl::Time now) {
  const Counted held = Held(tx, program_id, campaign_id, std::nullopt, now);
  if (!Within(budget.max_discount, used.discount + held.discount + extra.discount) ||
      !Within(budget.max_bonus_points,
              used.bonus_points + held.bonus_points + extra.bonus_points)) {
    return false;
  }
  if (!budget.per_client() || card_number.empty()) return true;
  const Counted client_held = Held(tx, program_id, campaign_id, card_number, now);
  return Within(budget.max_uses_per_client,
                client_used.receipts + client_held.receipts + extra.receipts) &&
         Within(budget.max_discount_per_client,
                client_used.discount + client_held.discount + extra.discount) &&
         Within(budget.max_bonus_points_per_client,
                client_used.bonus_points + client_held.bonus_points + extra.bonus_points);
}

// One calculation's (or, with `calculation` 0, every calculation's)
// reservation of one campaign, with the caps it was made under.
struct Reservation {
  std::string campaign_id;
  std::string card_number;
  int64_t discount = 0;
  int64_t bonus_points = 0;
  promotions::Budget budget;
  bool lapsed = false;
  // GiveBack only: what the refunds so far add to what was given back.
  Counted back;
};

// The receipt's reservations in `state`, of one calculation (0: any), in
// campaign order (the lock order). With `refund_share`, also what the
// receipt's refunds so far give back of each: the share of the receipt's
// value (lines' amount - discount) they returned, rounded down, and
// everything once every line is back, less what was given back before.
std::vector<Reservation> ReadReservations(pg::Tx& tx, const std::string& program_id,
                                          const std::string& receipt_id, int32_t calculation,
                                          absl::string_view state, absl::Time now,
                                          bool refund_share = false) {
  pqxx::result rows = tx.exec_params(
      "WITH share AS ("
      "  SELECT coalesce(sum((amount - discount)::numeric * refunded_quantity_milli"
      "                      / quantity_milli), 0) AS back,"
      "         coalesce(sum(amount - discount), 0)::numeric AS total,"
      "         coalesce(bool_and(refunded_quantity_milli = quantity_milli), false) AS whole"
      "  FROM receipt_lines WHERE receipt_id = $2 AND $6)"
      " SELECT r.campaign_id, r.card_number, r.discount, r.bonus_points, r.max_discount,"
      "  r.max_bonus_points, r.max_uses_per_client, r.max_discount_per_client,"
      "  r.max_bonus_points_per_client,"
      "  r.expires_at <= 'epoch'::timestamptz + $5::bigint * interval '1 microsecond',"
      "  GREATEST(CASE WHEN s.whole THEN r.discount WHEN s.total <= 0 THEN 0"
      "    ELSE floor(r.discount * s.back / s.total) END - r.returned_discount, 0)::bigint,"
      "  GREATEST(CASE WHEN s.whole THEN r.bonus_points WHEN s.total <= 0 THEN 0"
      "    ELSE floor(r.bonus_points * s.back / s.total) END"
      "    - r.returned_bonus_points, 0)::bigint,"
      "  (s.whole AND NOT r.returned_receipt)::int"
      " FROM campaign_budget_reservations r, share s"
      " WHERE r.program_id = $1 AND r.receipt_id = $2 AND ($3 = 0 OR r.calculation = $3)"
      "  AND r.state = $4"
      " ORDER BY r.campaign_id",
      program_id, receipt_id, calculation, std::string(state), absl::ToUnixMicros(now),
      refund_share);
  std::vector<Reservation> reservations;
  for (const pqxx::row& row : rows) {
    reservations.push_back({.campaign_id = row[0].as<std::string>(),
                            .card_number = row[1].as<std::string>(),
                            .discount = row[2].as<int64_t>(),
                            .bonus_points = row[3].as<int64_t>(),
                            .budget = {.max_discount = row[4].as<int64_t>(),
                                       .max_bonus_points = row[5].as<int64_t>(),
                                       .max_uses_per_client = row[6].as<int64_t>(),
                                       .max_discount_per_client = row[7].as<int64_t>(),
                                       .max_bonus_points_per_client = row[8].as<int64_t>()},
                            .lapsed = row[9].as<bool>(),
                            .back = refund_share ? Counted{.discount = row[10].as<int64_t>(),
                                                           .bonus_points = row[11].as<int64_t>(),
                                                           .receipts = row[12].as<int64_t>()}
                                                 : Counted{}});
  }
  return reservations;
}

bool CountsPerClient(const promotions::Budget& budget, const std::string& card_number) {
  return budget.per_client() && !card_number.empty();
}

// Locks the campaign's usage row, and the card's when the campaign counts
// per client, in that order.
void LockFor(pg::Tx& tx, const std::string& program_id, const std::string& campaign_id,
             const promotions::Budget& budget, const std::string& card_number, Counted& used,
             Counted& client_used) {
  used = LockUsage(tx, program_id, campaign_id);
  if (CountsPerClient(budget, card_number)) {
    client_used = LockClientUsage(tx, program_id, campaign_id, card_number);
  }
}

// Adds `delta` (negative to give back) to the campaign's usage, and the
// card's when the campaign counts per client. The rows are locked already.
void AddUsage(pg::Tx& tx, const std::string& program_id, const Reservation& reservation,
              const Counted& delta) {
  tx.exec_params(
      "UPDATE campaign_budget_usage SET discount = discount + $3,"
      " bonus_points = bonus_points + $4, receipts = receipts + $5"
      " WHERE program_id = $1 AND campaign_id = $2",
      program_id, reservation.campaign_id, delta.discount, delta.bonus_points, delta.receipts);
  if (CountsPerClient(reservation.budget, reservation.card_number)) {
    tx.exec_params(
        "UPDATE campaign_client_usage SET discount = discount + $4,"
        " bonus_points = bonus_points + $5, receipts = receipts + $6"
        " WHERE program_id = $1 AND campaign_id = $2 AND card_number = $3",
        program_id, reservation.campaign_id, reservation.card_number, delta.discount,
        delta.bonus_points, delta.receipts);
  }
}

Counted Negated(const Counted& counted) {
  return {.discount = -counted.discount,
          .bonus_points = -counted.bonus_points,
          .receipts = -counted.receipts};
}

Counted WholeOf(const Reservation& reservation) {
  return {
      .discount = reservation.discount, .bonus_points = reservation.bonus_points, .receipts = 1};
}

}  // namespace

absl::StatusOr<std::vector<std::string>> BudgetStore::Reserve(
    const BudgetKey& key, const std::vector<BudgetClaim>& claims, absl::Time now) {
  std::vector<const BudgetClaim*> ordered;
  for (const BudgetClaim& claim : claims) ordered.push_back(&claim);
  // One lock order for everyone: campaigns by id.
  std::sort(ordered.begin(), ordered.end(), [](const BudgetClaim* a, const BudgetClaim* b) {
    return a->campaign_id < b->campaign_id;
  });
  const int64_t expires = absl::ToUnixMicros(now + reservation_ttl_);
  std::vector<std::string> refused;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    refused.clear();
    for (const BudgetClaim* claim : ordered) {
      const promotions::Budget& budget = claim->budget;
      Counted used, client_used;
      LockFor(tx, key.program_id, claim->campaign_id, budget, key.card_number, used, client_used);
      // A retry, or a concurrent attempt, of the same calculation keeps the
      // larger claim: whichever of them is saved is covered.
      tx.exec_params(
          "INSERT INTO campaign_budget_reservations (program_id, receipt_id, calculation,"
          " campaign_id, card_number, discount, bonus_points, state, expires_at, max_discount,"
          " max_bonus_points, max_uses_per_client, max_discount_per_client,"
          " max_bonus_points_per_client)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7, 'RESERVED',"
          " 'epoch'::timestamptz + $8::bigint * interval '1 microsecond', $9, $10, $11, $12, $13)"
          " ON CONFLICT (receipt_id, calculation, campaign_id) DO UPDATE SET"
          " discount = GREATEST(campaign_budget_reservations.discount, EXCLUDED.discount),"
          " bonus_points = GREATEST(campaign_budget_reservations.bonus_points,"
          "                         EXCLUDED.bonus_points),"
          " expires_at = EXCLUDED.expires_at"
          " WHERE campaign_budget_reservations.state = 'RESERVED'",
          key.program_id, key.receipt_id, key.calculation, claim->campaign_id, key.card_number,
          claim->discount, claim->bonus_points, expires, budget.max_discount,
          budget.max_bonus_points, budget.max_uses_per_client, budget.max_discount_per_client,
          budget.max_bonus_points_per_client);
      // Counted with this claim in: it is now one of the open reservations.
      if (!Fits(tx, key.program_id, claim->campaign_id, budget, key.card_number, used, client_used,
                {}, now)) {
        refused.push_back(claim->campaign_id);
      }
    }
    // All or nothing: the caller prices again without the refused ones.
    if (!refused.empty()) return absl::FailedPreconditionError("a budget refused");
    return absl::OkStatus();
  });
  if (!refused.empty()) return refused;
  if (!status.ok()) return status;
  return refused;
}

absl::Status BudgetStore::DropOpen(const std::string& program_id, const std::string& receipt_id,
                                   absl::string_view calculations, int32_t calculation) {
  return pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    tx.exec_params(absl::StrCat("DELETE FROM campaign_budget_reservations WHERE program_id = $1"
                                " AND receipt_id = $2 AND state = 'RESERVED' AND ",
                                calculations),
                   program_id, receipt_id, calculation);
    return absl::OkStatus();
  });
}

absl::Status BudgetStore::Release(const std::string& program_id, const std::string& receipt_id,
                                  int32_t calculation) {
  return DropOpen(program_id, receipt_id, "($3 = 0 OR calculation = $3)", calculation);
}

absl::Status BudgetStore::ReleaseBefore(const std::string& program_id,
                                        const std::string& receipt_id, int32_t calculation) {
  return DropOpen(program_id, receipt_id, "calculation < $3", calculation);
}

absl::Status BudgetStore::Consume(const std::string& program_id, const std::string& receipt_id,
                                  int32_t calculation, absl::Time now) {
  return pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    for (const Reservation& reservation :
         ReadReservations(tx, program_id, receipt_id, calculation, "RESERVED", now)) {
      Counted used, client_used;
      LockFor(tx, program_id, reservation.campaign_id, reservation.budget, reservation.card_number,
              used, client_used);
      // A lapsed reservation is no longer held for this receipt: others may
      // have taken what it held.
      if (reservation.lapsed &&
          !Fits(tx, program_id, reservation.campaign_id, reservation.budget,
                reservation.card_number, used, client_used, WholeOf(reservation), now)) {
        return absl::FailedPreconditionError(
            absl::StrCat("the budget of campaign ", reservation.campaign_id,
                         " is exhausted and this receipt's share of it lapsed;"
                         " calculate it again"));
      }
      AddUsage(tx, program_id, reservation, WholeOf(reservation));
    }
    tx.exec_params(
        "UPDATE campaign_budget_reservations SET state = 'USED' WHERE program_id = $1"
        " AND receipt_id = $2 AND calculation = $3 AND state = 'RESERVED'",
        program_id, receipt_id, calculation);
    tx.exec_params(
        "DELETE FROM campaign_budget_reservations WHERE program_id = $1 AND receipt_id = $2"
        " AND calculation <> $3 AND state = 'RESERVED'",
        program_id, receipt_id, calculation);
    return absl::OkStatus();
  });
}

absl::Status BudgetStore::Unconsume(const std::string& program_id, const std::string& receipt_id,
                                    int32_t calculation, absl::Time now) {
  return pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    for (const Reservation& reservation :
         ReadReservations(tx, program_id, receipt_id, calculation, "USED", now)) {
      Counted used, client_used;
      LockFor(tx, program_id, reservation.campaign_id, reservation.budget, reservation.card_number,
              used, client_used);
      AddUsage(tx, program_id, reservation, Negated(WholeOf(reservation)));
    }
    tx.exec_params(
        "UPDATE campaign_budget_reservations SET state = 'RESERVED',"
        " expires_at = 'epoch'::timestamptz + $4::bigint * interval '1 microsecond'"
        " WHERE program_id = $1 AND receipt_id = $2 AND calculation = $3 AND state = 'USED'",
        program_id, receipt_id, calculation, absl::ToUnixMicros(now + reservation_ttl_));
    return absl::OkStatus();
  });
}

absl::Status BudgetStore::GiveBack(const std::string& program_id, const std::string& receipt_id) {
  return pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    for (const Reservation& reservation :
         ReadReservations(tx, program_id, receipt_id, 0, "USED", absl::UnixEpoch(),
                          /*refund_share=*/true)) {
      const Counted& back = reservation.back;
      if (back.discount == 0 && back.bonus_points == 0 && back.receipts == 0) continue;
      Counted used, client_used;
      LockFor(tx, program_id, reservation.campaign_id, reservation.budget, reservation.card_number,
              used, client_used);
      AddUsage(tx, program_id, reservation, Negated(back));
      tx.exec_params(
          "UPDATE campaign_budget_reservations SET returned_discount = returned_discount + $4,"
          " returned_bonus_points = returned_bonus_points + $5,"
          " returned_receipt = returned_receipt OR $6"
          " WHERE receipt_id = $1 AND campaign_id = $2 AND program_id = $3 AND state = 'USED'",
          receipt_id, reservation.campaign_id, program_id, back.discount, back.bonus_points,
          back.receipts == 1);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<BudgetUsage> BudgetStore::GetUsage(const std::string& program_id,
                                                  const std::string& campaign_id, absl::Time now) {
  BudgetUsage usage;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result row = tx.exec_params(
        "SELECT discount, bonus_points, receipts FROM campaign_budget_usage"
        " WHERE program_id = $1 AND campaign_id = $2",
        program_id, campaign_id);
    if (row.empty()) return absl::NotFoundError("no budget usage for this campaign");
    Counted used = CountedFromRow(row[0]);
    Counted held = Held(tx, program_id, campaign_id, std::nullopt, now);
    usage = {.used_discount = used.discount,
             .used_bonus_points = used.bonus_points,
             .used_receipts = used.receipts,
             .reserved_discount = held.discount,
             .reserved_bonus_points = held.bonus_points};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return usage;
}

}  // namespace loyalty::pos
