#include "services/cards/storage/card_level_store.h"

#include <limits>
#include <map>

#include <pqxx/pqxx>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/common/status_macros.h"
#include "services/cards/domain/level_window.h"
#include "services/cards/storage/card_level_engine.h"
#include "services/cards/storage/level_rows.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {
namespace {

absl::Status NoSuchCard() {
  return FieldError(absl::StatusCode::kNotFound, "card_number", "no such card");
}

absl::Status ValidateManualChange(ManualLevelChange& change) {
  if (change.card_number.empty()) return InvalidField("card_number", "required");
  RETURN_IF_ERROR(ValidateNoControlCharacters("card_number", change.card_number));
  RETURN_IF_ERROR(NormalizeUuid("level_id", change.level_id));
  RETURN_IF_ERROR(NormalizeText("comment", change.comment, kMaxLevelCommentLength));
  if (change.comment.empty()) return InvalidField("comment", "required: say why");
  return ValidateRequestId(change.request_id);
}

// The target of a manual change, which must be an active level of the
// card's own type.
absl::StatusOr<const Level*> ManualTarget(pg::Tx& tx, absl::string_view program_id,
                                          const levels::Ladder& ladder,
                                          absl::string_view level_id) {
  if (const Level* level = FindActiveLevel(ladder.levels, level_id)) return level;
  std::optional<Level> found = rows::FindLevel(tx, program_id, level_id);
  if (!found) return FieldError(absl::StatusCode::kNotFound, "level_id", "no such level");
  if (found->level_type_id != ladder.type.level_type_id) {
    return InvalidField("level_id",
                        "belongs to another level type; a card moves only within its own");
  }
  return FieldError(absl::StatusCode::kFailedPrecondition, "level_id", "the level is archived");
}

constexpr char kHistoryColumns[] =
    "change_id::text, card_number, level_type_id::text, COALESCE(from_level_id::text, ''),"
    " COALESCE(to_level_id::text, ''), to_level_name, reason, qualifying_value,"
    " ts_to_micros(expire_at), comment, principal_id, bonus_points, bonus_state,"
    " COALESCE(bonus_transfer_id, ''), bonus_error, ts_to_micros(created_at)";

LevelChangeRecord ReadChange(const pqxx::row& row) {
  LevelChangeRecord out;
  out.change_id = row[0].as<std::string>();
  out.card_number = row[1].as<std::string>();
  out.level_type_id = row[2].as<std::string>();
  out.previous_level_id = row[3].as<std::string>();
  out.level_id = row[4].as<std::string>();
  out.level_name = row[5].as<std::string>();
  out.reason =
      ParseLevelChangeReason(row[6].as<std::string>()).value_or(LevelChangeReason::kUnspecified);
  out.qualifying_value = row[7].as<int64_t>();
  out.expire_time = sql::OptionalTimeOf(row[8]);
  out.comment = row[9].as<std::string>();
  out.principal_id = row[10].as<std::string>();
  out.bonus_points = row[11].as<int64_t>();
  out.bonus_state =
      ParseLevelBonusState(row[12].as<std::string>()).value_or(LevelBonusState::kNone);
  out.bonus_transfer_id = row[13].as<std::string>();
  out.bonus_error = row[14].as<std::string>();
  out.create_time = sql::TimeOf(row[15]);
  return out;
}

}  // namespace

namespace {

// An active template of the program, share-locked: the lock holds off a
// concurrent change of its kind or level type, which is refused once cards
// use it.
absl::StatusOr<CardTemplate> ActiveTemplate(pg::Tx& tx, absl::string_view program_id,
                                            absl::string_view template_id) {
  std::optional<CardTemplate> found =
      rows::FindTemplate(tx, program_id, template_id, rows::Lock::kShare);
  if (!found) return FieldError(absl::StatusCode::kNotFound, "template_id", "no such template");
  if (found->state != DefinitionState::kActive) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "template_id",
                      "the template is archived");
  }
  return *std::move(found);
}

