// The cards service: cards, points accounts and the points ledger; card
// templates, level types and levels; gift certificates.
// Wiring only; everything else lives in cards_lib.

#include <string>
#include <unistd.h>
#include <utility>

#include "libs/common/config.h"
#include "libs/operations/file_store.h"
#include "libs/operations/metrics.h"
#include "libs/operations/operations_api.h"
#include "libs/operations/runner.h"
#include "libs/outbox/outbox.h"
#include "libs/redis/client.h"
#include "libs/rpc/server.h"
#include "libs/service/runtime.h"
#include "services/cards/api/cards_api.h"
#include "services/cards/api/certificates_api.h"
#include "services/cards/api/client_cards_api.h"
#include "services/cards/api/expiry_job.h"
#include "services/cards/api/history_export.h"
#include "services/cards/api/identity_client_directory.h"
#include "services/cards/api/ledger_api.h"
#include "services/cards/api/level_events.h"
#include "services/cards/api/level_metrics.h"
#include "services/cards/api/level_scheduler.h"
#include "services/cards/api/levels_api.h"
#include "services/cards/api/mass_change.h"
#include "services/cards/api/master_accounts_api.h"
#include "services/cards/api/metrics.h"
#include "services/cards/api/points_api.h"
#include "services/cards/api/templates_api.h"
#include "services/cards/domain/card.h"
#include "services/cards/domain/clock.h"
#include "services/cards/storage/card_level_store.h"
#include "services/cards/storage/card_store.h"
#include "services/cards/storage/certificate_store.h"
#include "services/cards/storage/ledger_store.h"
#include "services/cards/storage/level_activity_store.h"
#include "services/cards/storage/level_bonus.h"
#include "services/cards/storage/level_recalculation.h"
#include "services/cards/storage/level_store.h"
#include "services/cards/storage/migrations.h"
#include "services/cards/storage/points_reader.h"
#include "services/cards/storage/template_store.h"

namespace cards = loyalty::cards;
namespace operations = loyalty::operations;
namespace outbox = loyalty::outbox;
namespace rpc = loyalty::rpc;
namespace service = loyalty::service;

namespace {

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "cards";
  return name;
}

}  // namespace

