#include "services/analytics/api/pos_events.h"

#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/log.h"
#include "loyalty/pos/v1/events.pb.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace loyalty::analytics {
namespace {

constexpr char kStream[] = "loyalty.pos.events";
constexpr char kReceiptConfirmed[] = "loyalty.pos.v1.ReceiptConfirmed";
constexpr char kReceiptRefunded[] = "loyalty.pos.v1.ReceiptRefunded";

bool Decode(const std::string& json, google::protobuf::Message& message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // newer producers may add fields
  return google::protobuf::util::JsonStringToMessage(json, &message, options).ok();
}

// The time the fact happened: the event's own field, else the time the
// producer recorded the event, else now.
absl::Time FactTime(bool has_time, const google::protobuf::Timestamp& time,
                    const std::string& occurred_at) {
  if (has_time) return absl::FromUnixSeconds(time.seconds()) + absl::Nanoseconds(time.nanos());
  absl::Time occurred;
  if (absl::ParseTime(absl::RFC3339_full, occurred_at, &occurred, nullptr)) return occurred;
  return absl::Now();
}

}  // namespace

struct PosEventHandler::Metrics {
  explicit Metrics(prometheus::Registry& registry)
      : family(prometheus::BuildCounter()
                   .Name("loyalty_events_consumed_total")
                   .Help("Stream entries handled by this service's consumers, by outcome.")
                   .Register(registry)),
        applied(family.Add({{"stream", kStream}, {"outcome", "applied"}})),
        duplicate(family.Add({{"stream", kStream}, {"outcome", "duplicate"}})),
        ignored(family.Add({{"stream", kStream}, {"outcome", "ignored"}})),
        malformed(family.Add({{"stream", kStream}, {"outcome", "malformed"}})) {}
  prometheus::Family<prometheus::Counter>& family;
  prometheus::Counter& applied;
  prometheus::Counter& duplicate;
  prometheus::Counter& ignored;
  prometheus::Counter& malformed;
};

PosEventHandler::PosEventHandler(AnalyticsStore& store, prometheus::Registry& registry)
    : store_(store), metrics_(std::make_unique<Metrics>(registry)) {}

PosEventHandler::~PosEventHandler() = default;

absl::Status PosEventHandler::Skip(const outbox::StreamEvent& event, absl::string_view why) {
  metrics_->malformed.Increment();
  log::Error("skipping undecodable event", {{"stream_entry", event.entry_id},
                                            {"event_id", event.event_id},
                                            {"type", event.type},
                                            {"why", why}});
  return absl::OkStatus();
}

absl::Status PosEventHandler::Handle(const outbox::StreamEvent& event) {
  absl::StatusOr<bool> applied;
  if (event.type == kReceiptConfirmed) {
    pos::v1::ReceiptConfirmed message;
    if (!Decode(event.payload, message)) return Skip(event, "payload is not a ReceiptConfirmed");
    if (event.event_id.empty() || event.program_id.empty() || message.receipt_id().empty()) {
      return Skip(event, "event id, program id or receipt id missing");
    }
    applied = store_.ApplySale(SaleFact{
        .event_id = event.event_id,
        .program_id = event.program_id,
        .receipt_id = message.receipt_id(),
        .store_id = message.store_id(),
        .confirm_time =
            FactTime(message.has_confirm_time(), message.confirm_time(), event.occurred_at),
        .total_amount = message.total_amount(),
        .total_discount = message.total_discount(),
        .points_earned = message.points_earned(),
        .points_spent = message.points_spent()});
  } else if (event.type == kReceiptRefunded) {
    pos::v1::ReceiptRefunded message;
    if (!Decode(event.payload, message)) return Skip(event, "payload is not a ReceiptRefunded");
    if (event.event_id.empty() || event.program_id.empty() || message.refund_id().empty()) {
      return Skip(event, "event id, program id or refund id missing");
    }
    applied = store_.ApplyRefund(RefundFact{
        .event_id = event.event_id,
        .program_id = event.program_id,
        .refund_id = message.refund_id(),
        .receipt_id = message.receipt_id(),
        .store_id = message.store_id(),
        .refund_time =
            FactTime(message.has_refund_time(), message.refund_time(), event.occurred_at),
        .amount = message.amount(),
        .points_reversed = message.points_reversed(),
        .points_returned = message.points_returned(),
        .cancels_sale = message.receipt_cancelled()});
  } else {
    // pos publishes other events on the same stream; not ours to use.
    metrics_->ignored.Increment();
    return absl::OkStatus();
  }
  if (!applied.ok()) return applied.status();
  (*applied ? metrics_->applied : metrics_->duplicate).Increment();
  return absl::OkStatus();
}

}  // namespace loyalty::analytics
