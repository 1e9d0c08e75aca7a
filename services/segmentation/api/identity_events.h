#pragma once

// Feeds the client facts read model from identity's event stream
// (`loyalty.identity.events`, read with consumer group `segmentation`).

#include <memory>

#include "absl/status/status.h"
#include "libs/outbox/outbox.h"
#include "services/segmentation/storage/segment_store.h"

namespace prometheus {
class Registry;
}

namespace loyalty::segmentation {

inline constexpr char kIdentityEventsGroup[] = "segmentation";

class IdentityEventHandler final {
 public:
  IdentityEventHandler(SegmentStore& store, prometheus::Registry& registry);
  ~IdentityEventHandler();

  // Applies one stream entry. Entries that can never be applied (unknown
  // type, undecodable payload) are logged, counted and acknowledged, so that
  // one bad entry cannot stall the stream; storage failures are returned and
  // the entry is redelivered.
  absl::Status Handle(const outbox::StreamEvent& event);

 private:
  struct Metrics;
  SegmentStore& store_;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace loyalty::segmentation
