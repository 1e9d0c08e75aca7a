#include "services/cards/storage/card_level_engine.h"

#include <algorithm>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "libs/common/random_ids.h"
#include "libs/pg/array_literal.h"
#include "libs/pg/prepared.h"
#include "services/cards/domain/level_window.h"
#include "services/cards/storage/level_events.h"
#include "services/cards/storage/level_rows.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards::levels {
namespace {

// Activity columns by metric; never user input.
const char* ActivityColumn(LevelMetric metric) {
  switch (metric) {
    case LevelMetric::kPurchaseAmount:
      return "purchase_amount";
    case LevelMetric::kPointsEarned:
      return "points_earned";
    case LevelMetric::kVisits:
    case LevelMetric::kUnspecified:
      break;
  }
  return "visits";
}

const Level* FindLevelById(const Ladder& ladder, absl::string_view level_id) {
  for (const Level& level : ladder.levels) {
    if (level.level_id == level_id) return &level;
  }
  return nullptr;
}

// The bonus a change brings, if any: the target's bonus, when the change
// moves the card up, is allowed one, and the card never got this level's.
std::optional<std::string> DueBonus(pg::Tx& tx, absl::string_view program_id,
                                    const CardLevelRow& card, const ChangeRequest& change) {
  const Level* target = change.target;
  if (target == nullptr || !change.bonus_allowed || target->spec.bonus_points <= 0) {
    return std::nullopt;
  }
  std::optional<int64_t> from;
  if (!card.state.level_id.empty()) from = card.state.threshold;
  if (!MovesUp(from, *target)) return std::nullopt;
  std::string transfer_id = LevelBonusTransferId(target->level_id, card.card_number);
  pqxx::result earlier = tx.exec_params(
      "SELECT 1 FROM card_level_history WHERE program_id = $1 AND bonus_transfer_id = $2",
      std::string(program_id), transfer_id);
  if (!earlier.empty()) return std::nullopt;
  return transfer_id;
}

}  // namespace

namespace {

// The columns DecodeCardLevel reads, over a card level row `cl` joined
// with its card `c` and level `l` (kCardAndLevel).
constexpr char kCardLevelColumns[] =
    "cl.card_number, c.client_id::text, cl.template_id::text,"
    " COALESCE(cl.level_type_id::text, ''), COALESCE(cl.level_id::text, ''),"
    " COALESCE(l.threshold, 0), COALESCE(ts_to_micros(cl.start_at), 0),"
    " ts_to_micros(cl.expire_at), COALESCE(cl.reason, ''), COALESCE(l.name, '')";
// Joined after the card level row is read (and locked): a row locked in the
// same statement as its joins would, after waiting for another change of
// the card, be joined again with the level it had before (READ COMMITTED
// rechecks the join with the other tables' old rows), and the new level's
// threshold and name would come out empty. One key probe each.
constexpr char kCardAndLevel[] =
    " CROSS JOIN LATERAL (SELECT client_id FROM cards"
    "  WHERE program_id = cl.program_id AND number = cl.card_number OFFSET 0) AS c"
    " LEFT JOIN LATERAL (SELECT threshold, name FROM levels"
    "  WHERE program_id = cl.program_id AND level_id = cl.level_id OFFSET 0) AS l ON true";
constexpr char kCardLevelRow[] =
    "(SELECT * FROM card_levels WHERE program_id = $1 AND card_number = $2";

// A row of kCardLevelColumns, without its template's spec.
CardLevelRow DecodeCardLevel(const pqxx::row& row) {
  CardLevelRow card;
  card.card_number = row[0].as<std::string>();
  card.client_id = row[1].as<std::string>();
  card.template_id = row[2].as<std::string>();
  card.level_type_id = row[3].as<std::string>();
  card.state.level_id = row[4].as<std::string>();
  card.state.threshold = row[5].as<int64_t>();
  card.state.start_time = sql::TimeOf(row[6]);
  card.state.expire_time = sql::OptionalTimeOf(row[7]);
  card.state.reason =
      ParseLevelChangeReason(row[8].as<std::string>()).value_or(LevelChangeReason::kUnspecified);
  card.level_name = row[9].as<std::string>();
  return card;
}

}  // namespace

