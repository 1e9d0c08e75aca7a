// pos: receipts (calculate, confirm, refund, cancel), stores, references
// (partners, store types, sales channels, cities), the product catalogue and
// settings.
#include "libs/common/config.h"
#include "libs/rpc/channel.h"
#include "libs/rpc/server.h"
#include "libs/service/runtime.h"
#include "services/pos/api/catalogue_api.h"
#include "services/pos/api/pos_api.h"
#include "services/pos/api/recovery.h"
#include "services/pos/api/reference_api.h"

int main() {
  loyalty::rpc::BlockTerminationSignals();
  loyalty::EnvReader env;
  std::string cards_address = loyalty::ReadPeerAddress(env, "cards");
  absl::Duration cards_timeout = env.Duration("LOYALTY_CARDS_TIMEOUT", absl::Seconds(5));
  loyalty::pos::RecoveryOptions recovery_options{
      .interval = env.Duration("LOYALTY_RECOVERY_INTERVAL", absl::Seconds(10)),
      .stalled_after = env.Duration("LOYALTY_RECOVERY_AFTER", absl::Seconds(30))};
  auto runtime =
      loyalty::service::Runtime::Create(env, "pos", loyalty::generated::PosMigrations());
  if (!runtime.ok()) return loyalty::service::StartupFailure(runtime.status());

  auto channel = loyalty::rpc::DialService(cards_address);
  loyalty::pos::CardsStubs cards{loyalty::cards::v1::CardsService::NewStub(channel),
                                 loyalty::cards::v1::LedgerService::NewStub(channel),
                                 cards_timeout};
  loyalty::pos::PosStore store((*runtime)->pool());
  loyalty::pos::ReceiptEngine engine(store, [] { return absl::Now(); });
  loyalty::pos::PosApi pos_api(engine, store, cards);
  loyalty::pos::StoreApi store_api(store);
  loyalty::pos::ReferenceStore references((*runtime)->pool());
  loyalty::pos::ReferenceApi reference_api(references);
  loyalty::pos::CatalogueStore catalogue((*runtime)->pool());
  loyalty::pos::CatalogueApi catalogue_api(catalogue);
  (*runtime)->host().AddService(&pos_api);
  (*runtime)->host().AddService(&store_api);
  (*runtime)->host().AddService(&reference_api);
  (*runtime)->host().AddService(&catalogue_api);
  loyalty::pos::StalledWorkRecovery recovery(engine, store, cards, recovery_options);
  (*runtime)->host().AddBackgroundTask(
      "stalled-work-recovery", [&recovery](std::stop_token stop) { recovery.Run(stop); });
  (*runtime)->EnableOutboxRelay();
  return (*runtime)->Run();
}
