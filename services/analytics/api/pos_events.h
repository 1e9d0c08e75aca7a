#pragma once

// Feeds the sales read model from pos's event stream (`loyalty.pos.events`,
// read with consumer group `analytics`).

#include <memory>

#include "absl/status/status.h"
#include "libs/outbox/outbox.h"
#include "services/analytics/storage/analytics_store.h"

namespace prometheus {
class Registry;
}

namespace loyalty::analytics {

inline constexpr char kPosEventsGroup[] = "analytics";

class PosEventHandler final {
 public:
  PosEventHandler(AnalyticsStore& store, prometheus::Registry& registry);
  ~PosEventHandler();

  // Applies one stream entry. Entries that can never be applied (unknown
  // type, undecodable payload) are logged, counted and acknowledged, so that
  // one bad entry cannot stall the stream; storage failures are returned and
  // the entry is redelivered.
  absl::Status Handle(const outbox::StreamEvent& event);

 private:
  struct Metrics;
  absl::Status Skip(const outbox::StreamEvent& event, absl::string_view why);

  AnalyticsStore& store_;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace loyalty::analytics
