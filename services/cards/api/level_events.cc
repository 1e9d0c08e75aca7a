#include "services/cards/api/level_events.h"

#include <algorithm>
#include <variant>

#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/log.h"
#include "libs/rpc/proto_convert.h"
#include "loyalty/cards/v1/events.pb.h"
#include "loyalty/pos/v1/events.pb.h"
#include "services/cards/domain/level_evaluation.h"

namespace loyalty::cards {
namespace {

constexpr char kPosStream[] = "loyalty.pos.events";
constexpr char kCardsStream[] = "loyalty.cards.events";

bool Decode(const std::string& json, google::protobuf::Message& message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // newer producers may add fields
  return google::protobuf::util::JsonStringToMessage(json, &message, options).ok();
}

// When the fact happened: the event's own time if it has a valid one, else
// when the producer recorded the event, else now.
absl::Time WhenHappened(bool has_time, const google::protobuf::Timestamp& time,
                        const outbox::StreamEvent& event) {
  if (has_time) {
    absl::StatusOr<absl::Time> parsed = rpc::TimeFromProto(time, "time");
    if (parsed.ok()) return *parsed;
  }
  absl::Time recorded;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, event.occurred_at, &recorded, &error)) return recorded;
  return absl::Now();
}

absl::string_view OutcomeName(ActivityOutcome outcome) {
  switch (outcome) {
    case ActivityOutcome::kApplied:
      return "applied";
    case ActivityOutcome::kDuplicate:
      return "duplicate";
    case ActivityOutcome::kIgnored:
      break;
  }
  return "ignored";
}

}  // namespace

void LevelEventHandler::Malformed(absl::string_view stream, const outbox::StreamEvent& event,
                                  absl::string_view why) {
  metrics_.EventConsumed(stream, "malformed");
  log::Error("skipping undecodable event", {{"stream", stream},
                                            {"stream_entry", event.entry_id},
                                            {"event_id", event.event_id},
                                            {"type", event.type},
                                            {"why", why}});
}

absl::Status LevelEventHandler::Finish(absl::string_view stream,
                                       const absl::StatusOr<ActivityResult>& result,
                                       const std::string& program_id) {
  if (!result.ok()) return result.status();
  metrics_.EventConsumed(stream, OutcomeName(result->outcome));
  if (result->level_changed) metrics_.LevelChanged(/*up=*/true);
  if (result->bonus_change_id) {
    // The move is committed with the event; a bonus the ledger cannot take
    // now stays pending and the recalculation retries it.
    absl::StatusOr<bool> granted = bonuses_.Grant(program_id, *result->bonus_change_id);
    if (granted.ok() && *granted) metrics_.BonusesGranted(1);
    if (!granted.ok()) {
      log::Warn("level bonus left pending", {{"error", granted.status().message()}});
    }
  }
  return absl::OkStatus();
}

std::optional<ActivityFact> LevelEventHandler::PosFact(const outbox::StreamEvent& event) {
  if (event.type == "loyalty.pos.v1.ReceiptConfirmed") {
    pos::v1::ReceiptConfirmed message;
    if (!Decode(event.payload, message)) {
      Malformed(kPosStream, event, "payload is not a ReceiptConfirmed");
      return std::nullopt;
    }
    if (event.event_id.empty() || event.program_id.empty() || message.receipt_id().empty()) {
      Malformed(kPosStream, event, "event id, program id or receipt id missing");
      return std::nullopt;
    }
    if (message.card_number().empty()) {  // an anonymous sale
      metrics_.EventConsumed(kPosStream, "ignored");
      return std::nullopt;
    }
    return PurchaseFact{
        .event_id = event.event_id,
        .program_id = event.program_id,
        .receipt_id = message.receipt_id(),
        .card_number = message.card_number(),
        .amount = std::max<int64_t>(message.total_amount() - message.total_discount(), 0),
        .time = WhenHappened(message.has_confirm_time(), message.confirm_time(), event)};
  }
  if (event.type == "loyalty.pos.v1.ReceiptRefunded") {
    pos::v1::ReceiptRefunded message;
    if (!Decode(event.payload, message)) {
      Malformed(kPosStream, event, "payload is not a ReceiptRefunded");
      return std::nullopt;
    }
    if (event.event_id.empty() || event.program_id.empty() || message.receipt_id().empty()) {
      Malformed(kPosStream, event, "event id, program id or receipt id missing");
      return std::nullopt;
    }
    return RefundFact{.event_id = event.event_id,
                      .program_id = event.program_id,
                      .receipt_id = message.receipt_id(),
                      .amount = message.amount(),
                      .cancels_receipt = message.receipt_cancelled()};
  }
  metrics_.EventConsumed(kPosStream, "ignored");  // other pos events
  return std::nullopt;
}

