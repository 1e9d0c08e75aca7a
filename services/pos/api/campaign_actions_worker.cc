#include "services/pos/api/campaign_actions_worker.h"

#include <string>

#include "libs/common/log.h"
#include "libs/common/periodic.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"

namespace loyalty::pos {

namespace {

prometheus::Family<prometheus::Counter>& RunsFamily(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("loyalty_pos_campaign_actions_total")
      .Help("Runs of post-confirm campaign actions by outcome: done, failed (for good), "
            "retried (a transient error; runs again later), lost (ran but not recorded; runs "
            "again after its lease)")
      .Register(registry);
}

}  // namespace

CampaignActionsWorker::CampaignActionsWorker(CampaignActionRunner& runner,
                                             prometheus::Registry& registry,
                                             absl::Duration interval, int batch)
    : runner_(runner),
      interval_(interval),
      batch_(batch),
      runs_(RunsFamily(registry)),
      done_(runs_.Add({{"outcome", "done"}})),
      failed_(runs_.Add({{"outcome", "failed"}})),
      retried_(runs_.Add({{"outcome", "retried"}})),
      lost_(runs_.Add({{"outcome", "lost"}})) {}

int CampaignActionsWorker::Drain() {
  int recorded = 0;
  while (true) {
    absl::StatusOr<ActionRunCounts> counts = runner_.RunOnce();
    if (!counts.ok()) {
      log::Warn("cannot claim campaign actions", {{"error", counts.status().message()}});
      return recorded;
    }
    done_.Increment(counts->done);
    failed_.Increment(counts->failed);
    retried_.Increment(counts->retried);
    lost_.Increment(counts->lost);
    if (counts->failed > 0) {
      log::Warn("campaign actions failed for good", {{"count", std::to_string(counts->failed)}});
    }
    recorded += counts->done + counts->failed + counts->retried;
    if (counts->done + counts->failed + counts->retried + counts->lost < batch_) return recorded;
  }
}

void CampaignActionsWorker::Run(std::stop_token stop) {
  RunPeriodically(stop, interval_, [this] { Drain(); });
}

}  // namespace loyalty::pos
