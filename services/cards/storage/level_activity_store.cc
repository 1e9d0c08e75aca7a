#include "services/cards/storage/level_activity_store.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "libs/common/status_macros.h"
#include "libs/pg/array_literal.h"
#include "libs/pg/prepared.h"
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

struct ActivityDelta {
  int64_t purchase_amount = 0;
  int32_t visits = 0;
  int64_t points_earned = 0;
};

// Activity per (program, card number, day), added to what the days hold.
using ActivityRows = std::map<std::tuple<std::string, std::string, absl::CivilDay>, ActivityDelta>;

// One statement whatever the number of rows; in key order, so that two
// transactions over the same days queue rather than deadlock.
void WriteActivity(pg::Tx& tx, const ActivityRows& rows) {
  if (rows.empty()) return;
  std::vector<std::string> programs, numbers, days;
  std::vector<int64_t> purchases, visits, points;
  for (const auto& [key, delta] : rows) {
    const auto& [program_id, number, day] = key;
    programs.push_back(program_id);
    numbers.push_back(number);
    days.push_back(absl::FormatCivilTime(day));
    purchases.push_back(delta.purchase_amount);
    visits.push_back(delta.visits);
    points.push_back(delta.points_earned);
  }
  pg::ExecPrepared(
      tx,
      "INSERT INTO card_activity_days (program_id, card_number, day, purchase_amount, visits,"
      "                                points_earned)"
      " SELECT p, n, d::date, a, v, e"
      " FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],"
      "             $6::bigint[]) AS k(p, n, d, a, v, e)"
      " ON CONFLICT (program_id, card_number, day) DO UPDATE SET"
      "   purchase_amount = card_activity_days.purchase_amount + EXCLUDED.purchase_amount,"
      "   visits = card_activity_days.visits + EXCLUDED.visits,"
      "   points_earned = card_activity_days.points_earned + EXCLUDED.points_earned",
      pg::TextArray(programs), pg::TextArray(numbers), pg::TextArray(days),
      pg::IntArray(purchases), pg::IntArray(visits), pg::IntArray(points));
}

void AddActivityNow(pg::Tx& tx, const std::string& program_id, const std::string& card_number,
                    absl::CivilDay day, const ActivityDelta& delta) {
  WriteActivity(tx, ActivityRows{{{program_id, card_number, day}, delta}});
}

// What the facts of one transaction share: the cards they name, with level
// rows and ladders, and the activity of cards on no ladder, written at the
// end with one statement. A card on a ladder has its activity written at
// once, because the upgrade check that follows reads it.
class ActivityBatch {
 public:
  explicit ActivityBatch(pg::Tx& tx) : tx_(tx) {}

  // Looks up a batch's cards of one program and reads their level rows,
  // locked in number order (two batches over the same cards, from the pos
  // and the cards consumers or other replicas, queue rather than deadlock).
  void Prefetch(const std::string& program_id, const std::vector<std::string>& keys) {
    std::map<std::string, sql::CardRow> found = sql::FindCards(tx_, program_id, keys);
    std::set<std::string> numbers;
    for (const auto& [key, card] : found) numbers.insert(card.number);
    std::map<std::string, levels::CardLevelRow> rows =
        levels::ReadCardLevels(tx_, program_id, numbers);
    for (const std::string& key : keys) {
      auto card = found.find(key);
      if (card == found.end()) {
        cards_[{program_id, key}] = std::nullopt;
        continue;
      }
      auto row = rows.find(card->second.number);
      cards_[{program_id, key}] = Context(
          program_id, card->second.number,
          row == rows.end() ? std::nullopt : std::optional<levels::CardLevelRow>(row->second));
    }
  }

  // The card `key` (number or barcode) names, if any.
  std::optional<CardContext> Find(const std::string& program_id, const std::string& key) {
    auto it = cards_.find({program_id, key});
    if (it != cards_.end()) {
      std::optional<CardContext> card = it->second;
      // A fact before may have moved the card on its ladder: from the
      // second fact on, its row is read again (it is locked already).
      if (card && card->ladder && !first_use_.insert({program_id, card->number}).second) {
        card->row = levels::ReadCardLevel(tx_, program_id, card->number, /*lock=*/true);
      }
      return card;
    }
    std::optional<sql::CardRow> card = sql::FindCard(tx_, program_id, key);
    if (!card) return std::nullopt;
    return Context(program_id, card->number,
                   levels::ReadCardLevel(tx_, program_id, card->number, /*lock=*/true));
  }