std::optional<ActivityFact> LevelEventHandler::CardsFact(const outbox::StreamEvent& event) {
  if (event.type != "loyalty.cards.v1.PointsTransferred") {
    metrics_.EventConsumed(kCardsStream, "ignored");
    return std::nullopt;
  }
  v1::PointsTransferred message;
  if (!Decode(event.payload, message)) {
    Malformed(kCardsStream, event, "payload is not a PointsTransferred");
    return std::nullopt;
  }
  if (event.event_id.empty() || event.program_id.empty() || message.card_number().empty()) {
    Malformed(kCardsStream, event, "event id, program id or card number missing");
    return std::nullopt;
  }
  int64_t points = 0;
  if (message.kind() == v1::TRANSFER_KIND_ACCRUAL) {
    points = message.amount();
  } else if (message.kind() == v1::TRANSFER_KIND_ACCRUAL_REVERSAL) {
    points = -message.amount();
  }
  // Bonuses are not earned by activity: counting them would let a level's
  // bonus lift the card towards the next level.
  if (points == 0 || IsLevelBonusTransfer(message.transfer_id())) {
    metrics_.EventConsumed(kCardsStream, "ignored");
    return std::nullopt;
  }
  return PointsFact{
      .event_id = event.event_id,
      .program_id = event.program_id,
      .card_number = message.card_number(),
      .points = points,
      .time = WhenHappened(message.has_create_time(), message.create_time(), event)};
}

std::vector<absl::Status> LevelEventHandler::ApplyAll(
    absl::string_view stream, std::span<const outbox::StreamEvent> events,
    std::optional<ActivityFact> (LevelEventHandler::*fact_of)(const outbox::StreamEvent&)) {
  std::vector<absl::Status> statuses(events.size());
  std::vector<ActivityFact> facts;
  std::vector<size_t> positions;  // of each fact's entry in `events`
  for (size_t i = 0; i < events.size(); ++i) {
    std::optional<ActivityFact> fact = (this->*fact_of)(events[i]);
    if (!fact) continue;  // counted; nothing to apply
    facts.push_back(*std::move(fact));
    positions.push_back(i);
  }
  if (facts.empty()) return statuses;
  std::vector<absl::StatusOr<ActivityResult>> results = activity_.ApplyAll(facts);
  const size_t tried = std::min(results.size(), facts.size());
  for (size_t k = 0; k < tried; ++k) {
    statuses[positions[k]] = Finish(stream, results[k], ProgramOf(facts[k]));
  }
  // Facts after a failed one were not tried: their entries, and any after
  // them, are left unanswered, to come again after the failed one.
  if (tried < facts.size()) statuses.resize(tried == 0 ? positions[0] : positions[tried - 1] + 1);
  return statuses;
}

std::vector<absl::Status> LevelEventHandler::HandlePosEvents(
    std::span<const outbox::StreamEvent> events) {
  return ApplyAll(kPosStream, events, &LevelEventHandler::PosFact);
}

std::vector<absl::Status> LevelEventHandler::HandleCardsEvents(
    std::span<const outbox::StreamEvent> events) {
  return ApplyAll(kCardsStream, events, &LevelEventHandler::CardsFact);
}

absl::Status LevelEventHandler::HandlePosEvent(const outbox::StreamEvent& event) {
  return HandlePosEvents({&event, 1}).front();
}

absl::Status LevelEventHandler::HandleCardsEvent(const outbox::StreamEvent& event) {
  return HandleCardsEvents({&event, 1}).front();
}

}  // namespace loyalty::cards