int main() {
  rpc::BlockTerminationSignals();
  loyalty::EnvReader env;
  // Read before Create, whose env.Finish() reports them with the other settings.
  const std::string identity_address = loyalty::ReadPeerAddress(env, "identity");
  const absl::Duration expiry_interval = env.Duration("LOYALTY_EXPIRY_INTERVAL", absl::Minutes(1));
  // Pending stream entries belong to a consumer name; a replica that keeps
  // its name picks its own up again after a restart.
  const std::string consumer_name = env.String("LOYALTY_CONSUMER_NAME", HostName());
  const absl::Duration recalc_interval =
      env.Duration("LOYALTY_LEVELS_RECALC_INTERVAL", absl::Hours(1));
  // Group commit of ledger writes (storage/commit_queue.h).
  const cards::CommitQueueOptions commit_options{
      .max_writers = static_cast<int>(env.Int("LOYALTY_LEDGER_WRITERS", 2, 1, 64)),
      .min_requests_for_another_writer =
          static_cast<size_t>(env.Int("LOYALTY_LEDGER_ANOTHER_WRITER_AT", 8, 1, 1000)),
      .max_requests = static_cast<size_t>(env.Int("LOYALTY_LEDGER_BATCH_REQUESTS", 64, 1, 1000))};
  const absl::Duration operations_interval =
      env.Duration("LOYALTY_OPERATIONS_POLL_INTERVAL", absl::Seconds(1));
  const operations::FileRetentionConfig file_retention = operations::ReadFileRetention(env);
  const std::vector<loyalty::pg::Migration> migrations = cards::CardsServiceMigrations();
  auto runtime = service::Runtime::Create(env, "cards", migrations);
  if (!runtime.ok()) return service::StartupFailure(runtime.status());
  if (absl::Status valid = file_retention.Validate(); !valid.ok()) {
    return service::StartupFailure(valid);
  }
  service::Runtime& rt = **runtime;

  cards::SystemClock clock;
  cards::RandomCardNumberGenerator numbers;
  cards::CardStore card_store(rt.pool(), clock, numbers);
  cards::LedgerStore ledger_store(rt.pool(), clock, commit_options);
  cards::LedgerMetrics metrics(rt.registry());
  cards::TemplateStore template_store(rt.pool(), clock);
  cards::LevelStore level_store(rt.pool(), clock);
  cards::CardLevelStore card_levels(rt.pool(), clock);
  card_store.SetIssueExtension(&card_levels);
  cards::LevelActivityStore activity(rt.pool(), clock);
  cards::LevelRecalculation recalculation(rt.pool());
  cards::LevelBonuses bonuses(rt.pool(), ledger_store);
  cards::LevelMetrics level_metrics(rt.registry());
  auto identity = cards::IdentityClientDirectory::Dial(identity_address);
  auto client_tags = cards::IdentityClientTags::Dial(identity_address);
  operations::OperationStore operation_store(rt.pool(), "cards");
  operations::OperationMetrics operation_metrics(rt.registry());
  operations::OperationFileStore operation_files(rt.pool(),
                                                 {.retention = file_retention.retention});
  operations::OperationsApi operations_api(operation_store, operation_metrics, &operation_files);
  cards::MasterAccountStore master_account_store(rt.pool(), clock);
  cards::MasterAccountsApi master_accounts_api(master_account_store);
  cards::CardsApi cards_api(card_store, *identity, &card_levels, &operation_store,
                            client_tags.get(), &master_account_store);
  cards::LedgerApi ledger_api(ledger_store, metrics);
  cards::PointsReader points_reader(rt.pool(), clock);
  cards::PointsApi points_api(ledger_store, points_reader, metrics, &operation_store);
  cards::ExpiryJob expiry(ledger_store, metrics, clock, expiry_interval);
  cards::TemplatesApi templates_api(template_store);
  cards::RandomCardNumberGenerator certificate_numbers;
  cards::CertificateStore certificate_store(rt.pool(), clock, certificate_numbers);
  cards::CertificateMetrics certificate_metrics(rt.registry());
  cards::CertificatesApi certificates_api(certificate_store, certificate_metrics);
  cards::ClientCardsStore client_cards_store(rt.pool(), clock);
  cards::ClientCardsApi client_cards_api(client_cards_store);
  cards::LevelsApi levels_api({.levels = level_store,
                               .cards = card_store,
                               .card_levels = card_levels,
                               .recalculation = recalculation,
                               .bonuses = bonuses,
                               .clock = clock,
                               .masters = &master_account_store});

  rt.EnableOutboxRelay();
  rt.host().AddService(&cards_api);
  rt.host().AddService(&ledger_api);
  rt.host().AddService(&points_api);
  rt.host().AddBackgroundTask("expiry-sweep",
                              [&expiry](std::stop_token stop) { expiry.Run(stop); });
  rt.host().AddService(&templates_api);
  rt.host().AddService(&levels_api);
  rt.host().AddService(&certificates_api);
  rt.host().AddService(&master_accounts_api);
  rt.host().AddService(&client_cards_api);

  // Mass changes (CRD-4), history exports (CRD-7) and whatever operations
  // come later, shared among replicas through the operations table.
  cards::MassChangeHandler mass_changes({.cards = card_store,
                                         .card_levels = card_levels,
                                         .bonuses = bonuses,
                                         .ledger = ledger_store,
                                         .metrics = metrics,
                                         .tags = *client_tags});
  operations::OperationRunner operation_runner(operation_store, operation_metrics,
                                               {.poll_interval = operations_interval});
  cards::HistoryExportHandler history_exports({.reader = points_reader, .files = operation_files});
  operation_runner.Register(cards::kMassChangeKind, mass_changes);
  operation_runner.Register(cards::kHistoryExportKind, history_exports);
  rt.host().AddService(&operations_api);
  rt.host().AddBackgroundTask("operation-file-expiry", [&](std::stop_token stop) {
    operations::RunFileExpiry(operation_files, operation_metrics, std::move(stop),
                              file_retention.check_interval);
  });
  rt.host().AddBackgroundTask("operations", [&operation_runner](std::stop_token stop) {
    operation_runner.Run(std::move(stop));
  });

  // Level activity from pos's receipts and from this service's own ledger
  // events. Each consumer blocks in XREADGROUP, so each has its own Redis
  // connection.
  cards::LevelEventHandler level_events(activity, bonuses, level_metrics);
  const loyalty::redis::ClientOptions redis_options{.address = rt.config().redis_address};
  loyalty::redis::Client pos_redis(redis_options);
  loyalty::redis::Client cards_redis(redis_options);
  outbox::StreamConsumer pos_consumer(
      pos_redis, outbox::StreamFor("pos"), cards::kLevelEventsGroup, consumer_name,
      [&](std::span<const outbox::StreamEvent> events) {
        return level_events.HandlePosEvents(events);
      });
  outbox::StreamConsumer cards_consumer(
      cards_redis, outbox::StreamFor("cards"), cards::kLevelEventsGroup, consumer_name,
      [&](std::span<const outbox::StreamEvent> events) {
        return level_events.HandleCardsEvents(events);
      });
  rt.host().AddBackgroundTask("level-pos-events",
                              [&](std::stop_token stop) { pos_consumer.Run(std::move(stop)); });
  rt.host().AddBackgroundTask("level-cards-events",
                              [&](std::stop_token stop) { cards_consumer.Run(std::move(stop)); });
  cards::LevelScheduler scheduler(recalculation, bonuses, clock, level_metrics, recalc_interval);
  rt.host().AddBackgroundTask("level-recalculation",
                              [&](const std::stop_token& stop) { scheduler.Run(stop); });
  return rt.Run();
}
