#include "services/cards/api/level_events.h"

#include <algorithm>

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

absl::Status LevelEventHandler::Malformed(absl::string_view stream,
                                          const outbox::StreamEvent& event, absl::string_view why) {
  metrics_.EventConsumed(stream, "malformed");
  log::Error("skipping undecodable event", {{"stream", stream},
                                            {"stream_entry", event.entry_id},
                                            {"event_id", event.event_id},
                                            {"type", event.type},
                                            {"why", why}});
  return absl::OkStatus();
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

absl::Status LevelEventHandler::HandlePosEvent(const outbox::StreamEvent& event) {
  if (event.type == "loyalty.pos.v1.ReceiptConfirmed") {
    pos::v1::ReceiptConfirmed message;
    if (!Decode(event.payload, message)) {
      return Malformed(kPosStream, event, "payload is not a ReceiptConfirmed");
    }
    if (event.event_id.empty() || event.program_id.empty() || message.receipt_id().empty()) {
      return Malformed(kPosStream, event, "event id, program id or receipt id missing");
    }
    if (message.card_number().empty()) {  // an anonymous sale
      metrics_.EventConsumed(kPosStream, "ignored");
      return absl::OkStatus();
    }
    return Finish(
        kPosStream,
        activity_.ApplyPurchase(PurchaseFact{
            .event_id = event.event_id,
            .program_id = event.program_id,
            .receipt_id = message.receipt_id(),
            .card_number = message.card_number(),
            .amount = std::max<int64_t>(message.total_amount() - message.total_discount(), 0),
            .time = WhenHappened(message.has_confirm_time(), message.confirm_time(), event)}),
        event.program_id);
  }
  if (event.type == "loyalty.pos.v1.ReceiptRefunded") {
    pos::v1::ReceiptRefunded message;
    if (!Decode(event.payload, message)) {
      return Malformed(kPosStream, event, "payload is not a ReceiptRefunded");
    }
    if (event.event_id.empty() || event.program_id.empty() || message.receipt_id().empty()) {
      return Malformed(kPosStream, event, "event id, program id or receipt id missing");
    }
    return Finish(kPosStream,
                  activity_.ApplyRefund(RefundFact{.event_id = event.event_id,
                                                   .program_id = event.program_id,
                                                   .receipt_id = message.receipt_id(),
                                                   .amount = message.amount()}),
                  event.program_id);
  }
  metrics_.EventConsumed(kPosStream, "ignored");  // other pos events
  return absl::OkStatus();
}

absl::Status LevelEventHandler::HandleCardsEvent(const outbox::StreamEvent& event) {
  if (event.type != "loyalty.cards.v1.PointsTransferred") {
    metrics_.EventConsumed(kCardsStream, "ignored");
    return absl::OkStatus();
  }
  v1::PointsTransferred message;
  if (!Decode(event.payload, message)) {
    return Malformed(kCardsStream, event, "payload is not a PointsTransferred");
  }
  if (event.event_id.empty() || event.program_id.empty() || message.card_number().empty()) {
    return Malformed(kCardsStream, event, "event id, program id or card number missing");
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
    return absl::OkStatus();
  }
  return Finish(kCardsStream,
                activity_.ApplyPoints(PointsFact{
                    .event_id = event.event_id,
                    .program_id = event.program_id,
                    .card_number = message.card_number(),
                    .points = points,
                    .time = WhenHappened(message.has_create_time(), message.create_time(), event)}),
                event.program_id);
}

}  // namespace loyalty::cards