std::optional<CardLevelRow> ReadCardLevel(pg::Tx& tx, absl::string_view program_id,
                                          absl::string_view card_number, bool lock) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kCardLevelColumns, " FROM ", kCardLevelRow,
                   lock ? " FOR NO KEY UPDATE" : "", ") AS cl", kCardAndLevel),
      std::string(program_id), std::string(card_number));
  if (rows.empty()) return std::nullopt;
  CardLevelRow card = DecodeCardLevel(rows[0]);
  // The template exists: a foreign key guards it.
  if (std::optional<CardTemplate> found = rows::FindTemplate(tx, program_id, card.template_id)) {
    card.template_spec = found->spec;
  }
  return card;
}

std::map<std::string, CardLevelRow> ReadCardLevels(pg::Tx& tx, absl::string_view program_id,
                                                   const std::set<std::string>& card_numbers) {
  std::map<std::string, CardLevelRow> cards;
  if (card_numbers.empty()) return cards;
  static const std::string query =
      absl::StrCat("SELECT ", kCardLevelColumns,
                   " FROM unnest($2::text[]) WITH ORDINALITY AS k(number, n)"
                   " CROSS JOIN LATERAL (SELECT * FROM card_levels"
                   "  WHERE program_id = $1 AND card_number = k.number FOR NO KEY UPDATE) AS cl",
                   kCardAndLevel, " ORDER BY k.n");
  std::map<std::string, std::optional<TemplateSpec>> templates;
  for (const pqxx::row& row :
       pg::ExecPrepared(tx, query, std::string(program_id),
                        pg::TextArray(std::vector<std::string>(card_numbers.begin(),
                                                               card_numbers.end())))) {
    CardLevelRow card = DecodeCardLevel(row);
    auto [spec, fresh] = templates.try_emplace(card.template_id);
    if (fresh) {
      if (std::optional<CardTemplate> found = rows::FindTemplate(tx, program_id, card.template_id)) {
        spec->second = found->spec;
      }
    }
    if (spec->second) card.template_spec = *spec->second;
    std::string number = card.card_number;
    cards.emplace(std::move(number), std::move(card));
  }
  return cards;
}

std::optional<Ladder> LoadLadder(pg::Tx& tx, absl::string_view program_id,
                                 absl::string_view level_type_id) {
  std::optional<LevelType> type = rows::FindLevelType(tx, program_id, level_type_id);
  if (!type) return std::nullopt;
  Ladder ladder{.type = *std::move(type),
                .levels = rows::LoadLevels(tx, program_id, level_type_id),
                .zone = absl::UTCTimeZone()};
  ladder.zone = ZoneOf(ladder.type.spec);
  return ladder;
}

int64_t QualifyingValueAt(pg::Tx& tx, absl::string_view program_id, absl::string_view card_number,
                          const Ladder& ladder, absl::Time now) {
  const LevelTypeSpec& spec = ladder.type.spec;
  const std::string query = absl::StrCat(
      "SELECT COALESCE(sum(", ActivityColumn(spec.metric),
      "), 0)::bigint FROM card_activity_days"
      " WHERE program_id = $1 AND card_number = $2 AND day BETWEEN $3::date AND $4::date");
  std::vector<int64_t> sums;
  for (const DayRange& range : QualifyingRanges(spec.window, LocalDay(now, ladder.zone))) {
    sums.push_back(tx.exec_params1(query, std::string(program_id), std::string(card_number),
                                   absl::FormatCivilTime(range.first),
                                   absl::FormatCivilTime(range.last))[0]
                       .as<int64_t>());
  }
  return QualifyingValue(sums);
}

