// The cards service: cards, points accounts and the points ledger.
// Wiring only; everything else lives in cards_lib.

#include <string>

#include "libs/common/config.h"
#include "libs/rpc/server.h"
#include "libs/service/runtime.h"
#include "services/cards/api/cards_api.h"
#include "services/cards/api/expiry_job.h"
#include "services/cards/api/identity_client_directory.h"
#include "services/cards/api/ledger_api.h"
#include "services/cards/api/metrics.h"
#include "services/cards/api/points_api.h"
#include "services/cards/domain/card.h"
#include "services/cards/domain/clock.h"
#include "services/cards/storage/card_store.h"
#include "services/cards/storage/ledger_store.h"
#include "services/cards/storage/migrations.h"
#include "services/cards/storage/points_reader.h"

namespace cards = loyalty::cards;
namespace rpc = loyalty::rpc;
namespace service = loyalty::service;

int main() {
  rpc::BlockTerminationSignals();
  loyalty::EnvReader env;
  // Read before Create, whose env.Finish() reports it with the other settings.
  const std::string identity_address = loyalty::ReadPeerAddress(env, "identity");
  const absl::Duration expiry_interval = env.Duration("LOYALTY_EXPIRY_INTERVAL", absl::Minutes(1));
  auto runtime = service::Runtime::Create(env, "cards", loyalty::generated::CardsMigrations());
  if (!runtime.ok()) return service::StartupFailure(runtime.status());
  service::Runtime& rt = **runtime;

  cards::SystemClock clock;
  cards::RandomCardNumberGenerator numbers;
  cards::CardStore card_store(rt.pool(), clock, numbers);
  cards::LedgerStore ledger_store(rt.pool(), clock);
  cards::LedgerMetrics metrics(rt.registry());
  auto identity = cards::IdentityClientDirectory::Dial(identity_address);
  cards::CardsApi cards_api(card_store, *identity);
  cards::LedgerApi ledger_api(ledger_store, metrics);
  cards::PointsReader points_reader(rt.pool(), clock);
  cards::PointsApi points_api(ledger_store, points_reader, metrics);
  cards::ExpiryJob expiry(ledger_store, metrics, clock, expiry_interval);

  rt.EnableOutboxRelay();
  rt.host().AddService(&cards_api);
  rt.host().AddService(&ledger_api);
  rt.host().AddService(&points_api);
  rt.host().AddBackgroundTask("expiry-sweep",
                              [&expiry](std::stop_token stop) { expiry.Run(stop); });
  return rt.Run();
}
