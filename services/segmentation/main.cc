// segmentation: manual segments and the client facts read model fed by
// identity's events.
#include <unistd.h>

#include <memory>
#include <string>

#include "libs/common/config.h"
#include "libs/outbox/outbox.h"
#include "libs/redis/client.h"
#include "libs/rpc/server.h"
#include "libs/service/runtime.h"
#include "services/segmentation/api/identity_events.h"
#include "services/segmentation/api/segmentation_api.h"
#include "services/segmentation/storage/segment_store.h"

namespace {

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "segmentation";
  return name;
}

}  // namespace

int main() {
  loyalty::rpc::BlockTerminationSignals();
  loyalty::EnvReader env;
  // Pending (unacknowledged) entries belong to a consumer name; a replica
  // that keeps its name picks its own up again after a restart.
  std::string consumer_name = env.String("LOYALTY_CONSUMER_NAME", HostName());
  auto runtime = loyalty::service::Runtime::Create(
      env, "segmentation", loyalty::generated::SegmentationMigrations());
  if (!runtime.ok()) return loyalty::service::StartupFailure(runtime.status());

  loyalty::segmentation::SegmentStore store((*runtime)->pool());
  loyalty::segmentation::SegmentationApi segmentation_api(store);
  (*runtime)->host().AddService(&segmentation_api);

  // The consumer blocks in XREADGROUP, so it gets a Redis connection of its own.
  loyalty::redis::Client consumer_redis(
      loyalty::redis::ClientOptions{.address = (*runtime)->config().redis_address});
  loyalty::segmentation::IdentityEventHandler handler(store, (*runtime)->registry());
  loyalty::outbox::StreamConsumer consumer(
      consumer_redis, loyalty::outbox::StreamFor("identity"),
      loyalty::segmentation::kIdentityEventsGroup, consumer_name,
      [&handler](const loyalty::outbox::StreamEvent& event) { return handler.Handle(event); });
  (*runtime)->host().AddBackgroundTask(
      "identity-events", [&consumer](std::stop_token stop) { consumer.Run(stop); });
  return (*runtime)->Run();
}
