#include "services/segmentation/api/identity_events.h"

#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/log.h"
#include "libs/common/random_ids.h"
#include "loyalty/identity/v1/events.pb.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace loyalty::segmentation {
namespace {

constexpr char kClientRegistered[] = "loyalty.identity.v1.ClientRegistered";

}  // namespace

struct IdentityEventHandler::Metrics {
  explicit Metrics(prometheus::Registry& registry)
      : family(prometheus::BuildCounter()
                   .Name("loyalty_events_consumed_total")
                   .Help("Stream entries handled by this service's consumers, by outcome.")
                   .Register(registry)),
        applied(family.Add({{"stream", "loyalty.identity.events"}, {"outcome", "applied"}})),
        duplicate(
            family.Add({{"stream", "loyalty.identity.events"}, {"outcome", "duplicate"}})),
        ignored(family.Add({{"stream", "loyalty.identity.events"}, {"outcome", "ignored"}})),
        malformed(
            family.Add({{"stream", "loyalty.identity.events"}, {"outcome", "malformed"}})) {}
  prometheus::Family<prometheus::Counter>& family;
  prometheus::Counter& applied;
  prometheus::Counter& duplicate;
  prometheus::Counter& ignored;
  prometheus::Counter& malformed;
};

IdentityEventHandler::IdentityEventHandler(SegmentStore& store,
                                           prometheus::Registry& registry)
    : store_(store), metrics_(std::make_unique<Metrics>(registry)) {}

IdentityEventHandler::~IdentityEventHandler() = default;

absl::Status IdentityEventHandler::Handle(const outbox::StreamEvent& event) {
  if (event.type != kClientRegistered) {
    // Identity publishes other events on the same stream; not ours to use.
    metrics_->ignored.Increment();
    return absl::OkStatus();
  }
  identity::v1::ClientRegistered message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // newer producers may add fields
  auto parsed = google::protobuf::util::JsonStringToMessage(event.payload, &message, options);
  if (!parsed.ok() || event.event_id.empty() || event.program_id.empty() ||
      !IsUuid(message.client_id())) {
    metrics_->malformed.Increment();
    log::Error("skipping undecodable event",
               {{"stream_entry", event.entry_id}, {"event_id", event.event_id},
                {"type", event.type}});
    return absl::OkStatus();
  }
  ClientRegistration registration{.event_id = event.event_id,
                                  .program_id = event.program_id,
                                  .client_id = message.client_id(),
                                  .registered_at = absl::Now()};
  if (message.has_create_time()) {
    registration.registered_at = absl::FromUnixSeconds(message.create_time().seconds()) +
                                 absl::Nanoseconds(message.create_time().nanos());
  } else if (absl::Time occurred; absl::ParseTime(absl::RFC3339_full, event.occurred_at,
                                                  &occurred, nullptr)) {
    registration.registered_at = occurred;
  }
  absl::StatusOr<bool> applied = store_.ApplyClientRegistered(registration);
  if (!applied.ok()) return applied.status();
  (*applied ? metrics_->applied : metrics_->duplicate).Increment();
  return absl::OkStatus();
}

}  // namespace loyalty::segmentation