  void AddActivity(const std::string& program_id, const CardContext& card, absl::CivilDay day,
                   const ActivityDelta& delta) {
    if (card.ladder) {
      AddActivityNow(tx_, program_id, card.number, day, delta);
      return;
    }
    ActivityDelta& pending = pending_[{program_id, card.number, day}];
    pending.purchase_amount += delta.purchase_amount;
    pending.visits += delta.visits;
    pending.points_earned += delta.points_earned;
  }

  // Writes the activity held back: one row per card and day.
  void Flush() {
    WriteActivity(tx_, pending_);
    pending_.clear();
  }

 private:
  // A card with its level row and ladder; ladders read once per level type.
  CardContext Context(const std::string& program_id, const std::string& number,
                      std::optional<levels::CardLevelRow> row) {
    CardContext context{.number = number, .row = std::move(row)};
    if (context.row && !context.row->level_type_id.empty()) {
      auto [ladder, fresh] = ladders_.try_emplace({program_id, context.row->level_type_id});
      if (fresh) {
        ladder->second = levels::LoadLadder(tx_, program_id, context.row->level_type_id);
      }
      context.ladder = ladder->second;
      if (context.ladder) context.zone = context.ladder->zone;
    }
    return context;
  }

  pg::Tx& tx_;
  std::map<std::pair<std::string, std::string>, std::optional<CardContext>> cards_;
  std::map<std::pair<std::string, std::string>, std::optional<levels::Ladder>> ladders_;
  std::set<std::pair<std::string, std::string>> first_use_;  // (program, number) seen
  ActivityRows pending_;
};

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

// The effect of each kind of fact, inside a transaction that has recorded
// its event id already.
absl::Status Apply(pg::Tx& tx, ActivityBatch& batch, absl::Time now, const PurchaseFact& fact,
                   ActivityResult& result) {
  std::optional<CardContext> card = batch.Find(fact.program_id, fact.card_number);
  if (!card) return absl::OkStatus();  // ignored: not a card of the program
  const absl::CivilDay day = LocalDay(fact.time, card->zone);
  pqxx::result inserted = tx.exec_params(
      "INSERT INTO level_receipts (program_id, receipt_id, card_number, day, amount)"
      " VALUES ($1, $2, $3, $4::date, $5) ON CONFLICT DO NOTHING RETURNING 1",
      fact.program_id, fact.receipt_id, card->number, absl::FormatCivilTime(day), fact.amount);
  if (inserted.empty()) return absl::OkStatus();  // the receipt counted already
  batch.AddActivity(fact.program_id, *card, day,
                    ActivityDelta{.purchase_amount = fact.amount, .visits = 1});
  result.outcome = ActivityOutcome::kApplied;
  UpgradeIfReached(tx, fact.program_id, *card, now, result);
  return absl::OkStatus();
}

absl::Status Apply(pg::Tx& tx, ActivityBatch& /*batch*/, absl::Time /*now*/,
                   const RefundFact& fact, ActivityResult& result) {
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
  const int64_t left = std::max<int64_t>(amount - refunded, 0);
  const int64_t take = fact.cancels_receipt ? left : std::clamp<int64_t>(fact.amount, 0, left);
  if (take == 0) return absl::OkStatus();
  const bool emptied = refunded + take >= amount;
  tx.exec_params(
      "UPDATE level_receipts SET refunded = refunded + $3"
      " WHERE program_id = $1 AND receipt_id = $2",
      fact.program_id, fact.receipt_id, take);
  // At once: a later purchase in the batch may check an upgrade on it.
  AddActivityNow(tx, fact.program_id, card_number, day,
                 ActivityDelta{.purchase_amount = -take, .visits = emptied ? -1 : 0});
  result.outcome = ActivityOutcome::kApplied;
  return absl::OkStatus();
}

absl::Status Apply(pg::Tx& tx, ActivityBatch& batch, absl::Time now, const PointsFact& fact,
                   ActivityResult& result) {
  if (fact.points == 0) return absl::OkStatus();
  std::optional<CardContext> card = batch.Find(fact.program_id, fact.card_number);
  if (!card) return absl::OkStatus();
  batch.AddActivity(fact.program_id, *card, LocalDay(fact.time, card->zone),
                    ActivityDelta{.points_earned = fact.points});
  result.outcome = ActivityOutcome::kApplied;
  if (fact.points > 0) UpgradeIfReached(tx, fact.program_id, *card, now, result);
  return absl::OkStatus();
}

const std::string& EventOf(const ActivityFact& fact) {
  return std::visit([](const auto& f) -> const std::string& { return f.event_id; }, fact);
}