WrittenChange WriteChange(pg::Tx& tx, absl::string_view program_id, const CardLevelRow& card,
                          const Ladder& ladder, const ChangeRequest& change, absl::Time now) {
  const Level* target = change.target;
  const std::string target_id = target == nullptr ? "" : target->level_id;
  const std::optional<std::string> bonus_transfer = DueBonus(tx, program_id, card, change);
  const int64_t bonus_points = bonus_transfer ? target->spec.bonus_points : 0;
  WrittenChange written{.change_id = NewUuid(), .bonus_pending = bonus_transfer.has_value()};
  const std::string expire = sql::OptionalMicros(change.expire_time);
  const int64_t due = sql::Micros(NextRecalculation(now, ladder.zone, change.expire_time));

  tx.exec_params(
      "UPDATE card_levels SET level_id = NULLIF($3, '')::uuid,"
      "  start_at = CASE WHEN $3 = '' THEN NULL ELSE micros_to_ts($4) END,"
      "  expire_at = micros_to_ts(NULLIF($5, '')::bigint), reason = $6,"
      "  recalc_due_at = LEAST(recalc_due_at, micros_to_ts($7))"
      " WHERE program_id = $1 AND card_number = $2",
      std::string(program_id), card.card_number, target_id, sql::Micros(now), expire,
      std::string(LevelChangeReasonName(change.reason)), due);
  tx.exec_params(
      "INSERT INTO card_level_history (program_id, change_id, card_number, level_type_id,"
      "  from_level_id, to_level_id, to_level_name, reason, qualifying_value, expire_at, comment,"
      "  principal_id, request_id, bonus_points, bonus_state, bonus_transfer_id, created_at)"
      " VALUES ($1, $2::uuid, $3, $4::uuid, NULLIF($5, '')::uuid, NULLIF($6, '')::uuid, $7, $8,"
      "         $9, micros_to_ts(NULLIF($10, '')::bigint), $11, $12, NULLIF($13, ''), $14,"
      "         CASE WHEN $14::bigint > 0 THEN 'PENDING' ELSE 'NONE' END, NULLIF($15, ''),"
      "         micros_to_ts($16))",
      std::string(program_id), written.change_id, card.card_number, card.level_type_id,
      card.state.level_id, target_id, target == nullptr ? "" : target->spec.name,
      std::string(LevelChangeReasonName(change.reason)), change.qualifying_value, expire,
      change.comment, change.principal_id, change.request_id, bonus_points,
      bonus_transfer.value_or(""), sql::Micros(now));

  const Level* previous = FindLevelById(ladder, card.state.level_id);
  LevelBenefits level_benefits;
  if (target != nullptr) {
    level_benefits = {.discount_bp = target->spec.discount_bp,
                      .accrual_bp = target->spec.accrual_bp};
  }
  AppendLevelChanged(
      tx, program_id,
      LevelChangedFact{.change_id = written.change_id,
                       .card_number = card.card_number,
                       .client_id = card.client_id,
                       .level_type_id = card.level_type_id,
                       .previous_level_id = card.state.level_id,
                       .previous_level_name = previous == nullptr ? "" : previous->spec.name,
                       .level_id = target_id,
                       .level_name = target == nullptr ? "" : target->spec.name,
                       .reason = change.reason,
                       .qualifying_value = change.qualifying_value,
                       .start_time = now,
                       .expire_time = change.expire_time,
                       .bonus_points = bonus_points,
                       .bonus_transfer_id = bonus_transfer.value_or(""),
                       .principal_id = change.principal_id,
                       .benefits = BenefitsOf(&card.template_spec,
                                              target == nullptr ? nullptr : &level_benefits)});
  return written;
}

Evaluation EvaluateCard(pg::Tx& tx, absl::string_view program_id, const CardLevelRow& card,
                        const Ladder& ladder, absl::Time now, EvaluationMode mode) {
  const int64_t value = QualifyingValueAt(tx, program_id, card.card_number, ladder, now);
  const LevelDecision decision =
      DecideLevel(ladder.levels, card.state, value, now, mode, ladder.zone);
  Evaluation out{.action = decision.action};
  switch (decision.action) {
    case LevelDecision::Action::kKeep:
      break;
    case LevelDecision::Action::kRenew:
      tx.exec_params(
          "UPDATE card_levels SET expire_at = micros_to_ts(NULLIF($3, '')::bigint)"
          " WHERE program_id = $1 AND card_number = $2",
          std::string(program_id), card.card_number, sql::OptionalMicros(decision.expire_time));
      break;
    case LevelDecision::Action::kChange:
      out.moved_up = decision.reason == LevelChangeReason::kThresholdUpgrade;
      out.change = WriteChange(tx, program_id, card, ladder,
                               ChangeRequest{.target = decision.target,
                                             .reason = decision.reason,
                                             .expire_time = decision.expire_time,
                                             .qualifying_value = value,
                                             .bonus_allowed = out.moved_up},
                               now);
      break;
  }
  return out;
}

void MarkRecalculated(pg::Tx& tx, absl::string_view program_id, absl::string_view card_number,
                      const Ladder& ladder, absl::Time now) {
  pqxx::row row = tx.exec_params1(
      "SELECT ts_to_micros(expire_at) FROM card_levels WHERE program_id = $1 AND card_number = $2",
      std::string(program_id), std::string(card_number));
  const absl::Time due = NextRecalculation(now, ladder.zone, sql::OptionalTimeOf(row[0]));
  tx.exec_params(
      "UPDATE card_levels SET recalculated_at = micros_to_ts($3), recalc_due_at = micros_to_ts($4)"
      " WHERE program_id = $1 AND card_number = $2",
      std::string(program_id), std::string(card_number), sql::Micros(now), sql::Micros(due));
}

}  // namespace loyalty::cards::levels
