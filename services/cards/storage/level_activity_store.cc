#include "services/cards/storage/level_activity_store.h"

#include <algorithm>

#include <pqxx/pqxx>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "libs/common/status_macros.h"
#include "services/cards/domain/level_window.h"
#include "services/cards/storage/card_level_engine.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {
namespace {

// Records the event id; false when it was recorded before.
bool MarkProcessed(pg::Tx& tx, const std::string& program_id, const std::string& event_id) {
  return tx.exec_params(
               "INSERT INTO level_processed_events (program_id, event_id) VALUES ($1, $2)"
               " ON CONFLICT DO NOTHING",
               program_id, event_id)
             .affected_rows() == 1;
}

// A card as activity sees it: its level row (locked, so that activity and
// level changes of one card run one after the other) and ladder, if any,
// and the zone its days are counted in.
struct CardContext {
  std::string number;
  std::optional<levels::CardLevelRow> row;
  std::optional<levels::Ladder> ladder;
  absl::TimeZone zone = absl::UTCTimeZone();
};

std::optional<CardContext> LoadCard(pg::Tx& tx, const std::string& program_id,
                                    const std::string& number_or_barcode) {
  std::optional<sql::CardRow> card = sql::FindCard(tx, program_id, number_or_barcode);
  if (!card) return std::nullopt;
  CardContext context{.number = card->number};
  context.row = levels::ReadCardLevel(tx, program_id, card->number, /*lock=*/true);
  if (context.row && !context.row->level_type_id.empty()) {
    context.ladder = levels::LoadLadder(tx, program_id, context.row->level_type_id);
    if (context.ladder) context.zone = context.ladder->zone;
  }
  return context;
}

struct ActivityDelta {
  int64_t purchase_amount = 0;
  int32_t visits = 0;
  int64_t points_earned = 0;
};

void AddActivity(pg::Tx& tx, const std::string& program_id, const std::string& card_number,
                 absl::CivilDay day, const ActivityDelta& delta) {
  tx.exec_params(
      "INSERT INTO card_activity_days (program_id, card_number, day, purchase_amount, visits,"
      "                                points_earned)"
      " VALUES ($1, $2, $3::date, $4, $5, $6)"
      " ON CONFLICT (program_id, card_number, day) DO UPDATE SET"
      "   purchase_amount = card_activity_days.purchase_amount + EXCLUDED.purchase_amount,"
      "   visits = card_activity_days.visits + EXCLUDED.visits,"
      "   points_earned = card_activity_days.points_earned + EXCLUDED.points_earned",
      program_id, card_number, absl::FormatCivilTime(day), delta.purchase_amount, delta.visits,
      delta.points_earned);
}

// New activity moves a card on a ladder up at once when it reaches a
// higher threshold.
void UpgradeIfReached(pg::Tx& tx, const std::string& program_id, const CardContext& card,
                      absl::Time now, ActivityResult& result) {
  if (!card.row || !card.ladder) return;
  levels::Evaluation evaluation = levels::EvaluateCard(tx, program_id, *card.row, *card.ladder, now,
                                                       EvaluationMode::kUpgradeOnly);
  if (!evaluation.change) return;
  result.level_changed = true;
  if (evaluation.change->bonus_pending) result.bonus_change_id = evaluation.change->change_id;
}

// Runs `apply` in a transaction unless the event was applied before.
absl::StatusOr<ActivityResult> ApplyOnce(
    pg::Pool& pool, const std::string& program_id, const std::string& event_id,
    absl::FunctionRef<absl::Status(pg::Tx&, ActivityResult&)> apply) {
  ActivityResult result;
  RETURN_IF_ERROR(pool.Transact([&](pg::Tx& tx) -> absl::Status {
    result = ActivityResult();
    if (!MarkProcessed(tx, program_id, event_id)) {
      result.outcome = ActivityOutcome::kDuplicate;
      return absl::OkStatus();
    }
    return apply(tx, result);
  }));
  return result;
}

}  // namespace

