// analytics: reports over the program's activity, from a read model fed by
// pos's events.
#include <unistd.h>

#include <string>

#include "absl/time/clock.h"
#include "libs/common/config.h"
#include "libs/outbox/outbox.h"
#include "libs/redis/client.h"
#include "libs/rpc/server.h"
#include "libs/service/runtime.h"
#include "services/analytics/api/analytics_api.h"
#include "services/analytics/api/pos_events.h"
#include "services/analytics/storage/analytics_store.h"

namespace {

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "analytics";
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
      env, "analytics", loyalty::generated::AnalyticsMigrations());
  if (!runtime.ok()) return loyalty::service::StartupFailure(runtime.status());

  loyalty::analytics::AnalyticsStore store((*runtime)->pool());
  loyalty::analytics::AnalyticsApi analytics_api(store, [] { return absl::Now(); });
  (*runtime)->host().AddService(&analytics_api);

  // The consumer blocks in XREADGROUP, so it gets a Redis connection of its own.
  loyalty::redis::Client consumer_redis(
      loyalty::redis::ClientOptions{.address = (*runtime)->config().redis_address});
  loyalty::analytics::PosEventHandler handler(store, (*runtime)->registry());
  loyalty::outbox::StreamConsumer consumer(
      consumer_redis, loyalty::outbox::StreamFor("pos"), loyalty::analytics::kPosEventsGroup,
      consumer_name,
      [&handler](const loyalty::outbox::StreamEvent& event) { return handler.Handle(event); });
  (*runtime)->host().AddBackgroundTask(
      "pos-events", [&consumer](std::stop_token stop) { consumer.Run(stop); });
  return (*runtime)->Run();
}