// Puts a card that has no template row yet on `found`: with a level type,
// the card gets the ladder's level for no activity (reason INITIAL).
void AttachTemplate(pg::Tx& tx, absl::string_view program_id, absl::string_view card_number,
                    const CardTemplate& found, absl::Time now) {
  const std::string& level_type_id = found.spec.level_type_id;
  std::optional<levels::Ladder> ladder;
  if (!level_type_id.empty()) ladder = levels::LoadLadder(tx, program_id, level_type_id);
  tx.exec_params(
      "INSERT INTO card_levels (program_id, card_number, template_id, level_type_id,"
      "  recalc_due_at)"
      " VALUES ($1, $2, $3::uuid, NULLIF($4, '')::uuid,"
      "         CASE WHEN $4 = '' THEN NULL ELSE micros_to_ts($5) END)",
      std::string(program_id), std::string(card_number), found.template_id, level_type_id,
      ladder ? sql::Micros(NextRecalculation(now, ladder->zone, std::nullopt)) : int64_t{0});
  if (!ladder) return;
  const Level* initial = InitialLevel(ladder->levels);
  if (initial == nullptr) return;
  std::optional<levels::CardLevelRow> row =
      levels::ReadCardLevel(tx, program_id, card_number, /*lock=*/true);
  levels::WriteChange(tx, program_id, *row, *ladder,
                      levels::ChangeRequest{.target = initial,
                                            .reason = LevelChangeReason::kInitial,
                                            .expire_time = LevelExpiry(initial->spec.validity_days,
                                                                       now, ladder->zone)},
                      now);
}

}  // namespace

absl::Status CardLevelStore::OnIssue(pg::Tx& tx, absl::string_view program_id,
                                     const IssueCardInput& input, const Card& card) {
  if (input.template_id.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(CardTemplate found, ActiveTemplate(tx, program_id, input.template_id));
  AttachTemplate(tx, program_id, card.number, found, card.create_time);
  return absl::OkStatus();
}

absl::StatusOr<std::string> CardLevelStore::SetTemplate(absl::string_view program_id,
                                                        absl::string_view card_number,
                                                        std::string template_id) {
  RETURN_IF_ERROR(NormalizeUuid("template_id", template_id));
  const absl::Time now = sql::Truncate(clock_.Now());
  std::string number;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    std::optional<sql::CardRow> card = sql::FindCard(tx, program_id, card_number);
    if (!card) return NoSuchCard();
    number = card->number;
    if (card->status == CardStatus::kDeleted) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "card_number",
                        "the card is deleted");
    }
    ASSIGN_OR_RETURN(CardTemplate found, ActiveTemplate(tx, program_id, template_id));
    std::optional<levels::CardLevelRow> row =
        levels::ReadCardLevel(tx, program_id, card->number, /*lock=*/true);
    if (!row) {
      AttachTemplate(tx, program_id, card->number, found, now);
      return absl::OkStatus();
    }
    if (row->template_id == found.template_id) return absl::OkStatus();
    if (row->level_type_id != found.spec.level_type_id) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "template_id",
                        "the card keeps the level type it has; this template has another");
    }
    tx.exec_params(
        "UPDATE card_levels SET template_id = $3::uuid"
        " WHERE program_id = $1 AND card_number = $2",
        std::string(program_id), card->number, found.template_id);
    return absl::OkStatus();
  }));
  return number;
}

namespace {

// The view of one card inside a read transaction; `ladders` caches the
// ladders read so far, by level type, for callers describing many cards.
CardLevelView DescribeIn(pg::Tx& tx, absl::string_view program_id, absl::string_view card_number,
                         std::map<std::string, std::optional<levels::Ladder>>& ladders) {
  CardLevelView view;
  std::optional<levels::CardLevelRow> row =
      levels::ReadCardLevel(tx, program_id, card_number, /*lock=*/false);
  if (!row) return view;
  view.template_id = row->template_id;
  const Level* level = nullptr;
  if (!row->state.level_id.empty()) {
    auto it = ladders.find(row->level_type_id);
    if (it == ladders.end()) {
      it = ladders
               .emplace(row->level_type_id, levels::LoadLadder(tx, program_id, row->level_type_id))
               .first;
    }
    if (it->second) {
      for (const Level& candidate : it->second->levels) {
        if (candidate.level_id == row->state.level_id) level = &candidate;
      }
    }
  }
  LevelBenefits level_benefits;
  if (level != nullptr) {
    level_benefits = {.discount_bp = level->spec.discount_bp, .accrual_bp = level->spec.accrual_bp};
    view.level = CardLevelInfo{.level_id = level->level_id,
                               .level_type_id = row->level_type_id,
                               .name = level->spec.name,
                               .rank = level->rank,
                               .start_time = row->state.start_time,
                               .expire_time = row->state.expire_time,
                               .reason = row->state.reason};
  }
  view.benefits = BenefitsOf(&row->template_spec, level == nullptr ? nullptr : &level_benefits);
  return view;
}

}  // namespace