// The card a fact names, if it names one (refunds name a receipt).
const std::string* CardKeyOf(const ActivityFact& fact) {
  if (const auto* purchase = std::get_if<PurchaseFact>(&fact)) return &purchase->card_number;
  if (const auto* points = std::get_if<PointsFact>(&fact)) return &points->card_number;
  return nullptr;
}

// Runs one fact in a transaction of its own unless its event was applied
// before.
absl::StatusOr<ActivityResult> ApplyOnce(pg::Pool& pool, absl::Time now,
                                         const ActivityFact& fact) {
  ActivityResult result;
  RETURN_IF_ERROR(pool.Transact([&](pg::Tx& tx) -> absl::Status {
    result = ActivityResult();
    if (!MarkProcessed(tx, ProgramOf(fact), EventOf(fact))) {
      result.outcome = ActivityOutcome::kDuplicate;
      return absl::OkStatus();
    }
    ActivityBatch batch(tx);
    RETURN_IF_ERROR(
        std::visit([&](const auto& f) { return Apply(tx, batch, now, f, result); }, fact));
    batch.Flush();
    return absl::OkStatus();
  }));
  return result;
}

}  // namespace

const std::string& ProgramOf(const ActivityFact& fact) {
  return std::visit([](const auto& f) -> const std::string& { return f.program_id; }, fact);
}

absl::StatusOr<ActivityResult> LevelActivityStore::ApplyPurchase(const PurchaseFact& fact) {
  return ApplyOnce(pool_, sql::Truncate(clock_.Now()), fact);
}

absl::StatusOr<ActivityResult> LevelActivityStore::ApplyRefund(const RefundFact& fact) {
  return ApplyOnce(pool_, sql::Truncate(clock_.Now()), fact);
}

absl::StatusOr<ActivityResult> LevelActivityStore::ApplyPoints(const PointsFact& fact) {
  return ApplyOnce(pool_, sql::Truncate(clock_.Now()), fact);
}

std::vector<absl::StatusOr<ActivityResult>> LevelActivityStore::ApplyAll(
    std::span<const ActivityFact> facts) {
  const absl::Time now = sql::Truncate(clock_.Now());
  std::vector<ActivityResult> results;
  absl::Status batch = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    results.assign(facts.size(), ActivityResult());
    std::vector<std::string> programs;
    std::vector<std::string> events;
    for (const ActivityFact& fact : facts) {
      programs.push_back(ProgramOf(fact));
      events.push_back(EventOf(fact));
    }
    std::set<std::pair<std::string, std::string>> recorded;
    for (const auto& row :
         pg::ExecPrepared(tx,
                          "INSERT INTO level_processed_events (program_id, event_id)"
                          " SELECT * FROM unnest($1::text[], $2::text[])"
                          " ON CONFLICT DO NOTHING RETURNING program_id, event_id",
                          pg::TextArray(programs), pg::TextArray(events))) {
      recorded.emplace(row[0].as<std::string>(), row[1].as<std::string>());
    }
    // The facts to apply: each recorded event once, at its first place.
    std::vector<bool> apply(facts.size(), false);
    std::map<std::string, std::vector<std::string>> card_keys;  // program -> keys
    for (size_t i = 0; i < facts.size(); ++i) {
      apply[i] = recorded.erase({programs[i], events[i]}) == 1;
      if (!apply[i]) {
        results[i].outcome = ActivityOutcome::kDuplicate;
        continue;
      }
      if (const std::string* key = CardKeyOf(facts[i])) card_keys[programs[i]].push_back(*key);
    }
    ActivityBatch batch(tx);
    for (const auto& [program_id, keys] : card_keys) batch.Prefetch(program_id, keys);
    for (size_t i = 0; i < facts.size(); ++i) {
      if (!apply[i]) continue;
      RETURN_IF_ERROR(std::visit(
          [&](const auto& f) { return Apply(tx, batch, now, f, results[i]); }, facts[i]));
    }
    batch.Flush();
    return absl::OkStatus();
  });
  std::vector<absl::StatusOr<ActivityResult>> answers;
  answers.reserve(facts.size());
  if (batch.ok()) {
    for (ActivityResult& result : results) answers.emplace_back(std::move(result));
    return answers;
  }
  // The database is away: every fact would fail the same way, slowly.
  if (batch.code() == absl::StatusCode::kUnavailable) return {batch};
  // One by one, up to the first that fails: the facts after it wait for
  // it, since a refund must not be applied before its purchase.
  for (const ActivityFact& fact : facts) {
    answers.push_back(ApplyOnce(pool_, now, fact));
    if (!answers.back().ok()) break;
  }
  return answers;
}

}  // namespace loyalty::cards