absl::StatusOr<ActivityResult> LevelActivityStore::ApplyPurchase(const PurchaseFact& fact) {
  const absl::Time now = sql::Truncate(clock_.Now());
  return ApplyOnce(
      pool_, fact.program_id, fact.event_id,
      [&](pg::Tx& tx, ActivityResult& result) -> absl::Status {
        std::optional<CardContext> card = LoadCard(tx, fact.program_id, fact.card_number);
        if (!card) return absl::OkStatus();  // ignored: not a card of the program
        const absl::CivilDay day = LocalDay(fact.time, card->zone);
        pqxx::result inserted = tx.exec_params(
            "INSERT INTO level_receipts (program_id, receipt_id, card_number, day, amount)"
            " VALUES ($1, $2, $3, $4::date, $5) ON CONFLICT DO NOTHING RETURNING 1",
            fact.program_id, fact.receipt_id, card->number, absl::FormatCivilTime(day),
            fact.amount);
        if (inserted.empty()) return absl::OkStatus();  // the receipt counted already
        AddActivity(tx, fact.program_id, card->number, day,
                    ActivityDelta{.purchase_amount = fact.amount, .visits = 1});
        result.outcome = ActivityOutcome::kApplied;
        UpgradeIfReached(tx, fact.program_id, *card, now, result);
        return absl::OkStatus();
      });
}

absl::StatusOr<ActivityResult> LevelActivityStore::ApplyRefund(const RefundFact& fact) {
  return ApplyOnce(
      pool_, fact.program_id, fact.event_id,
      [&](pg::Tx& tx, ActivityResult& result) -> absl::Status {
        pqxx::result receipts = tx.exec_params(
            "SELECT card_number, day::text, amount, refunded FROM level_receipts"
            " WHERE program_id = $1 AND receipt_id = $2 FOR UPDATE",
            fact.program_id, fact.receipt_id);
        if (receipts.empty()) return absl::OkStatus();  // not a card's receipt
        const pqxx::row& receipt = receipts[0];
        const std::string card_number = receipt[0].as<std::string>();
        absl::CivilDay day;
        if (!absl::ParseCivilTime(receipt[1].as<std::string>(), &day)) {
          return absl::InternalError("stored receipt day does not parse");
        }
        const int64_t amount = receipt[2].as<int64_t>();
        const int64_t refunded = receipt[3].as<int64_t>();
        const int64_t take =
            std::clamp<int64_t>(fact.amount, 0, std::max<int64_t>(amount - refunded, 0));
        if (take == 0) return absl::OkStatus();
        const bool emptied = refunded + take >= amount;
        tx.exec_params(
            "UPDATE level_receipts SET refunded = refunded + $3"
            " WHERE program_id = $1 AND receipt_id = $2",
            fact.program_id, fact.receipt_id, take);
        AddActivity(tx, fact.program_id, card_number, day,
                    ActivityDelta{.purchase_amount = -take, .visits = emptied ? -1 : 0});
        result.outcome = ActivityOutcome::kApplied;
        return absl::OkStatus();
      });
}

absl::StatusOr<ActivityResult> LevelActivityStore::ApplyPoints(const PointsFact& fact) {
  const absl::Time now = sql::Truncate(clock_.Now());
  return ApplyOnce(pool_, fact.program_id, fact.event_id,
                   [&](pg::Tx& tx, ActivityResult& result) -> absl::Status {
                     if (fact.points == 0) return absl::OkStatus();
                     std::optional<CardContext> card =
                         LoadCard(tx, fact.program_id, fact.card_number);
                     if (!card) return absl::OkStatus();
                     AddActivity(tx, fact.program_id, card->number, LocalDay(fact.time, card->zone),
                                 ActivityDelta{.points_earned = fact.points});
                     result.outcome = ActivityOutcome::kApplied;
                     if (fact.points > 0) UpgradeIfReached(tx, fact.program_id, *card, now, result);
                     return absl::OkStatus();
                   });
}

}  // namespace loyalty::cards
