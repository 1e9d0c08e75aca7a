// campaigns: campaign definitions (rules, promo codes and budgets to come).
#include "libs/common/config.h"
#include "libs/rpc/server.h"
#include "libs/service/runtime.h"
#include "services/campaigns/api/campaigns_api.h"
#include "services/campaigns/storage/campaign_store.h"

int main() {
  loyalty::rpc::BlockTerminationSignals();
  loyalty::EnvReader env;
  auto runtime = loyalty::service::Runtime::Create(
      env, "campaigns", loyalty::generated::CampaignsMigrations());
  if (!runtime.ok()) return loyalty::service::StartupFailure(runtime.status());

  loyalty::campaigns::CampaignStore store((*runtime)->pool());
  loyalty::campaigns::CampaignsApi campaigns_api(store);
  (*runtime)->host().AddService(&campaigns_api);
  (*runtime)->EnableOutboxRelay();
  return (*runtime)->Run();
}