absl::StatusOr<CardLevelView> CardLevelStore::Describe(absl::string_view program_id,
                                                       absl::string_view card_number) {
  ASSIGN_OR_RETURN(auto views, DescribeAll(program_id, {std::string(card_number)}));
  return views[std::string(card_number)];
}

absl::StatusOr<std::map<std::string, CardLevelView>> CardLevelStore::DescribeAll(
    absl::string_view program_id, const std::vector<std::string>& card_numbers) {
  std::map<std::string, CardLevelView> views;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    views.clear();
    std::map<std::string, std::optional<levels::Ladder>> ladders;
    for (const std::string& number : card_numbers) {
      views[number] = DescribeIn(tx, program_id, number, ladders);
    }
    return absl::OkStatus();
  }));
  return views;
}

absl::StatusOr<CardLevelStore::ManualResult> CardLevelStore::SetManual(absl::string_view program_id,
                                                                       ManualLevelChange change) {
  RETURN_IF_ERROR(ValidateManualChange(change));
  const absl::Time now = sql::Truncate(clock_.Now());
  ManualResult result;
  RETURN_IF_ERROR(pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    result = ManualResult();
    std::optional<sql::CardRow> card = sql::FindCard(tx, program_id, change.card_number);
    if (!card) return NoSuchCard();
    result.card_number = card->number;
    if (!change.request_id.empty()) {
      pqxx::result earlier = tx.exec_params(
          "SELECT card_number, COALESCE(to_level_id::text, '') FROM card_level_history"
          " WHERE program_id = $1 AND request_id = $2",
          std::string(program_id), change.request_id);
      if (!earlier.empty()) {
        if (earlier[0][0].as<std::string>() != card->number ||
            earlier[0][1].as<std::string>() != change.level_id) {
          return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                            "already used for another level change");
        }
        return absl::OkStatus();  // done by the first call
      }
    }
    std::optional<levels::CardLevelRow> row =
        levels::ReadCardLevel(tx, program_id, card->number, /*lock=*/true);
    if (!row || row->level_type_id.empty()) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "card_number",
                        "the card's template has no level type");
    }
    std::optional<levels::Ladder> ladder = levels::LoadLadder(tx, program_id, row->level_type_id);
    ASSIGN_OR_RETURN(const Level* target, ManualTarget(tx, program_id, *ladder, change.level_id));
    ASSIGN_OR_RETURN(std::optional<absl::Time> expire,
                     ManualExpiry(*target, change.expire_time, now, ladder->zone));
    levels::WrittenChange written =
        levels::WriteChange(tx, program_id, *row, *ladder,
                            levels::ChangeRequest{.target = target,
                                                  .reason = LevelChangeReason::kManual,
                                                  .expire_time = expire,
                                                  .qualifying_value = levels::QualifyingValueAt(
                                                      tx, program_id, card->number, *ladder, now),
                                                  .comment = change.comment,
                                                  .principal_id = change.principal_id,
                                                  .request_id = change.request_id,
                                                  .bonus_allowed = change.grant_bonus},
                            now);
    if (written.bonus_pending) result.bonus_change_id = written.change_id;
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<LevelHistoryPage> CardLevelStore::History(absl::string_view program_id,
                                                         absl::string_view card_number,
                                                         int page_size,
                                                         absl::string_view page_token) {
  if (card_number.empty()) return InvalidField("card_number", "required");
  RETURN_IF_ERROR(ValidateNoControlCharacters("card_number", card_number));
  // The position after a page is the sequence number of its last change.
  ASSIGN_OR_RETURN(const int64_t before,
                   DecodeIdPageToken(page_token, std::numeric_limits<int64_t>::max()));
  LevelHistoryPage page;
  int64_t last_seq = 0;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page.changes.clear();
    std::optional<sql::CardRow> card = sql::FindCard(tx, program_id, card_number);
    if (!card) return NoSuchCard();
    pqxx::result found = tx.exec_params(
        absl::StrCat("SELECT ", kHistoryColumns, ", seq",
                     " FROM card_level_history WHERE program_id = $1 AND card_number = $2"
                     "   AND seq < $3 ORDER BY seq DESC LIMIT $4"),
        std::string(program_id), card->number, before, page_size + 1);
    for (const auto& row : found) {
      if (static_cast<int>(page.changes.size()) == page_size) {
        page.next_page_token = EncodePageToken(absl::StrCat(last_seq));
        break;
      }
      page.changes.push_back(ReadChange(row));
      last_seq = row[16].as<int64_t>();
    }
    return absl::OkStatus();
  }));
  return page;
}

}  // namespace loyalty::cards
