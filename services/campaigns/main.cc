// campaigns: campaign definitions (rules, promo codes and budgets to come).
#include "libs/common/config.h"
#include "libs/rpc/server.h"
#include "libs/service/runtime.h"
#include "services/campaigns/api/campaigns_api.h"
#include "services/campaigns/api/promo_codes_api.h"
#include "services/campaigns/storage/campaign_store.h"
#include "services/campaigns/storage/promo_code_store.h"

int main() {
  loyalty::rpc::BlockTerminationSignals();
  loyalty::EnvReader env;
  // How long a promo code reserved at calculate holds its use unconfirmed.
  const absl::Duration promo_reservation_ttl =
      env.Duration("LOYALTY_PROMO_RESERVATION_TTL", absl::Minutes(30));
  auto runtime = loyalty::service::Runtime::Create(
      env, "campaigns", loyalty::generated::CampaignsMigrations());
  if (!runtime.ok()) return loyalty::service::StartupFailure(runtime.status());
  if (promo_reservation_ttl <= absl::ZeroDuration()) {
    return loyalty::service::StartupFailure(
        absl::InvalidArgumentError("LOYALTY_PROMO_RESERVATION_TTL must be positive"));
  }

  loyalty::campaigns::CampaignStore store((*runtime)->pool());
  loyalty::campaigns::CampaignsApi campaigns_api(store);
  (*runtime)->host().AddService(&campaigns_api);
  loyalty::campaigns::PromoCodeStore promo_store((*runtime)->pool(), [] { return absl::Now(); },
                                                 promo_reservation_ttl);
  loyalty::campaigns::PromoCodesApi promo_codes_api(promo_store);
  (*runtime)->host().AddService(&promo_codes_api);
  (*runtime)->EnableOutboxRelay();
  return (*runtime)->Run();
}
