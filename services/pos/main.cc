// pos: receipts (calculate, confirm, refund, cancel), stores, references
// (partners, store types, sales channels, cities), the product catalogue and
// settings.
#include "libs/common/config.h"
#include "libs/outbox/outbox.h"
#include "libs/redis/client.h"
#include "libs/rpc/channel.h"
#include "libs/rpc/server.h"
#include "libs/service/runtime.h"
#include "services/pos/api/budget_usage_api.h"
#include "services/pos/api/campaign_actions_worker.h"
#include "services/pos/api/campaigns_client.h"
#include "services/pos/api/catalogue_api.h"
#include "services/pos/api/certificates_client.h"
#include "services/pos/api/identity_client.h"
#include "services/pos/api/pos_api.h"
#include "services/pos/api/promo_codes_client.h"
#include "services/pos/api/receipt_campaigns.h"
#include "services/pos/api/recovery.h"
#include "services/pos/api/reference_api.h"
#include "services/pos/storage/purchase_history.h"
#include "services/pos/storage/receipt_actions.h"

int main() {
  loyalty::rpc::BlockTerminationSignals();
  loyalty::EnvReader env;
  std::string cards_address = loyalty::ReadPeerAddress(env, "cards");
  absl::Duration cards_timeout = env.Duration("LOYALTY_CARDS_TIMEOUT", absl::Seconds(5));
  std::string campaigns_address = loyalty::ReadPeerAddress(env, "campaigns");
  absl::Duration campaigns_timeout =
      env.Duration("LOYALTY_CAMPAIGNS_TIMEOUT", absl::Seconds(2));
  std::string identity_address = loyalty::ReadPeerAddress(env, "identity");
  absl::Duration identity_timeout = env.Duration("LOYALTY_IDENTITY_TIMEOUT", absl::Seconds(1));
  loyalty::pos::CampaignSnapshotOptions snapshot_options{
      .max_age = env.Duration("LOYALTY_POS_SNAPSHOT_MAX_AGE", absl::Seconds(60))};
  loyalty::pos::RecoveryOptions recovery_options{
      .interval = env.Duration("LOYALTY_RECOVERY_INTERVAL", absl::Seconds(10)),
      .stalled_after = env.Duration("LOYALTY_RECOVERY_AFTER", absl::Seconds(30))};
  const absl::Duration actions_interval =
      env.Duration("LOYALTY_POS_ACTIONS_INTERVAL", absl::Seconds(1));
  loyalty::pos::ActionRunnerOptions action_options{
      .lease = env.Duration("LOYALTY_POS_ACTIONS_LEASE", absl::Minutes(10)),
      .retry = {.max_attempts = static_cast<int>(env.Int("LOYALTY_POS_ACTIONS_MAX_ATTEMPTS", 8, 1, 100)),
                .first_backoff = env.Duration("LOYALTY_POS_ACTIONS_BACKOFF", absl::Seconds(2)),
                .max_backoff = env.Duration("LOYALTY_POS_ACTIONS_MAX_BACKOFF", absl::Minutes(10))}};
  auto runtime =
      loyalty::service::Runtime::Create(env, "pos", loyalty::generated::PosMigrations());
  if (!runtime.ok()) return loyalty::service::StartupFailure(runtime.status());

  auto channel = loyalty::rpc::DialService(cards_address);
  loyalty::pos::CardsStubs cards{loyalty::cards::v1::CardsService::NewStub(channel),
                                 loyalty::cards::v1::LedgerService::NewStub(channel),
                                 cards_timeout};
  loyalty::pos::GrpcCampaignSource campaign_source(
      loyalty::rpc::DialService(campaigns_address), campaigns_timeout);
  auto identity_channel = loyalty::rpc::DialService(identity_address);
  loyalty::pos::GrpcProgramZones program_zones(identity_channel, identity_timeout);
  loyalty::pos::GrpcMemberDirectory member_directory(identity_channel, identity_timeout);
  loyalty::pos::SnapshotLoadFailures snapshot_failures((*runtime)->registry());
  loyalty::pos::CampaignSnapshots snapshots(
      campaign_source, [] { return absl::Now(); }, snapshot_options,
      [&](const std::string& program_id, const absl::Status& error) {
        snapshot_failures.Record(program_id, error);
      },
      &program_zones);
  loyalty::pos::PosStore store((*runtime)->pool());
  loyalty::pos::CatalogueStore catalogue((*runtime)->pool());
  loyalty::pos::PgPurchaseHistory purchase_history((*runtime)->pool());
  loyalty::pos::SnapshotReceiptCampaigns receipt_campaigns(snapshots, store, catalogue,
                                                           &member_directory, &purchase_history);
  loyalty::pos::BudgetStore budgets(
      (*runtime)->pool(), env.Duration("LOYALTY_POS_BUDGET_RESERVATION_TTL", absl::Minutes(30)));
  loyalty::pos::GrpcPromoCodes promo_codes(loyalty::rpc::DialService(campaigns_address),
                                           campaigns_timeout);
  loyalty::pos::GrpcCertificates certificates(channel, cards_timeout);
  loyalty::pos::ReceiptEngine engine(store, [] { return absl::Now(); }, &receipt_campaigns,
                                     &budgets, &promo_codes, &certificates);
  loyalty::pos::BudgetUsageReader budget_usage(budgets, snapshots, [] { return absl::Now(); });
  loyalty::pos::PosApi pos_api(engine, store, cards, &budget_usage);
  loyalty::pos::StoreApi store_api(store);
  loyalty::pos::ReferenceStore references((*runtime)->pool());
  loyalty::pos::ReferenceApi reference_api(references);
  loyalty::pos::CatalogueApi catalogue_api(catalogue);
  (*runtime)->host().AddService(&pos_api);
  (*runtime)->host().AddService(&store_api);
  (*runtime)->host().AddService(&reference_api);
  (*runtime)->host().AddService(&catalogue_api);
  loyalty::pos::StalledWorkRecovery recovery(engine, store, cards, recovery_options);
  (*runtime)->host().AddBackgroundTask(
      "stalled-work-recovery", [&recovery](std::stop_token stop) { recovery.Run(stop); });
  // Post-confirm campaign actions: every replica runs a worker; their
  // claims never overlap (receipt_actions.h).
  loyalty::pos::PgActionQueue action_queue((*runtime)->pool());
  loyalty::pos::GrpcMemberActions member_actions(identity_channel, identity_timeout);
  loyalty::pos::CampaignActionRunner action_runner(action_queue, member_actions, promo_codes,
                                                   [] { return absl::Now(); }, action_options);
  loyalty::pos::CampaignActionsWorker actions_worker(action_runner, (*runtime)->registry(),
                                                     actions_interval, action_options.batch);
  (*runtime)->host().AddBackgroundTask(
      "campaign-actions", [&actions_worker](std::stop_token stop) { actions_worker.Run(stop); });
  // Every replica keeps its own snapshots, so every replica needs every
  // ActiveCampaignsChanged: it follows the stream without a group.
  loyalty::redis::Client campaigns_redis({.address = (*runtime)->config().redis_address});
  loyalty::outbox::StreamFollower campaign_events(
      campaigns_redis, loyalty::outbox::StreamFor("campaigns"),
      [&snapshots](const loyalty::outbox::StreamEvent& event) {
        return loyalty::pos::HandleCampaignEvent(snapshots, event);
      });
  (*runtime)->host().AddBackgroundTask(
      "campaign-events", [&campaign_events](std::stop_token stop) { campaign_events.Run(stop); });
  (*runtime)->host().AddBackgroundTask(
      "campaign-snapshots", [&snapshots](std::stop_token stop) { snapshots.Run(stop); });
  (*runtime)->EnableOutboxRelay();
  return (*runtime)->Run();
}
