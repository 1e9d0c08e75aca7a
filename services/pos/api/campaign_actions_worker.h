#pragma once

// The background task that runs post-confirm campaign actions
// (domain/campaign_actions.h): a pass every `interval`, more passes at
// once while passes find a full batch, with counters of what became of
// the actions.

#include <stop_token>

#include "absl/time/time.h"
#include "services/pos/domain/campaign_actions.h"

namespace prometheus {
class Counter;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace loyalty::pos {

class CampaignActionsWorker final {
 public:
  CampaignActionsWorker(CampaignActionRunner& runner, prometheus::Registry& registry,
                        absl::Duration interval, int batch);

  // Passes until a pass finds less than a full batch; returns the actions
  // whose outcome it recorded.
  int Drain();
  void Run(std::stop_token stop);

 private:
  CampaignActionRunner& runner_;
  absl::Duration interval_;
  int batch_;
  prometheus::Family<prometheus::Counter>& runs_;  // by outcome; before the counters
  prometheus::Counter& done_;
  prometheus::Counter& failed_;
  prometheus::Counter& retried_;
  prometheus::Counter& lost_;
};

}  // namespace loyalty::pos
